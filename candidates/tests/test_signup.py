"""Asking for help: the account, the campaign and its requests are saved together or not at all."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from candidates.models import Candidate, Election, HelpRequest

SIGNUP_URL = reverse("candidate_signup")


def valid_signup(requests=None, **overrides):
    today = timezone.localdate()
    requests = requests or [{}]
    data = {
        "email": "agent@example.org",
        "password1": "correct-horse-battery-staple",
        "password2": "correct-horse-battery-staple",
        "role": "candidate",
        "full_name": "Asha Patel",
        "contact_name": "",
        "phone": "0121 496 0000",
        "postcode": "B1 1AY",
        "council": "",
        "ward": "Ladywood",
        "polling_day": (today + timedelta(days=60)).isoformat(),
        "privacy_consent": "on",
        "requests-TOTAL_FORMS": str(len(requests)),
        "requests-INITIAL_FORMS": "0",
        "requests-MIN_NUM_FORMS": "1",
        "requests-MAX_NUM_FORMS": "8",
    }
    for index, request_overrides in enumerate(requests):
        request_data = {
            "skill_area": "engineering",
            "description": "A one-page website with our pledges.",
            "estimated_hours": "4",
            "needed_by": (today + timedelta(days=30)).isoformat(),
            "work_mode": "either",
        }
        request_data.update(request_overrides)
        data.update({f"requests-{index}-{key}": value for key, value in request_data.items()})
    data.update(overrides)
    return data


def assert_nothing_saved():
    assert User.objects.count() == 0
    assert Candidate.objects.count() == 0
    assert Election.objects.count() == 0
    assert HelpRequest.objects.count() == 0


@pytest.mark.django_db
def test_signup_with_two_requests(client):
    response = client.post(SIGNUP_URL, valid_signup(requests=[{}, {"skill_area": "video", "work_mode": "in_person"}]))

    assert response.status_code == 302
    candidate = Candidate.objects.get()
    assert candidate.user.email == "agent@example.org"
    assert candidate.election.council == "Birmingham", "filled in from the campaign postcode"
    assert candidate.election.ward == "Ladywood"
    assert (candidate.easting, candidate.northing) == (406523, 286448)
    assert sorted(candidate.help_requests.values_list("skill_area", flat=True)) == ["engineering", "video"]


@pytest.mark.django_db
def test_candidates_in_one_ward_share_the_ballot(client):
    client.post(SIGNUP_URL, valid_signup())
    client.logout()
    client.post(SIGNUP_URL, valid_signup(email="second@example.org", full_name="Ben Ode", ward="LADYWOOD"))
    assert Candidate.objects.count() == 2
    assert Election.objects.count() == 1


@pytest.mark.django_db
def test_add_another_request_keeps_answers_and_saves_nothing(client):
    data = valid_signup(add_request="1", full_name="Asha Patel")
    response = client.post(SIGNUP_URL, data)

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="requests-1-description"' in content
    assert 'value="Asha Patel"' in content
    assert "There is a problem" not in content
    assert_nothing_saved()


BAD_INPUTS = [
    ({"postcode": "QA1 1AA"}, "postcode", "not a valid UK postcode"),
    ({"postcode": "B99 9ZZ"}, "postcode", "couldn&#x27;t find the postcode"),
    ({"postcode": "BT1 5GS"}, "postcode", "Northern Ireland"),
    ({"postcode": "JE2 3AB"}, "postcode", "Jersey"),
    ({"postcode": "GIR 0AA"}, "postcode", "has no location"),
    ({"polling_day": "2020-05-07"}, "polling_day", "Polling day must be in the future"),
    ({"polling_day": "31/02/2027"}, "polling_day", "real date"),
    ({"ward": ""}, "ward", "Enter the ward"),
    ({"phone": "call me"}, "phone", "Enter a UK phone number"),
    ({"role": "agent"}, "contact_name", "Enter your own name"),
    ({"full_name": "x" * 151}, "full_name", "at most 150 characters"),
    ({"privacy_consent": ""}, "privacy_consent", "agree to the privacy notice"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUTS)
def test_bad_campaign_input_is_rejected(client, overrides, field, message):
    response = client.post(SIGNUP_URL, valid_signup(**overrides))

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert f'href="#id_{field}"' in content
    assert_nothing_saved()


def request_bad_inputs():
    today = timezone.localdate()
    return [
        ({"needed_by": (today + timedelta(days=61)).isoformat()}, "needed_by", "on or before polling day"),
        ({"needed_by": (today - timedelta(days=1)).isoformat()}, "needed_by", "today or in the future"),
        ({"estimated_hours": "0"}, "estimated_hours", "Enter at least 1 hour"),
        ({"estimated_hours": "-3"}, "estimated_hours", "Enter at least 1 hour"),
        ({"estimated_hours": "1e9"}, "estimated_hours", "whole number"),
        ({"estimated_hours": "ten"}, "estimated_hours", "whole number"),
        ({"skill_area": ""}, "skill_area", "Choose the kind of help"),
        ({"description": ""}, "description", "Describe what you need"),
        ({"description": "x" * 2001}, "description", "at most 2000 characters"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "message"), request_bad_inputs())
def test_bad_request_input_is_rejected(client, overrides, field, message):
    response = client.post(SIGNUP_URL, valid_signup(requests=[{}, overrides]))

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert f'href="#id_requests-1-{field}' in content, "the error summary links to the field"
    assert_nothing_saved()


@pytest.mark.django_db
def test_html_in_request_is_stored_as_text_and_escaped(client):
    description = "<script>alert(1)</script> please"
    client.post(SIGNUP_URL, valid_signup(requests=[{"description": description}]))
    help_request = HelpRequest.objects.get()
    assert help_request.description == description

    candidate = help_request.candidate
    client.force_login(candidate.user)
    content = client.get(reverse("my_requests")).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt; please" in content
    assert "Looking for a volunteer" in content


@pytest.mark.django_db
def test_my_requests_needs_a_campaign(client, django_user_model):
    user = django_user_model.objects.create_user("someone@example.org", "correct-horse-battery-staple")
    client.force_login(user)
    assert client.get(reverse("my_requests")).status_code == 404


@pytest.mark.django_db
def test_my_requests_needs_sign_in(client):
    response = client.get(reverse("my_requests"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
