"""Choosing a ballot when asking for help: a search that works without JavaScript, or naming a new ballot."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.ballots import merge_ballot, search_ballots
from candidates.elections import Timetable
from candidates.models import Candidate, Election
from candidates.tests.factories import CandidateFactory, ElectionFactory
from candidates.tests.test_signup import SIGNUP_URL, assert_nothing_saved, valid_signup


@pytest.fixture
def acocks_green(db):
    return ElectionFactory(council="Birmingham", ward="Acocks Green", polling_day=timezone.localdate() + timedelta(50))


def chosen(election, **overrides):
    """Signup data choosing this ballot from the search, with the named-ballot fields left empty."""
    data = valid_signup(council="", ward="", polling_day="", election=str(election.pk), **overrides)
    return data


@pytest.mark.django_db
def test_search_finds_confirmed_upcoming_ballots(acocks_green):
    ElectionFactory(council="Birmingham", ward="Acocks Lane", is_confirmed=False)
    ElectionFactory(council="Birmingham", ward="Acocks Old", polling_day=timezone.localdate() - timedelta(1))
    ElectionFactory(council="Leeds", ward="Armley")

    assert list(search_ballots("acocks")) == [acocks_green]
    assert list(search_ballots("ACOCKS GREEN")) == [acocks_green]
    assert list(search_ballots("acocks-green")) == [acocks_green]
    assert acocks_green in search_ballots("Birmingham")
    assert list(search_ballots("a")) == [], "one letter matches too much to be useful"


@pytest.mark.django_db
def test_search_by_get_lists_choices(client, acocks_green):
    response = client.get(SIGNUP_URL, {"q": "acocks"})

    content = response.content.decode()
    assert response.status_code == 200
    assert f'value="{acocks_green.pk}"' in content
    assert "Birmingham, Acocks Green, polling day" in content
    assert "Key dates for this ballot" in content, "the only result is chosen, so its timetable shows"
    deadline = acocks_green.postal_vote_deadline
    assert f"a website by {deadline:%-d %B} (deadline to apply for a postal vote)" in content


@pytest.mark.django_db
def test_search_button_keeps_answers_and_saves_nothing(client, acocks_green):
    data = valid_signup(ward="", polling_day="", ballot_query="Acocks", find_ballot="1", full_name="Asha Patel")

    response = client.post(SIGNUP_URL, data)

    content = response.content.decode()
    assert response.status_code == 200
    assert 'value="Asha Patel"' in content
    assert f'value="{acocks_green.pk}"' in content
    assert "There is a problem" not in content
    assert_nothing_saved_but(acocks_green)


def assert_nothing_saved_but(election):
    assert list(Election.objects.all()) == [election]
    assert Candidate.objects.count() == 0


@pytest.mark.django_db
def test_enter_in_search_box_searches(client, acocks_green):
    response = client.post(SIGNUP_URL, valid_signup(ward="", polling_day="", ballot_query="acocks"))

    content = response.content.decode()
    assert f'value="{acocks_green.pk}"' in content
    assert "There is a problem" not in content
    assert_nothing_saved_but(acocks_green)


@pytest.mark.django_db
def test_search_with_no_match_says_so(client):
    response = client.post(SIGNUP_URL, valid_signup(ward="", polling_day="", ballot_query="Nowhere", find_ballot="1"))

    assert "No upcoming ballot matches “Nowhere”" in response.content.decode()


@pytest.mark.django_db
def test_chosen_ballot_is_used(client, acocks_green):
    response = client.post(SIGNUP_URL, chosen(acocks_green))

    assert response.status_code == 302
    candidate = Candidate.objects.get()
    assert candidate.election == acocks_green
    assert Election.objects.count() == 1


@pytest.mark.django_db
def test_needed_by_checked_against_chosen_ballot(client, acocks_green):
    late = (acocks_green.polling_day + timedelta(days=1)).isoformat()

    response = client.post(SIGNUP_URL, chosen(acocks_green, **{"requests-0-needed_by": late}))

    assert "on or before polling day" in response.content.decode()
    assert Candidate.objects.count() == 0


@pytest.mark.django_db
def test_named_ballot_waits_for_confirmation(client):
    client.post(SIGNUP_URL, valid_signup(ward="Ladywood", is_by_election="on"))

    election = Election.objects.get()
    assert election.ballot_id.startswith("local.birmingham.ladywood.by.")
    assert election.is_by_election
    assert not election.is_confirmed
    assert election.source == Election.Source.CANDIDATE
    assert election.close_of_nominations is not None


@pytest.mark.django_db
def test_named_ballot_that_exists_joins_it(client, acocks_green):
    data = valid_signup(
        council="Birmingham City Council", ward="ACOCKS GREEN", polling_day=str(acocks_green.polling_day)
    )

    client.post(SIGNUP_URL, data)

    assert Candidate.objects.get().election == acocks_green
    acocks_green.refresh_from_db()
    assert acocks_green.is_confirmed


@pytest.mark.django_db
def test_named_mayoral_ballot_needs_no_ward(client):
    response = client.post(SIGNUP_URL, valid_signup(election_type="mayor", council="West Midlands", ward=""))

    assert response.status_code == 302
    assert Election.objects.get().ballot_id.startswith("mayor.west-midlands.")


BALLOT_BAD_INPUTS = [
    ({"election": "999999"}, "election", "no longer open"),
    ({"election": "abc"}, "election", "no longer open"),
    ({"election_type": "sp"}, "election_type", "Choose a Scottish Parliament ballot from the search"),
    ({"election_type": "referendum"}, "election_type", "Select a valid choice"),
    ({"ward": "", "polling_day": "2027-05-06"}, "ward", "Enter the ward"),
    ({"council": "张伟"}, "council", "Enter the council&#x27;s name in letters and numbers"),
    ({"ward": "!!!"}, "ward", "Enter the ward or division&#x27;s name"),
    ({"polling_day": ""}, "polling_day", "Enter polling day"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "message"), BALLOT_BAD_INPUTS)
def test_bad_ballot_input_is_rejected(client, overrides, field, message):
    response = client.post(SIGNUP_URL, valid_signup(**overrides))

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert f'href="#id_{field}' in content
    assert_nothing_saved()


@pytest.mark.django_db
def test_unconfirmed_ballot_cannot_be_chosen(client):
    unconfirmed = ElectionFactory(is_confirmed=False)

    response = client.post(SIGNUP_URL, chosen(unconfirmed))

    content = response.content.decode()
    assert "no longer open" in content
    assert 'id="id_election_0"' in content, "the summary's link has somewhere to go"
    assert content.count("no longer open") == 2, "beside the field as well as in the summary"
    assert Candidate.objects.count() == 0


@pytest.mark.django_db
def test_merge_moves_candidates():
    duplicate = ElectionFactory(is_confirmed=False)
    right = ElectionFactory()
    candidate = CandidateFactory(election=duplicate)

    moved = merge_ballot(duplicate=duplicate, into=right)

    candidate.refresh_from_db()
    assert moved == 1
    assert candidate.election == right
    assert not Election.objects.filter(pk=duplicate.pk).exists()


@pytest.fixture
def signed_in_candidate(client, acocks_green):
    candidate = CandidateFactory(election=acocks_green)
    client.force_login(candidate.user)
    return candidate


@pytest.mark.django_db
def test_add_request_suggests_needed_by(client, signed_in_candidate, acocks_green):
    response = client.get(reverse("add_help_request"), {"skill_area": "engineering"})

    content = response.content.decode()
    deadline = acocks_green.postal_vote_deadline
    assert f'value="{deadline.isoformat()}"' in content
    assert Timetable.LABELS["postal_vote_application_deadline"].lower() in content
    engineering_radio = re.search(r'<input type="radio"[^>]*value="engineering"[^>]*>', content).group(0)
    assert "checked" in engineering_radio


@pytest.mark.django_db
def test_add_request_ignores_unknown_skill(client, signed_in_candidate):
    response = client.get(reverse("add_help_request"), {"skill_area": "<script>"})

    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_my_requests_shows_key_dates_and_days_left(client, signed_in_candidate, acocks_green):
    from candidates.tests.factories import HelpRequestFactory

    today = timezone.localdate()
    HelpRequestFactory(candidate=signed_in_candidate, needed_by=today + timedelta(days=3))

    content = client.get(reverse("my_requests")).content.decode()

    assert "Key dates for this ballot" in content
    assert "Deadline to apply for a postal vote" in content
    assert "<dt>Days left</dt>" in content
    assert "<dd>3, counting" in content
