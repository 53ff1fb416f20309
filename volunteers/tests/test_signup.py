"""Volunteer signup: one form creates the account and the profile, or saves nothing."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import Consent, User
from volunteers.models import Volunteer

SIGNUP_URL = reverse("volunteer_signup")


def valid_signup(**overrides):
    today = timezone.localdate()
    data = {
        "email": "jane.doe@example.org",
        "password1": "correct-horse-battery-staple",
        "password2": "correct-horse-battery-staple",
        "full_name": "Jane Doe",
        "postcode": "b11ay",
        "skill_video": "3",
        "skill_data": "",
        "skill_engineering": "",
        "skill_social_media": "",
        "work_mode": "both",
        "travel_radius_miles": "10",
        "hours_per_week": "5",
        "available_from": today.isoformat(),
        "available_until": "",
        "max_active_matches": "1",
        "bio": "Video editor.",
        "links": "https://example.org/portfolio\nhttps://github.com/janedoe",
        "party_relationship": "",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return data


def assert_nothing_saved():
    assert User.objects.count() == 0
    assert Volunteer.objects.count() == 0
    assert Consent.objects.count() == 0


@pytest.mark.django_db
def test_signup_creates_account_profile_and_consent(client):
    response = client.post(SIGNUP_URL, valid_signup())

    assert response.status_code == 302
    volunteer = Volunteer.objects.get()
    assert volunteer.user.email == "jane.doe@example.org"
    assert volunteer.postcode == "B1 1AY"
    assert (volunteer.easting, volunteer.northing) == (406523, 286448)
    assert volunteer.local_authority_code == "E08000025"
    assert {(skill.area, skill.level) for skill in volunteer.skills.all()} == {("video", 3)}
    assert list(volunteer.links.values_list("url", flat=True)) == [
        "https://example.org/portfolio",
        "https://github.com/janedoe",
    ]
    consent = Consent.objects.get(user=volunteer.user)
    assert consent.purpose == Consent.Purpose.PRIVACY_NOTICE
    assert consent.notice_version
    assert not EmailAddress.objects.get(user=volunteer.user).verified
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].body.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["sw1a 1aa", "SW1A1AA", "  sw1a   1aa "])
def test_postcode_is_normalised(client, raw):
    client.post(SIGNUP_URL, valid_signup(postcode=raw))
    assert Volunteer.objects.get().postcode == "SW1A 1AA"


BAD_INPUTS = [
    ({"postcode": "QA1 1AA"}, "postcode", "not a valid UK postcode"),
    ({"postcode": "AB1 1CI"}, "postcode", "not a valid UK postcode"),
    ({"postcode": "SW1A 1A"}, "postcode", "not a valid UK postcode"),
    ({"postcode": "12345"}, "postcode", "not a valid UK postcode"),
    ({"postcode": ""}, "postcode", "This field is required"),
    ({"postcode": "B99 9ZZ"}, "postcode", "couldn&#x27;t find the postcode B99 9ZZ"),
    ({"postcode": "JE2 3AB"}, "postcode", "Jersey"),
    ({"postcode": "GY1 1AA"}, "postcode", "Guernsey"),
    ({"postcode": "IM1 1AA"}, "postcode", "Isle of Man"),
    ({"postcode": "BT1 5GS"}, "postcode", "Northern Ireland"),
    ({"postcode": "GIR 0AA"}, "postcode", "has no location"),
    ({"postcode": "BFPO 801"}, "postcode", "has no location"),
    ({"skill_video": ""}, "skill_social_media", "Choose at least one skill"),
    ({"hours_per_week": "0"}, "hours_per_week", "Enter at least 1 hour"),
    ({"hours_per_week": "-3"}, "hours_per_week", "Enter at least 1 hour"),
    ({"hours_per_week": "1e9"}, "hours_per_week", "whole number"),
    ({"hours_per_week": "ten"}, "hours_per_week", "whole number"),
    ({"hours_per_week": "999999999999"}, "hours_per_week", "no more than 60"),
    ({"travel_radius_miles": ""}, "travel_radius_miles", "how far you will travel"),
    ({"links": "javascript:alert(1)"}, "links", "is not a web link"),
    ({"links": "ftp://example.org/file"}, "links", "is not a web link"),
    ({"bio": "x" * 1001}, "bio", "at most 1000 characters"),
    ({"full_name": "x" * 151}, "full_name", "at most 150 characters"),
    ({"full_name": ""}, "full_name", "Enter your full name"),
    ({"privacy_consent": ""}, "privacy_consent", "agree to the privacy notice"),
    ({"party_relationship": "member"}, "party_consent", "Without your consent we store nothing"),
    ({"email": "not-an-email"}, "email", "valid email"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUTS)
def test_bad_input_is_rejected_with_message(client, overrides, field, message):
    response = client.post(SIGNUP_URL, valid_signup(**overrides))

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert f'href="#id_{field}"' in content, "the error summary links to the field"
    assert_nothing_saved()


@pytest.mark.django_db
def test_available_until_before_from_names_the_dates(client):
    today = timezone.localdate()
    response = client.post(
        SIGNUP_URL,
        valid_signup(
            available_from=(today + timedelta(days=10)).isoformat(),
            available_until=(today + timedelta(days=5)).isoformat(),
        ),
    )
    assert "Available until must be on or after available from" in response.content.decode()
    assert_nothing_saved()


@pytest.mark.django_db
def test_bad_input_keeps_what_was_typed(client):
    response = client.post(SIGNUP_URL, valid_signup(postcode="QA1 1AA", bio="I edit video for charities."))
    content = response.content.decode()
    assert 'value="QA1 1AA"' in content
    assert "I edit video for charities." in content
    assert 'value="jane.doe@example.org"' in content


@pytest.mark.django_db
def test_remote_only_volunteer_may_keep_northern_irish_postcode(client):
    response = client.post(SIGNUP_URL, valid_signup(postcode="BT1 5GS", work_mode="remote", travel_radius_miles=""))
    assert response.status_code == 302
    volunteer = Volunteer.objects.get()
    assert volunteer.postcode == "BT1 5GS"
    assert volunteer.easting is None
    assert volunteer.grid == ""


@pytest.mark.django_db
def test_remote_only_volunteer_may_keep_bfpo(client):
    client.post(SIGNUP_URL, valid_signup(postcode="BFPO 801", work_mode="remote", travel_radius_miles=""))
    assert Volunteer.objects.get().easting is None


@pytest.mark.django_db
def test_party_relationship_kept_only_with_consent(client):
    client.post(SIGNUP_URL, valid_signup(party_relationship="member", party_consent="on"))
    volunteer = Volunteer.objects.get()
    assert volunteer.party_relationship == "member"
    assert Consent.objects.filter(user=volunteer.user, purpose=Consent.Purpose.PARTY_SUPPORT, given=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Siobhán O'Neill-Ní Bhriain", "张伟", "محمد علي", "<script>alert(1)</script>"])
def test_names_stored_exactly_and_shown_escaped(client, name):
    client.post(SIGNUP_URL, valid_signup(full_name=name, bio="<b>bold</b> <script>alert(1)</script>"))
    volunteer = Volunteer.objects.get()
    assert volunteer.full_name == name
    assert volunteer.bio == "<b>bold</b> <script>alert(1)</script>"

    EmailAddress.objects.filter(user=volunteer.user).update(verified=True)
    client.force_login(volunteer.user)
    content = client.get(reverse("volunteer_profile")).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


@pytest.mark.django_db
def test_email_with_plus_tag_and_capitals_logs_in_any_case(client):
    client.post(SIGNUP_URL, valid_signup(email="Jane.Doe+tfl@Example.COM"))
    user = User.objects.get()
    assert user.email == "jane.doe+tfl@example.com"
    EmailAddress.objects.filter(user=user).update(verified=True)

    response = client.post(
        reverse("account_login"), {"login": "JANE.DOE+TFL@example.com", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


@pytest.mark.django_db
def test_second_signup_with_same_email_in_other_case_creates_nothing(client):
    first = client.post(SIGNUP_URL, valid_signup(email="Jane.Doe+tfl@Example.COM"))
    mail.outbox.clear()
    # allauth sends one email an address every three minutes; the cache holds that limit.
    cache.clear()

    second = client.post(SIGNUP_URL, valid_signup(email="JANE.DOE+TFL@example.com", full_name="Someone Else"))

    assert User.objects.count() == 1
    assert Volunteer.objects.count() == 1
    assert Volunteer.objects.get().full_name == "Jane Doe"
    assert second.status_code == first.status_code
    assert second["Location"] == first["Location"], "the same neutral response, so nobody learns who is registered"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jane.doe+tfl@example.com"]
    assert "already" in mail.outbox[0].body.lower()


@pytest.mark.django_db
def test_signup_log_holds_no_personal_data(client, caplog):
    with caplog.at_level("INFO"):
        client.post(SIGNUP_URL, valid_signup(full_name="Zebedee Quill", email="zebedee@example.org"))
    assert Volunteer.objects.count() == 1
    for record in caplog.records:
        assert "Zebedee" not in record.getMessage()
        assert "zebedee@example.org" not in record.getMessage()


@pytest.mark.django_db
def test_missing_account_fields_named_in_order(client):
    response = client.post(SIGNUP_URL, valid_signup(email="", password1="", password2="", postcode="QA1 1AA"))
    content = response.content.decode()

    assert "Enter your email address." in content
    assert "Enter a password." in content
    positions = [content.index(f'href="#id_{name}"') for name in ("email", "password1", "postcode")]
    assert positions == sorted(positions), "the error summary follows the order of the page"
    assert_nothing_saved()
