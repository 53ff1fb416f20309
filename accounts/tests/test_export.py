"""Subject access export: one click downloads everything held about the signed-in person."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.consents import set_news_consent
from accounts.models import Consent, PrivacyAuditEntry
from accounts.privacy import export_person
from accounts.tests.conftest import VOLUNTEER_NAME
from accounts.tests.helpers import enable_two_factor
from candidates.tests.factories import HelpRequestFactory
from matching import services
from matching.models import Match, OutgoingEmail
from matching.tests.factories import MatchFactory
from volunteers.tests.factories import VolunteerFactory

EXPORT_URL = reverse("export_personal_data")


def download(client) -> dict:
    response = client.post(EXPORT_URL)
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.django_db
def test_export_downloads_json_that_is_not_cached(client, signed_up_volunteer):
    response = client.post(EXPORT_URL)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tech-for-labour-my-data-')
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_export_contains_every_consent(client, signed_up_volunteer):
    user = signed_up_volunteer
    set_news_consent(user=user, given=False)
    set_news_consent(user=user, given=True)
    expected = list(Consent.objects.filter(user=user).order_by("recorded_at", "id"))
    assert len(expected) == 5

    consents = download(client)["consents"]

    assert len(consents) == len(expected)
    for exported, consent in zip(consents, expected, strict=True):
        assert exported["purpose"] == consent.purpose
        assert exported["given"] == consent.given
        assert exported["notice_version"] == consent.notice_version
        assert exported["method"] == consent.get_method_display()
        assert exported["recorded_at"] == timezone.localtime(consent.recorded_at).isoformat()


@pytest.mark.django_db
def test_export_contains_the_profile(client, signed_up_volunteer):
    data = download(client)

    assert data["account"]["email"] == "jane.doe+tfl@example.com"
    assert data["account"]["email_addresses"] == [
        {"email": "jane.doe+tfl@example.com", "verified": True, "primary": True}
    ]
    profile = data["volunteer_profile"]
    assert profile["full_name"] == VOLUNTEER_NAME
    assert profile["postcode"] == "B1 1AY"
    assert profile["party_relationship"] == "member"
    assert profile["party_relationship_label"] == "Member"
    assert profile["links"] == ["https://example.org/portfolio", "https://github.com/janedoe"]
    assert {skill["area"] for skill in profile["skills"]} == {"engineering", "video"}
    assert data["campaign"] is None


@pytest.mark.django_db
def test_export_contains_matches_and_emails_sent(client, signed_up_volunteer, organiser):
    volunteer = signed_up_volunteer.volunteer
    help_request = HelpRequestFactory(skill_area="engineering")
    services.refresh_suggestions(help_request=help_request)
    match = Match.objects.get(volunteer=volunteer)
    services.approve_match(match_id=match.pk, organiser=organiser)
    services.accept_offer(match_id=match.pk)

    data = download(client)

    [exported] = data["matches"]
    assert exported["id"] == match.pk
    assert exported["you_were"] == "volunteer"
    assert exported["status"] == Match.Status.ACCEPTED
    assert [event["action"] for event in exported["events"]] == ["match.approved", "match.accepted"]
    kinds = sorted(email["kind"] for email in data["emails_sent_to_you"])
    assert kinds == sorted([OutgoingEmail.Kind.OFFER, OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER])
    assert "candidate_email" not in json.dumps(data)
    assert help_request.candidate.full_name not in json.dumps(data), "the other side's details are not the person's own"
    assert [consent["purpose"] for consent in data["consents"]][-1] == Consent.Purpose.SHARE_WITH_CAMPAIGN


@pytest.mark.django_db
def test_export_for_a_campaign():
    match = MatchFactory(status=Match.Status.ACCEPTED)
    candidate = match.help_request.candidate
    OutgoingEmail.objects.create(match=match, kind=OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE)
    OutgoingEmail.objects.create(match=match, kind=OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER)

    data = export_person(candidate.user)

    assert data["campaign"]["full_name"] == candidate.full_name
    assert data["campaign"]["phone"] == candidate.phone
    assert data["campaign"]["election"]["ward"] == candidate.election.ward
    assert [request["id"] for request in data["campaign"]["help_requests"]] == [match.help_request_id]
    assert [row["you_were"] for row in data["matches"]] == ["campaign"]
    assert [email["kind"] for email in data["emails_sent_to_you"]] == [OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE]
    assert match.volunteer.full_name not in json.dumps(data)


@pytest.mark.django_db
def test_export_leaves_out_two_factor_secrets():
    user = VolunteerFactory().user
    enable_two_factor(user)

    data = export_person(user)

    assert [entry["type"] for entry in data["account"]["two_factor_authentication"]] == [
        "TOTP Authenticator",
        "Recovery codes",
    ]
    assert "secret" not in json.dumps(data).lower()
    assert "seed" not in json.dumps(data).lower()


@pytest.mark.django_db
def test_export_is_recorded(client, signed_up_volunteer):
    download(client)

    entry = PrivacyAuditEntry.objects.get()
    assert entry.action == PrivacyAuditEntry.Action.EXPORT
    assert entry.actor == signed_up_volunteer
    assert entry.subject_user_id == signed_up_volunteer.pk
    assert entry.row_count >= 5


@pytest.mark.django_db
def test_export_needs_post_and_sign_in(client, signed_up_volunteer):
    assert client.get(EXPORT_URL).status_code == 405
    client.logout()
    response = client.post(EXPORT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_organiser_exports_a_person_from_the_admin(organiser_client):
    person = VolunteerFactory(full_name="Amara Okafor").user

    response = organiser_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "export_personal_data", "_selected_action": [person.pk]},
    )

    assert response.status_code == 200
    assert json.loads(response.content)["volunteer_profile"]["full_name"] == "Amara Okafor"
    entry = PrivacyAuditEntry.objects.get()
    assert entry.actor == organiser_client.user
    assert entry.requested_by == PrivacyAuditEntry.RequestedBy.ORGANISER
    assert entry.subject_user_id == person.pk


@pytest.mark.django_db
def test_admin_export_takes_one_person_at_a_time(organiser_client):
    people = [VolunteerFactory().user.pk, VolunteerFactory().user.pk]

    response = organiser_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "export_personal_data", "_selected_action": people},
        follow=True,
    )

    assert "Select exactly one person to export their data." in response.content.decode()
    assert not PrivacyAuditEntry.objects.exists()
