"""Writes to campaigns and their help requests."""

import logging

from django.conf import settings
from django.db import transaction

from accounts.models import Consent

from .models import Candidate, Election, HelpRequest

logger = logging.getLogger(__name__)


def find_or_create_election(
    *,
    council: str,
    ward: str,
    polling_day,
    election_type: str = Election.Type.LOCAL,
    is_by_election: bool = False,
    source: str = Election.Source.ORGANISER,
    is_confirmed: bool = True,
) -> Election:
    """Return the ballot for this ward and polling day, shared by every candidate standing in it.

    Raise `candidates.elections.BallotIdError` when the names do not make a ballot identifier.
    """
    from .ballots import get_or_create_ballot

    election, _ = get_or_create_ballot(
        council=council,
        ward=ward,
        polling_day=polling_day,
        election_type=election_type,
        is_by_election=is_by_election,
        source=source,
        is_confirmed=is_confirmed,
    )
    return election


@transaction.atomic
def create_candidate(*, user, data: dict, help_requests: list[dict]) -> Candidate:
    """Create a campaign for a new account, with its first help requests."""
    # A ballot chosen from the search, or else the one the person named, which
    # waits for an organiser to confirm it unless it is already known.
    election = data.get("election") or find_or_create_election(
        council=data["council"],
        ward=data["ward"],
        polling_day=data["polling_day"],
        election_type=data.get("election_type") or Election.Type.LOCAL,
        is_by_election=data.get("is_by_election", False),
        source=Election.Source.CANDIDATE,
        is_confirmed=False,
    )
    location = data["postcode"]
    fields = {
        "full_name": data["full_name"],
        "contact_name": data.get("contact_name", ""),
        "role": data["role"],
        "election": election,
        "phone": data.get("phone", ""),
        "postcode": location.postcode,
        "grid": location.grid,
        "easting": location.easting,
        "northing": location.northing,
        "local_authority_code": location.local_authority_code,
    }
    if data.get("imported_candidate") is not None:
        from .invitations import link_imported_candidate

        candidate = link_imported_candidate(candidate=data["imported_candidate"], user=user, fields=fields)
    else:
        candidate = Candidate.objects.create(user=user, **fields)
    user.first_name = (data.get("contact_name") or data["full_name"])[:150]
    user.save(update_fields=["first_name"])

    Consent.objects.create(
        user=user,
        purpose=Consent.Purpose.PRIVACY_NOTICE,
        notice_version=settings.PRIVACY_NOTICE_VERSION,
        method=Consent.Method.SIGNUP_FORM,
    )
    for request_data in help_requests:
        if request_data:
            add_help_request(candidate=candidate, data=request_data)

    logger.info("Candidate %s registered with %d help requests", candidate.pk, candidate.help_requests.count())
    return candidate


def add_help_request(*, candidate: Candidate, data: dict) -> HelpRequest:
    """Save a help request and queue its suggestions once the transaction commits."""
    from matching.tasks import refresh_suggestions_for_request

    help_request = HelpRequest.objects.create(
        candidate=candidate,
        skill_area=data["skill_area"],
        description=data["description"],
        estimated_hours=data["estimated_hours"],
        needed_by=data["needed_by"],
        work_mode=data["work_mode"],
    )
    refresh_suggestions_for_request.delay_on_commit(help_request.pk)
    logger.info("Help request %s added for candidate %s", help_request.pk, candidate.pk)
    return help_request
