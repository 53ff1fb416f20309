"""Each factory builds a row that passes model validation, so other tests can rely on them."""

import pytest
from allauth.account.models import EmailAddress

from candidates.models import HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching.models import Match
from matching.postcodes import lookup_postcode
from matching.tests.factories import MatchFactory
from volunteers.models import Volunteer
from volunteers.tests.factories import DEFAULT_PASSWORD, UserFactory, VolunteerFactory, VolunteerSkillFactory

pytestmark = pytest.mark.django_db


def test_user_factory_is_valid():
    user = UserFactory()

    user.full_clean()
    assert user.check_password(DEFAULT_PASSWORD)
    assert not user.is_staff


def test_user_factory_verifies_email():
    user = UserFactory()

    address = EmailAddress.objects.get(user=user)
    assert address.email == user.email
    assert address.primary
    assert address.verified


def test_user_factory_unverified():
    user = UserFactory(verified=False)

    assert not EmailAddress.objects.get(user=user).verified


def test_user_factory_organiser_trait():
    user = UserFactory(organiser=True)

    assert user.is_staff


def test_volunteer_factory_is_valid():
    volunteer = VolunteerFactory()

    volunteer.full_clean()
    volunteer.user.full_clean()
    assert dict(volunteer.skills.values_list("area", "level")) == {"engineering": 2}


def test_volunteer_factory_is_matchable():
    volunteer = VolunteerFactory()

    assert Volunteer.objects.matchable().filter(pk=volunteer.pk).exists()


def test_volunteer_factory_custom_skills():
    volunteer = VolunteerFactory(skills={"video": 3, "data": 1})

    assert dict(volunteer.skills.values_list("area", "level")) == {"video": 3, "data": 1}


def test_volunteer_factory_location_matches_directory():
    volunteer = VolunteerFactory()

    location = lookup_postcode(volunteer.postcode)
    assert location.postcode == volunteer.postcode
    assert location.grid == volunteer.grid
    assert location.easting == volunteer.easting
    assert location.northing == volunteer.northing
    assert location.local_authority_code == volunteer.local_authority_code


def test_volunteer_skill_factory_is_valid():
    skill = VolunteerSkillFactory()

    skill.full_clean()
    assert skill.volunteer.skills.count() == 1


def test_election_factory_is_valid():
    election = ElectionFactory()

    election.full_clean()


def test_election_factory_wards_differ():
    first, second = ElectionFactory(), ElectionFactory()

    assert first.ward != second.ward


def test_candidate_factory_is_valid():
    candidate = CandidateFactory()

    candidate.full_clean()
    candidate.user.full_clean()
    assert EmailAddress.objects.filter(user=candidate.user, verified=True).exists()


def test_help_request_factory_is_valid():
    help_request = HelpRequestFactory()

    help_request.full_clean()
    assert help_request.status == HelpRequest.Status.OPEN
    assert help_request.needed_by <= help_request.candidate.election.polling_day


def test_match_factory_is_valid():
    match = MatchFactory()

    match.full_clean()
    assert match.status == Match.Status.SUGGESTED
    assert match.volunteer.user_id != match.help_request.candidate.user_id
