"""
Work done on a schedule by Celery beat: lapsing unanswered offers, reminders,
check-ins, asking for results, and sending emails the broker never delivered.

Each function is safe to run any number of times: offers move state with a
conditional update, and each scheduled email is unique per match and kind.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .lifecycle import MatchingError
from .models import Match, OutgoingEmail
from .services import lapse_offer, queue_email

logger = logging.getLogger(__name__)


def lapse_expired_offers() -> int:
    lapsed = 0
    expired = Match.objects.filter(status=Match.Status.APPROVED, offer_expires_at__lt=timezone.now())
    for match_id in expired.values_list("pk", flat=True):
        try:
            lapse_offer(match_id=match_id)
            lapsed += 1
        except MatchingError:
            # The volunteer accepted or declined in the meantime, and that decision is kept.
            logger.info("Offer of match %s was accepted or declined before it could lapse", match_id)
    logger.info("Lapsed %d offers", lapsed)
    return lapsed


def send_offer_reminders() -> int:
    """Remind volunteers once, half-way through the time they have to answer."""
    halfway = timedelta(days=settings.OFFER_ANSWER_DAYS) / 2
    due = Match.objects.filter(
        status=Match.Status.APPROVED, offered_at__lte=timezone.now() - halfway, offer_expires_at__gt=timezone.now()
    ).exclude(emails__kind=OutgoingEmail.Kind.OFFER_REMINDER)
    return _queue_for(due, [OutgoingEmail.Kind.OFFER_REMINDER])


def send_check_ins() -> int:
    """Ask both sides once, a week after the introduction, whether they are working together."""
    due = Match.objects.filter(
        status=Match.Status.ACCEPTED,
        introduced_at__lte=timezone.now() - timedelta(days=settings.CHECK_IN_AFTER_DAYS),
    ).exclude(emails__kind=OutgoingEmail.Kind.CHECK_IN_CANDIDATE)
    return _queue_for(due, [OutgoingEmail.Kind.CHECK_IN_VOLUNTEER, OutgoingEmail.Kind.CHECK_IN_CANDIDATE])


def request_results() -> int:
    """Ask each introduced campaign once, after polling day, for the result and feedback."""
    due = Match.objects.filter(
        status=Match.Status.ACCEPTED,
        help_request__candidate__election__polling_day__lt=timezone.localdate(),
    ).exclude(emails__kind=OutgoingEmail.Kind.RESULT_REQUEST)
    return _queue_for(due, [OutgoingEmail.Kind.RESULT_REQUEST])


def _queue_for(matches, kinds) -> int:
    from django.db import transaction

    queued = 0
    for match in matches.select_related("help_request"):
        with transaction.atomic():
            for kind in kinds:
                if queue_email(match, kind) is not None:
                    queued += 1
    logger.info("Queued %d scheduled emails of kinds %s", queued, ",".join(kinds))
    return queued


def requeue_unsent_emails() -> int:
    """Queue again every email still waiting after a few minutes, such as one approved while Redis was down."""
    from . import tasks

    now = timezone.now()
    waiting = OutgoingEmail.objects.filter(
        Q(
            status=OutgoingEmail.Status.PENDING,
            created_at__lt=now - timedelta(seconds=settings.EMAIL_REQUEUE_AFTER_SECONDS),
        )
        | Q(
            status=OutgoingEmail.Status.SENDING,
            claimed_at__lt=now - timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT_SECONDS),
        )
    )
    email_ids = list(waiting.values_list("pk", flat=True)[:500])
    for email_id in email_ids:
        tasks.enqueue_email(email_id)
    if email_ids:
        logger.info("Queued %d unsent emails again", len(email_ids))
    return len(email_ids)
