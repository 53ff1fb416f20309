"""
Inviting an imported candidate to ask for help, and linking the account they
create to their imported record.

Imported candidates have no account. The invitation carries a link whose token
names the imported record, signed with SECRET_KEY by django.core.signing so it
cannot be altered. Signing up through it fills in that record instead of
creating a second one; the link then stops working because the record has an
account.
"""

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Candidate

logger = logging.getLogger(__name__)

SALT = "candidates.invitations"
INVITATION_DAYS = 60


class InvitationError(Exception):
    """An invitation that cannot be used or sent; `title` and the message are shown to the person."""

    title = "This invitation does not work"


class InvitationExpired(InvitationError):
    title = "This invitation has expired"


class InvitationUsed(InvitationError):
    title = "This invitation has already been used"


def make_token(candidate: Candidate) -> str:
    return signing.dumps({"c": candidate.pk}, salt=SALT)


def invitation_url(candidate: Candidate) -> str:
    return settings.SITE_URL + reverse("candidate_invitation", args=[make_token(candidate)])


def read_invitation(token: str) -> Candidate:
    """Return the imported candidate a token names, or raise an InvitationError saying why it cannot be used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=INVITATION_DAYS * 24 * 60 * 60)
    except signing.SignatureExpired:
        raise InvitationExpired(
            f"Invitations work for {INVITATION_DAYS} days. Ask the organisers for a new one, "
            "or ask for help without it."
        ) from None
    except signing.BadSignature:
        raise InvitationError("The link has been changed or cut short. Copy the whole link from the email.") from None

    candidate_id = data.get("c") if isinstance(data, dict) else None
    candidate = Candidate.objects.select_related("election").filter(pk=candidate_id).first()
    if candidate is None or candidate.anonymised_at is not None:
        raise InvitationError("The candidate it was for is no longer in our records.")
    if candidate.user_id is not None:
        raise InvitationUsed("An account has already been made with it. Sign in to see your requests.")
    return candidate


def invite_candidate(*, candidate: Candidate, email: str = "") -> Candidate:
    """Queue an invitation email to an imported candidate, at `email` or the address already held.

    Raise InvitationError when the candidate already has an account or there is no address.
    """
    from . import tasks

    if candidate.user_id is not None:
        raise InvitationError(f"Candidate #{candidate.pk} already has an account, so needs no invitation.")
    email = email.strip() or candidate.invitation_email
    if not email:
        raise InvitationError(f"Candidate #{candidate.pk} has no email address. Enter one to send the invitation.")

    Candidate.objects.filter(pk=candidate.pk).update(
        invitation_email=email, invited_at=timezone.now(), invitation_sent_at=None
    )
    candidate.refresh_from_db()
    tasks.send_candidate_invitation.delay_on_commit(candidate.pk)
    logger.info("Invitation queued for candidate %s", candidate.pk)
    return candidate


def send_invitation(candidate_id: int) -> bool:
    """Send a queued invitation once; return True when this call sent it.

    The row is claimed by setting `invitation_sent_at` only where it is empty, so
    a task that runs twice sends once. A transport error clears the claim and is
    raised again for the task to retry.
    """
    claimed = Candidate.objects.filter(
        pk=candidate_id, user__isnull=True, invited_at__isnull=False, invitation_sent_at__isnull=True
    ).update(invitation_sent_at=timezone.now())
    if claimed != 1:
        logger.info("Invitation for candidate %s is not waiting to be sent", candidate_id)
        return False

    candidate = Candidate.objects.select_related("election").get(pk=candidate_id)
    context = {
        "candidate": candidate,
        "election": candidate.election,
        "invitation_url": invitation_url(candidate),
        "invitation_days": INVITATION_DAYS,
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"Tech for Labour can help your campaign in {candidate.election.ward or candidate.election.council}",
        body=render_to_string("candidates/emails/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[candidate.invitation_email],
    )
    message.attach_alternative(render_to_string("candidates/emails/invitation.html", context), "text/html")
    try:
        message.send()
    except Exception:
        Candidate.objects.filter(pk=candidate_id).update(invitation_sent_at=None)
        logger.warning("Sending the invitation to candidate %s failed", candidate_id, exc_info=True)
        raise
    logger.info("Invitation sent to candidate %s", candidate_id)
    return True


def link_imported_candidate(*, candidate: Candidate, user, fields: dict) -> Candidate:
    """Give an imported candidate's record to the account just created, with the details from the signup form.

    The update only matches a record with no account, so when two people sign up
    with one link at once, the second raises InvitationUsed and their signup
    rolls back.
    """
    fields = {**fields, "election": candidate.election}
    linked = Candidate.objects.filter(pk=candidate.pk, user__isnull=True).update(
        user=user, updated_at=timezone.now(), **fields
    )
    if linked != 1:
        raise InvitationUsed("An account has already been made with this invitation.")
    logger.info("Imported candidate %s linked to user %s", candidate.pk, user.pk)
    return Candidate.objects.get(pk=candidate.pk)
