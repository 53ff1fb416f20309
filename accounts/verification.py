"""
Email verification rules that matching relies on.

allauth keeps verification on its EmailAddress rows. A volunteer with no
verified address is never suggested (Volunteer.objects.matchable), and the
requests of a campaign whose account has no verified address wait: matching
leaves them without suggestions until the address is confirmed.
"""

import logging

from allauth.account.models import EmailAddress
from django.db.models import Exists, Q

logger = logging.getLogger(__name__)


def has_verified_email(user) -> bool:
    if user is None:
        return False
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def verified_addresses(user_id: int):
    """Return the verified email addresses of one account, as a queryset to use in Exists()."""
    return EmailAddress.objects.filter(user_id=user_id, verified=True)


def candidate_may_be_matched(candidate) -> bool:
    """False while the campaign's account has not confirmed its email address.

    A campaign with no account at all (entered by an organiser) has no address
    to confirm, so its requests are matched.
    """
    if candidate.user_id is None:
        return True
    return verified_addresses(candidate.user_id).exists()


def campaign_may_be_matched(candidate) -> Q:
    """Return candidate_may_be_matched as a filter, so that ranking checks it inside its single query."""
    if candidate.user_id is None:
        return Q()
    return Q(Exists(verified_addresses(candidate.user_id)))


def queue_refresh_after_verification(*, user) -> None:
    """Queue new suggestions for what this confirmation unblocks: the volunteer, and the campaign's open requests."""
    from candidates.models import HelpRequest
    from matching import tasks

    volunteer = getattr(user, "volunteer", None)
    if volunteer is not None and volunteer.anonymised_at is None:
        tasks.refresh_suggestions_for_volunteer.delay_on_commit(volunteer.pk)

    candidate = getattr(user, "candidate", None)
    if candidate is not None and candidate.anonymised_at is None:
        request_ids = list(HelpRequest.objects.open().filter(candidate=candidate).values_list("pk", flat=True))
        for help_request_id in request_ids:
            tasks.refresh_suggestions_for_request.delay_on_commit(help_request_id)
        logger.info(
            "Queued suggestions for %d requests of candidate %s after verification", len(request_ids), candidate.pk
        )
