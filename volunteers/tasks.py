"""Celery tasks for volunteers. Each takes primary keys only: the broker stores message bodies."""

import logging
import smtplib

from celery import shared_task

from .importers import send_invitation
from .models import Volunteer

logger = logging.getLogger(__name__)

# Errors worth another try: the mail server was away or refused for now.
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


# A retry after the mail server took the message could send the invitation twice.
# That is harmless next to losing it, because the link in both copies is the same.
@shared_task(autoretry_for=TRANSIENT_EMAIL_ERRORS, retry_backoff=30, retry_backoff_max=600, max_retries=5)
def send_import_invitation(volunteer_id: int) -> bool:
    volunteer = Volunteer.objects.select_related("user").filter(pk=volunteer_id).first()
    if volunteer is None:
        logger.info("Volunteer %s no longer exists; no invitation sent", volunteer_id)
        return False
    return send_invitation(volunteer)
