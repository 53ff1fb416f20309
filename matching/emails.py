"""
Write and send the emails of the outbox.

An OutgoingEmail row is written in the same transaction as the approval that
causes it. Sending claims the row with a conditional UPDATE from pending to
sending, so when a task runs twice, or two workers race, only one of them sends.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutgoingEmail

logger = logging.getLogger(__name__)


class EmailNotSendable(Exception):
    """The email can never be sent, such as when its recipient has no address any more."""


def build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    """Render the email from its templates, addressed to its recipient."""
    match = email.match
    volunteer = match.volunteer
    help_request = match.help_request
    candidate = help_request.candidate

    context = {
        "volunteer": volunteer,
        "volunteer_email": volunteer.user.email if volunteer.user else "",
        "candidate": candidate,
        "candidate_email": candidate.user.email if candidate.user else "",
        "help_request": help_request,
        "election": candidate.election,
        "site_url": settings.SITE_URL,
    }

    if email.kind == OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER:
        recipient = context["volunteer_email"]
        template = "introduction_volunteer"
        subject = f"Introducing you to {candidate.full_name}'s campaign in {candidate.election.ward}"
    elif email.kind == OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE:
        recipient = context["candidate_email"]
        template = "introduction_candidate"
        subject = f"{volunteer.full_name} will help with {help_request.get_skill_area_display().lower()}"
    else:
        raise EmailNotSendable(f"Unknown email kind {email.kind!r} for email {email.pk}")

    if not recipient:
        raise EmailNotSendable(f"Email {email.pk} has no recipient address")

    text_body = render_to_string(f"emails/{template}.txt", context)
    html_body = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text_body, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient]
    )
    message.attach_alternative(html_body, "text/html")
    return message


def claim(email_id: int) -> bool:
    """Move a pending email to sending; return False when another run already has it."""
    claimed = OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    return claimed == 1


def send_outgoing_email(email_id: int) -> bool:
    """Send one outbox email at most once; return True when this call sent it.

    A transport error puts the row back to pending and is raised again, so the
    caller (a Celery task) can retry. An email that can never be sent is marked failed.
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
    # "sending" and is not sent again: at most once, never twice.
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
