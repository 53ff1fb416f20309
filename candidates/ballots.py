"""Finding, naming, confirming and merging ballots."""

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from uk_election_ids.slugger import slugify

from .elections import build_ballot_id, infer_country
from .models import Candidate, Election

logger = logging.getLogger(__name__)

MAX_SEARCH_RESULTS = 20
MIN_QUERY_LENGTH = 2


def search_ballots(query: str, *, today: date | None = None):
    """Return confirmed ballots from today on whose council, ward or identifier contains the query.

    An empty or one-letter query returns no ballots rather than all of them.
    """
    query = " ".join(query.split())
    if len(query) < MIN_QUERY_LENGTH:
        return Election.objects.none()
    matches = Q(council__icontains=query) | Q(ward__icontains=query)
    slug = slugify(query)
    if slug:
        matches |= Q(ballot_id__contains=slug)
    return (
        Election.objects.confirmed()
        .upcoming(today)
        .filter(matches)
        .order_by("polling_day", "council", "ward", "id")[:MAX_SEARCH_RESULTS]
    )


def get_or_create_ballot(
    *,
    council: str,
    ward: str,
    polling_day: date,
    election_type: str = Election.Type.LOCAL,
    subtype: str = "",
    is_by_election: bool = False,
    country: str | None = None,
    source: str = Election.Source.ORGANISER,
    is_confirmed: bool = True,
) -> tuple[Election, bool]:
    """Return the ballot these details name, creating it if it is new.

    Two spellings of one ward ("Ladywood", "LADYWOOD") build the same identifier,
    so they share one ballot. Raise `candidates.elections.BallotIdError` when the
    details do not name a ballot.
    """
    council = council.strip()
    ward = ward.strip()
    ballot_id = build_ballot_id(
        election_type=election_type,
        polling_day=polling_day,
        organisation=council,
        division=ward,
        subtype=subtype,
        is_by_election=is_by_election,
    )
    existing = Election.objects.filter(ballot_id=ballot_id).first()
    if existing is not None:
        return existing, False

    election = Election(
        ballot_id=ballot_id,
        election_type=election_type,
        subtype=subtype,
        council=council,
        ward=ward,
        polling_day=polling_day,
        is_by_election=is_by_election,
        country=country or infer_country(election_type=election_type, organisation=council) or "england",
        source=source,
        is_confirmed=is_confirmed,
    )
    try:
        # A savepoint, so that losing a race with another signup for the same ballot
        # leaves the caller's transaction usable.
        with transaction.atomic():
            election.save()
    except IntegrityError:
        return Election.objects.get(ballot_id=ballot_id), False
    logger.info("Ballot %s created (%s)", election.pk, source)
    return election, True


def confirm_ballots(queryset) -> int:
    """Mark ballots as checked by an organiser, so candidates can find them in the search."""
    confirmed = queryset.filter(is_confirmed=False).update(is_confirmed=True)
    logger.info("Confirmed %d ballots", confirmed)
    return confirmed


@transaction.atomic
def merge_ballot(*, duplicate: Election, into: Election) -> int:
    """Move every candidate of a ballot named twice onto the right one, then delete the duplicate.

    Return how many candidates moved. Used when a candidate named a ballot that
    was already known under another spelling.
    """
    if duplicate.pk == into.pk:
        raise ValueError("A ballot cannot be merged into itself.")
    moved = Candidate.objects.filter(election=duplicate).update(election=into, updated_at=timezone.now())
    duplicate.delete()
    logger.info("Ballot %s merged into ballot %s: %d candidates moved", duplicate.pk, into.pk, moved)
    return moved
