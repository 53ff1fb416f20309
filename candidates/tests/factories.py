"""Factories for elections, campaigns and their help requests, at the same Birmingham postcode as volunteers."""

import factory

from candidates.elections import build_ballot_id
from candidates.models import Candidate, Election, HelpRequest
from volunteers.tests.factories import (
    BIRMINGHAM_CODE,
    BIRMINGHAM_EASTING,
    BIRMINGHAM_NORTHING,
    BIRMINGHAM_POSTCODE,
    FAKER_LOCALE,
    UserFactory,
    days_from_today,
)


class ElectionFactory(factory.django.DjangoModelFactory):
    """A local ballot in a Birmingham ward with polling day 60 days from today. Each row gets its own ward name.

    The ballot identifier is built from the other fields, as signup builds it.
    """

    election_type = Election.Type.LOCAL
    council = "Birmingham"
    ward = factory.Sequence(lambda n: f"Ward {n}")
    polling_day = days_from_today(60)
    is_by_election = False
    country = Election.Country.ENGLAND
    ballot_id = factory.LazyAttribute(
        lambda election: build_ballot_id(
            election_type=election.election_type,
            polling_day=election.polling_day,
            organisation=election.council,
            division=election.ward,
            subtype=election.subtype,
            is_by_election=election.is_by_election,
        )
    )
    subtype = ""

    class Meta:
        model = Election


class CandidateFactory(factory.django.DjangoModelFactory):
    user = factory.SubFactory(UserFactory)
    full_name = factory.Faker("name", locale=FAKER_LOCALE)
    role = Candidate.Role.CANDIDATE
    election = factory.SubFactory(ElectionFactory)
    phone = factory.Faker("cellphone_number", locale=FAKER_LOCALE)
    postcode = BIRMINGHAM_POSTCODE
    grid = "gb"
    easting = BIRMINGHAM_EASTING
    northing = BIRMINGHAM_NORTHING
    local_authority_code = BIRMINGHAM_CODE

    class Meta:
        model = Candidate


class HelpRequestFactory(factory.django.DjangoModelFactory):
    """An open request for engineering work, in person or remote, needed 30 days from today."""

    candidate = factory.SubFactory(CandidateFactory)
    skill_area = "engineering"
    description = "Build a one-page campaign website with a form for signing up to help."
    estimated_hours = 4
    needed_by = days_from_today(30)
    work_mode = HelpRequest.WorkMode.EITHER
    status = HelpRequest.Status.OPEN

    class Meta:
        model = HelpRequest
