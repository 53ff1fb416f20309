"""Consent rows: recorded at signup and on each change, withdrawn in one click, asked again when the notice changes."""

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.consents import has_consent, users_with_consent
from accounts.middleware import SESSION_NOTICE_VERSION_KEY
from accounts.models import Consent
from accounts.tests.helpers import enable_two_factor, sign_in
from candidates.tests.factories import HelpRequestFactory
from matching import services
from matching.models import Match
from matching.tests.factories import MatchFactory
from volunteers.tests.factories import UserFactory, VolunteerFactory

CURRENT_VERSION = "2026-12-01"
NEXT_VERSION = "2027-03-01"
Purpose = Consent.Purpose
Method = Consent.Method


def consent_rows(user):
    return list(
        Consent.objects.filter(user=user)
        .order_by("recorded_at", "id")
        .values_list("purpose", "given", "notice_version", "method")
    )


@pytest.mark.django_db
@override_settings(PRIVACY_NOTICE_VERSION=CURRENT_VERSION)
def test_signup_records_each_consent(signed_up_volunteer):
    assert consent_rows(signed_up_volunteer) == [
        (Purpose.PRIVACY_NOTICE, True, CURRENT_VERSION, Method.SIGNUP_FORM),
        (Purpose.PARTY_SUPPORT, True, CURRENT_VERSION, Method.SIGNUP_FORM),
        (Purpose.NEWS, True, CURRENT_VERSION, Method.SIGNUP_FORM),
    ]
    assert all(consent.recorded_at for consent in Consent.objects.filter(user=signed_up_volunteer))


@pytest.mark.django_db
def test_news_box_starts_unticked(client):
    page = client.get(reverse("volunteer_signup")).content.decode()

    checkbox = page[page.index('name="news_consent"') - 200 : page.index('name="news_consent"') + 200]
    assert "checked" not in checkbox


@pytest.mark.django_db
def test_news_withdrawn_in_one_click(client, signed_up_volunteer):
    response = client.post(reverse("set_news_consent"), {"given": "no", "next": reverse("volunteer_profile")})

    assert response.status_code == 302
    assert response.url == reverse("volunteer_profile")
    assert not has_consent(signed_up_volunteer, Purpose.NEWS)
    assert consent_rows(signed_up_volunteer)[-1][:2] == (Purpose.NEWS, False)
    assert consent_rows(signed_up_volunteer)[-1][3] == Method.PROFILE_PAGE
    assert signed_up_volunteer not in users_with_consent(Purpose.NEWS)


@pytest.mark.django_db
def test_profile_page_stops_news_in_one_click(client, signed_up_volunteer):
    profile = client.get(reverse("volunteer_profile")).content.decode()
    assert "Stop sending me news and call-outs" in profile

    response = client.post(reverse("set_news_consent"), {"given": "no", "next": reverse("volunteer_profile")})
    profile = client.get(response.url).content.decode()

    assert "We won&#x27;t send you news or call-outs any more." in profile
    assert "Send me occasional news and call-outs" in profile
    assert not has_consent(signed_up_volunteer, Purpose.NEWS)


@pytest.mark.django_db
def test_news_choice_recorded_only_on_change(client, signed_up_volunteer):
    client.post(reverse("set_news_consent"), {"given": "no"})
    client.post(reverse("set_news_consent"), {"given": "no"})
    client.post(reverse("set_news_consent"), {"given": "yes"})

    news = [row[1] for row in consent_rows(signed_up_volunteer) if row[0] == Purpose.NEWS]
    assert news == [True, False, True]
    assert signed_up_volunteer in users_with_consent(Purpose.NEWS)


@pytest.mark.django_db
def test_next_cannot_leave_the_site(client, signed_up_volunteer):
    response = client.post(reverse("set_news_consent"), {"given": "no", "next": "https://evil.example/"})

    assert response.url == reverse("privacy_centre")


@pytest.mark.django_db
def test_party_support_withdrawn_in_one_click(client, signed_up_volunteer):
    volunteer = signed_up_volunteer.volunteer
    assert volunteer.party_relationship == "member"

    response = client.post(reverse("withdraw_party_support"))

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.party_relationship == ""
    assert consent_rows(signed_up_volunteer)[-1][:2] == (Purpose.PARTY_SUPPORT, False)


