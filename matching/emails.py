"""
Write and send the emails of the outbox.

An OutgoingEmail row is written in the same transaction as the approval that
causes it. Sending claims the row with a conditional UPDATE from pending to
sending, so when a task runs twice, or two workers race, only one of them sends.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from . import links
from .models import OutgoingEmail

logger = logging.getLogger(__name__)


class EmailNotSendable(Exception):
    """The email can never be sent, such as when its recipient has no address any more."""


@dataclass(frozen=True)
class EmailTemplate:
    recipient: str  # "volunteer" or "candidate"
    template: str
    subject: Callable[[dict], str]


EMAIL_TEMPLATES = {
    OutgoingEmail.Kind.OFFER: EmailTemplate(
        "volunteer",
        "offer",
        lambda c: f"Can you help a campaign in {c['election'].place}? Please answer by {c['answer_by']}",
    ),
    OutgoingEmail.Kind.OFFER_REMINDER: EmailTemplate(
        "volunteer",
        "offer_reminder",
        lambda c: f"Reminder: a campaign in {c['election'].place} is waiting for your answer",
    ),
    OutgoingEmail.Kind.OFFER_WITHDRAWN: EmailTemplate(
        "volunteer",
        "offer_withdrawn",
        lambda c: f"The campaign in {c['election'].place} no longer needs this help",
    ),
    OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER: EmailTemplate(
        "volunteer",
        "introduction_volunteer",
        lambda c: f"Introducing you to {c['candidate'].full_name}'s campaign in {c['election'].place}",
    ),
    OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE: EmailTemplate(
        "candidate",
        "introduction_candidate",
        lambda c: f"{c['volunteer'].full_name} will help with {c['help_request'].get_skill_area_display().lower()}",
    ),
    OutgoingEmail.Kind.CHECK_IN_VOLUNTEER: EmailTemplate(
        "volunteer", "check_in_volunteer", lambda c: "Are you working together?"
    ),
    OutgoingEmail.Kind.CHECK_IN_CANDIDATE: EmailTemplate(
        "candidate", "check_in_candidate", lambda c: "Are you working together?"
    ),
    OutgoingEmail.Kind.RESULT_REQUEST: EmailTemplate(
        "candidate",
        "result_request",
        lambda c: f"How did the election in {c['election'].place} go?",
    ),
}


def build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    """Render the email from its templates, addressed to its recipient."""
    match = email.match
    volunteer = match.volunteer
    help_request = match.help_request
    candidate = help_request.candidate
    if volunteer is None or volunteer.anonymised_at or candidate.anonymised_at:
        raise EmailNotSendable(f"Email {email.pk} is about a person whose details were erased")

    template = EMAIL_TEMPLATES.get(email.kind)
    if template is None:
        raise EmailNotSendable(f"Unknown email kind {email.kind!r} for email {email.pk}")

    context = {
        "match": match,
        "volunteer": volunteer,
        "volunteer_email": volunteer.user.email if volunteer.user else "",
        "candidate": candidate,
        "candidate_email": candidate.user.email if candidate.user else "",
        "help_request": help_request,
        "election": candidate.election,
        "site_url": settings.SITE_URL,
        "answer_by": _format_date(match.offer_expires_at),
    }
    if template.recipient == "volunteer":
        context["offer_url"] = links.offer_url(match)
    else:
        context["campaign_url"] = links.campaign_url(match)

    recipient = context[f"{template.recipient}_email"]
    if not recipient:
        raise EmailNotSendable(f"Email {email.pk} has no recipient address")

    text_body = render_to_string(f"emails/{template.template}.txt", context)
    html_body = render_to_string(f"emails/{template.template}.html", context)
    message = EmailMultiAlternatives(
        subject=template.subject(context), body=text_body, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient]
    )
    message.attach_alternative(html_body, "text/html")
    return message


def _format_date(moment) -> str:
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "l j F")


class EmailBusy(Exception):
    """Another run claimed the email recently and may still be sending it."""


def claim(email_id: int) -> bool:
    """Mark an email as being sent; return False when it is sent, failed, cancelled or gone.

    A pending email is claimed at once. One left in "sending" by a worker that
    died is claimed again once EMAIL_CLAIM_TIMEOUT_SECONDS have passed. Before
    that, EmailBusy is raised so the caller can try again later.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT_SECONDS)
    claimable = Q(status=OutgoingEmail.Status.PENDING) | Q(
        status=OutgoingEmail.Status.SENDING, claimed_at__lt=stale_before
    )
    claimed = OutgoingEmail.objects.filter(claimable, pk=email_id).update(
        status=OutgoingEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed == 1:
        return True
    if OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.SENDING).exists():
        raise EmailBusy(f"Email {email_id} was claimed less than {settings.EMAIL_CLAIM_TIMEOUT_SECONDS} s ago")
    return False


def send_outgoing_email(email_id: int) -> bool:
    """Send one outbox email at most once; return True when this call sent it.

    A transport error puts the row back to pending and is raised again, so the
    caller (a Celery task) can retry. An email that can never be sent is marked
    failed. EmailBusy means another run may be sending it right now.
    """
    if not claim(email_id):
        logger.info("Email %s is not pending; nothing to send", email_id)
        return False

    email = OutgoingEmail.objects.select_related(
        "match__volunteer__user", "match__help_request__candidate__user", "match__help_request__candidate__election"
    ).get(pk=email_id)

    try:
        message = build_message(email)
    except EmailNotSendable as error:
        OutgoingEmail.objects.filter(pk=email_id).update(status=OutgoingEmail.Status.FAILED, last_error=str(error))
        logger.error("Email %s for match %s cannot be sent: %s", email_id, email.match_id, error)
        return False

    try:
        message.send()
    except Exception as error:
        OutgoingEmail.objects.filter(pk=email_id).update(
            status=OutgoingEmail.Status.PENDING, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        logger.warning("Sending email %s for match %s failed: %s", email_id, email.match_id, type(error).__name__)
        raise

    # NOTE: if the process dies between send() and this update, the row stays in
    # "sending" and is sent again after EMAIL_CLAIM_TIMEOUT_SECONDS, so that one
    # email can arrive twice. The window is the few milliseconds after the mail
    # server accepted the message.
    with transaction.atomic():
        OutgoingEmail.objects.filter(pk=email_id).update(
            status=OutgoingEmail.Status.SENT, sent_at=timezone.now(), last_error=""
        )
    logger.info("Sent email %s (%s) for match %s", email_id, email.kind, email.match_id)
    return True


def mark_failed(email_id: int, error: BaseException) -> None:
    """Record that an email gave up after its last retry, for organisers to see."""
    OutgoingEmail.objects.filter(pk=email_id).exclude(status=OutgoingEmail.Status.SENT).update(
        status=OutgoingEmail.Status.FAILED, last_error=f"{type(error).__name__}: {error}"[:500]
    )
    logger.error("Email %s failed after its last retry: %s", email_id, type(error).__name__)
