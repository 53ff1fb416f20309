"""Celery tasks for ballots, invitations and call-outs.

Each takes primary keys only, because the broker stores message bodies.
"""

import logging

from celery import shared_task

from matching import callouts
from matching.tasks import TRANSIENT_EMAIL_ERRORS

from . import invitations, polling_day

logger = logging.getLogger(__name__)

EMAIL_RETRY_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_EMAIL_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task
def close_ballots_after_polling_day() -> int:
    return polling_day.close_ballots_after_polling_day().ballots


# acks_late: a worker killed mid-send leaves the message on the broker, so the task
# runs again. The claim on the row keeps that second run from sending twice.
@shared_task(**EMAIL_RETRY_OPTIONS)
def send_candidate_invitation(self, candidate_id: int) -> bool:
    return invitations.send_invitation(candidate_id)


@shared_task(**EMAIL_RETRY_OPTIONS)
def send_callout_email(self, recipient_id: int) -> bool:
    try:
        return callouts.send_callout_email(recipient_id)
    except TRANSIENT_EMAIL_ERRORS:
        if self.request.retries >= self.max_retries:
            callouts.mark_failed(recipient_id)
            return False
        logger.info("Retrying call-out email %s (attempt %d)", recipient_id, self.request.retries + 1)
        raise
