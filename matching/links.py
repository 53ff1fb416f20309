"""
Signed links in emails, so a volunteer or a campaign can reply without signing in.

A token names the match, the action and the person it was sent to, and is signed
with SECRET_KEY by django.core.signing, so it cannot be altered or forged. It
expires after a set time. A link works once because the action it performs is
only allowed from the match's current status: after the first use the status
has moved on, and the page says so.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "matching.links"


class Action:
    RESPOND_TO_OFFER = "offer"
    CAMPAIGN_FEEDBACK = "campaign"


class LinkError(Exception):
    """A link that cannot be used; `title` and the message are shown on the page."""

    title = "This link does not work"


class LinkExpired(LinkError):
    title = "This link has expired"


class LinkTampered(LinkError):
    title = "This link is not valid"


class LinkForSomeoneElse(LinkError):
    title = "This link is meant for someone else"


@dataclass(frozen=True)
class LinkPayload:
    match_id: int
    action: str
    user_id: int | None


def link_lifetime(action: str) -> timedelta:
    if action == Action.RESPOND_TO_OFFER:
        # A day's grace after the offer lapses, so a late click explains the lapse.
        return timedelta(days=settings.OFFER_ANSWER_DAYS + 1)
    return timedelta(days=settings.CAMPAIGN_LINK_DAYS)


def make_token(*, match_id: int, action: str, user_id: int | None) -> str:
    return signing.dumps({"m": match_id, "a": action, "u": user_id}, salt=SALT, compress=True)


def read_token(token: str, *, action: str) -> LinkPayload:
    """Return the payload of a token, or raise a LinkError that explains why it cannot be used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=link_lifetime(action))
    except signing.SignatureExpired:
        raise LinkExpired("The link is too old to use. Contact the organisers if you still want to help.") from None
    except signing.BadSignature:
        raise LinkTampered("The link has been changed or cut short. Copy the whole link from the email.") from None

    if not isinstance(data, dict) or data.get("a") != action or not isinstance(data.get("m"), int):
        raise LinkTampered("The link has been changed or cut short. Copy the whole link from the email.")
    return LinkPayload(match_id=data["m"], action=data["a"], user_id=data.get("u"))


def check_person(payload: LinkPayload, user) -> None:
    """Refuse a link opened by someone signed in as another person."""
    if user.is_authenticated and payload.user_id is not None and user.pk != payload.user_id:
        raise LinkForSomeoneElse(
            "You are signed in as someone other than the person this email was sent to. "
            "Sign out, then open the link again."
        )


def absolute_url(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, args=[token])


def offer_url(match) -> str:
    user_id = match.volunteer.user_id if match.volunteer else None
    return absolute_url(
        "respond_to_offer", make_token(match_id=match.pk, action=Action.RESPOND_TO_OFFER, user_id=user_id)
    )


def campaign_url(match) -> str:
    user_id = match.help_request.candidate.user_id
    return absolute_url(
        "campaign_feedback", make_token(match_id=match.pk, action=Action.CAMPAIGN_FEEDBACK, user_id=user_id)
    )
