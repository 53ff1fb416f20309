"""Celery tasks for matching. Each takes primary keys only: the broker stores message bodies."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from candidates.models import HelpRequest
from volunteers.models import Volunteer

from . import batch, emails, followups, ranking_rows, services

logger = logging.getLogger(__name__)

# Errors worth another try: the mail server was away or refused for now.
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task
def refresh_suggestions_for_request(help_request_id: int) -> int:
    help_request = HelpRequest.objects.select_related("candidate").filter(pk=help_request_id).first()
    if help_request is None:
        logger.info("Help request %s no longer exists; no suggestions to refresh", help_request_id)
        return 0
    return services.refresh_suggestions(help_request=help_request)


@shared_task
def refresh_suggestions_for_volunteer(volunteer_id: int) -> int:
    """Refresh every open request this volunteer could now rank for (or drop out of)."""
    volunteer = Volunteer.objects.filter(pk=volunteer_id).first()
    if volunteer is None:
        return 0

    refreshed = 0
    for help_request in services.open_requests_for_volunteer(volunteer).select_related("candidate"):
        services.refresh_suggestions(help_request=help_request)
        refreshed += 1
    logger.info("Refreshed %d requests after volunteer %s changed", refreshed, volunteer_id)
    return refreshed


@shared_task
def refresh_suggestions_for_recent_volunteers() -> int:
    """Refresh, each once, the open requests that volunteers changed since the last run can affect."""
    return batch.refresh_for_recent_volunteers().requests


@shared_task
def rebuild_ranking_rows() -> int:
    """Rewrite every ranking row, catching any that a change made without signals left behind."""
    return ranking_rows.rebuild_all()


# acks_late: a worker killed mid-send leaves the message on the broker, so the
# task runs again. The outbox claim keeps that second run from sending twice.
@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_EMAIL_ERRORS,
    retry_backoff=settings.EMAIL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_outgoing_email(self, email_id: int) -> bool:
    try:
        return emails.send_outgoing_email(email_id)
    except emails.EmailBusy:
        # Another run claimed it moments ago: look again once that claim can be taken over.
        logger.info("Email %s is being sent by another run; checking again later", email_id)
        raise self.retry(countdown=settings.EMAIL_CLAIM_TIMEOUT_SECONDS + 1, max_retries=None) from None
    except TRANSIENT_EMAIL_ERRORS as error:
        if self.request.retries >= self.max_retries:
            emails.mark_failed(email_id, error)
            return False
        logger.info("Retrying email %s (attempt %d)", email_id, self.request.retries + 1)
        raise


def enqueue_email(email_id: int) -> None:
    """Queue an outbox email for sending, and carry on if the broker cannot be reached.

    The row is already committed, so the beat job that queues unsent emails
    again sends it once the broker is back.
    """
    try:
        send_outgoing_email.delay(email_id)
    except Exception:
        logger.warning(
            "Could not queue email %s because the broker is unreachable; the requeue job will queue it again",
            email_id,
            exc_info=True,
        )


@shared_task
def lapse_expired_offers() -> int:
    return followups.lapse_expired_offers()


@shared_task
def send_offer_reminders() -> int:
    return followups.send_offer_reminders()


@shared_task
def send_check_ins() -> int:
    return followups.send_check_ins()


@shared_task
def request_results() -> int:
    return followups.request_results()


@shared_task
def requeue_unsent_emails() -> int:
    return followups.requeue_unsent_emails()
