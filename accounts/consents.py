"""
Consents: recording them, reading the current state, and withdrawing them.

Every change is a new Consent row and no row is ever edited, so the history of
what a person agreed to, under which notice and how, stays as evidence. The
current state of a purpose is the latest row for it.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery

from .models import Consent, User

logger = logging.getLogger(__name__)

Purpose = Consent.Purpose
Method = Consent.Method


def record_consent(*, user, purpose: str, given: bool = True, method: str, match=None) -> Consent:
    """Store one consent given or withdrawn, under the privacy notice version in force now."""
    consent = Consent.objects.create(
        user=user,
        purpose=purpose,
        given=given,
        method=method,
        match=match,
        notice_version=settings.PRIVACY_NOTICE_VERSION,
    )
    logger.info("Consent %s recorded for user %s (%s, given=%s)", consent.pk, user.pk, purpose, given)
    return consent


def latest_consent(user, purpose: str) -> Consent | None:
    if user is None or not user.is_authenticated:
        return None
    return Consent.objects.filter(user=user, purpose=purpose).order_by("-recorded_at", "-id").first()


def has_consent(user, purpose: str) -> bool:
    """True when the person's latest choice for this purpose was to give consent."""
    latest = latest_consent(user, purpose)
    return bool(latest and latest.given)


def accepted_notice_version(user) -> str | None:
    """The version of the privacy notice the person last agreed to, or None if they never did."""
    latest = (
        Consent.objects.filter(user=user, purpose=Purpose.PRIVACY_NOTICE, given=True)
        .order_by("-recorded_at", "-id")
        .values_list("notice_version", flat=True)
        .first()
    )
    return latest


def users_with_consent(purpose: str):
    """Return the active accounts whose latest choice for this purpose gives consent, such as news recipients."""
    latest_given = (
        Consent.objects.filter(user=OuterRef("pk"), purpose=purpose).order_by("-recorded_at", "-id").values("given")[:1]
    )
    return User.objects.filter(is_active=True).annotate(consent_given=Subquery(latest_given)).filter(consent_given=True)


def set_news_consent(*, user, given: bool, method: str = Method.PROFILE_PAGE) -> Consent | None:
    """Give or withdraw consent to news and call-outs; return None when nothing changes."""
    if has_consent(user, Purpose.NEWS) == given:
        return None
    return record_consent(user=user, purpose=Purpose.NEWS, given=given, method=method)


@transaction.atomic
def withdraw_party_support(*, user, method: str = Method.PROFILE_PAGE) -> bool:
    """Delete the person's relationship to the party and record the withdrawal; return False if none was held."""
    from volunteers.models import Volunteer

    volunteer = Volunteer.objects.select_for_update().filter(user=user).first()
    held = bool(volunteer and volunteer.party_relationship)
    if held:
        Volunteer.objects.filter(pk=volunteer.pk).update(party_relationship="")
    if held or has_consent(user, Purpose.PARTY_SUPPORT):
        record_consent(user=user, purpose=Purpose.PARTY_SUPPORT, given=False, method=method)
        return True
    return False


def renew_privacy_consent(*, user) -> Consent:
    """Record agreement to the current privacy notice after it changed."""
    return record_consent(user=user, purpose=Purpose.PRIVACY_NOTICE, given=True, method=Method.NOTICE_UPDATE)