@pytest.mark.django_db
def test_party_relationship_changes_no_suggestion_score():
    help_request = HelpRequestFactory(skill_area="engineering")
    volunteers = [VolunteerFactory(skills={"engineering": level}) for level in (1, 2, 3)]
    services.refresh_suggestions(help_request=help_request)
    before = list(Match.objects.filter(help_request=help_request).values_list("volunteer_id", "rank", "total_score"))

    for relationship in ("member", "supporter", "voter", ""):
        for volunteer in volunteers:
            type(volunteer).objects.filter(pk=volunteer.pk).update(party_relationship=relationship)
        services.refresh_suggestions(help_request=help_request)
        after = list(Match.objects.filter(help_request=help_request).values_list("volunteer_id", "rank", "total_score"))
        assert after == before, relationship


@pytest.mark.django_db
def test_offer_acceptance_records_share_consent(organiser):
    match = MatchFactory()
    services.approve_match(match_id=match.pk, organiser=organiser)

    services.accept_offer(match_id=match.pk)

    consent = Consent.objects.get(user=match.volunteer.user, purpose=Purpose.SHARE_WITH_CAMPAIGN)
    assert consent.match_id == match.pk
    assert consent.method == Method.OFFER_LINK
    assert consent.given


@pytest.mark.django_db
def test_privacy_centre_lists_consents(client, signed_up_volunteer):
    response = client.get(reverse("privacy_centre"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Holding my relationship to the Labour Party" in page
    assert "Stop sending me news and call-outs" in page
    assert "Withdraw my consent and delete my answer" in page


@pytest.mark.django_db
def test_changed_notice_is_agreed_at_next_sign_in(client, signed_up_volunteer):
    client.logout()

    with override_settings(PRIVACY_NOTICE_VERSION=NEXT_VERSION):
        sign_in(client, signed_up_volunteer, password="correct-horse-battery-staple")
        response = client.get(reverse("volunteer_profile"))
        assert response.status_code == 302
        assert response.url == reverse("renew_privacy_consent") + "?next=%2Fvolunteer%2Fprofile%2F"

        page = client.get(response.url).content.decode()
        assert f"We have published version {NEXT_VERSION}" in page

        response = client.post(reverse("renew_privacy_consent"), {"agree": "on", "next": reverse("volunteer_profile")})
        assert response.url == reverse("volunteer_profile")
        assert client.get(reverse("volunteer_profile")).status_code == 200

    assert consent_rows(signed_up_volunteer)[-1] == (Purpose.PRIVACY_NOTICE, True, NEXT_VERSION, Method.NOTICE_UPDATE)


@pytest.mark.django_db
def test_open_session_asked_after_change(client, signed_up_volunteer):
    assert client.get(reverse("volunteer_profile")).status_code == 200
    assert client.session[SESSION_NOTICE_VERSION_KEY]

    with override_settings(PRIVACY_NOTICE_VERSION=NEXT_VERSION):
        response = client.get(reverse("volunteer_profile"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("renew_privacy_consent"))


@pytest.mark.django_db
def test_not_agreeing_gives_an_error_and_records_nothing(client, signed_up_volunteer):
    with override_settings(PRIVACY_NOTICE_VERSION=NEXT_VERSION):
        response = client.post(reverse("renew_privacy_consent"), {"next": "/"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    assert page.count("Tick the box to agree to the updated privacy notice") == 2
    assert not Consent.objects.filter(notice_version=NEXT_VERSION).exists()


@pytest.mark.django_db
def test_leaving_stays_possible_without_agreeing(client, signed_up_volunteer):
    with override_settings(PRIVACY_NOTICE_VERSION=NEXT_VERSION):
        assert client.get(reverse("privacy_notice")).status_code == 200
        assert client.get(reverse("delete_account")).status_code == 200
        assert client.post(reverse("export_personal_data")).status_code == 200


@pytest.mark.django_db
def test_staff_and_unconsented_not_asked(client):
    staff = UserFactory(is_staff=True)
    enable_two_factor(staff)
    Consent.objects.create(
        user=staff, purpose=Purpose.PRIVACY_NOTICE, notice_version="2020-01-01", method=Method.SIGNUP_FORM
    )
    sign_in(client, staff)
    assert client.get(reverse("home")).status_code == 200

    client.logout()
    never_agreed = UserFactory()
    sign_in(client, never_agreed)
    assert client.get(reverse("home")).status_code == 200
