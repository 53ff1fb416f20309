"""Sessions: a new key at sign-in, and signing out or changing the password ends the other devices' sessions."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import SignedInSession
from accounts.tests.helpers import sign_in
from volunteers.tests.factories import DEFAULT_PASSWORD, VolunteerFactory

PROFILE_URL = reverse("volunteer_profile")
NEW_PASSWORD = "a-brand-new-long-passphrase"


@pytest.fixture
def person(db):
    return VolunteerFactory().user


def signed_in_devices(person, count=2):
    devices = [Client() for _ in range(count)]
    for device in devices:
        sign_in(device, person)
        assert device.get(PROFILE_URL).status_code == 200
    return devices


@pytest.mark.django_db
def test_sign_in_issues_a_new_session_key(client, person):
    client.get(reverse("account_login"))
    before = client.cookies.get("sessionid")

    sign_in(client, person)

    after = client.session.session_key
    assert after
    assert before is None or before.value != after
    assert SignedInSession.objects.filter(user=person, session_key=after).exists()


@pytest.mark.django_db
def test_signing_out_ends_every_session(person):
    phone, laptop = signed_in_devices(person)

    phone.post(reverse("account_logout"))

    assert laptop.get(PROFILE_URL).status_code == 302
    assert not SignedInSession.objects.filter(user=person).exists()
    assert not Session.objects.filter(session_key__in=[phone.session.session_key]).exists()


@pytest.mark.django_db
def test_password_change_ends_other_sessions_only(person):
    phone, laptop = signed_in_devices(person)

    response = phone.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert phone.get(PROFILE_URL).status_code == 200
    assert laptop.get(PROFILE_URL).status_code == 302
    assert list(SignedInSession.objects.filter(user=person).values_list("session_key", flat=True)) == [
        phone.session.session_key
    ]


@pytest.mark.django_db
def test_password_reset_ends_every_session(person):
    (laptop,) = signed_in_devices(person, count=1)
    stranger = Client()
    stranger.post(reverse("account_reset_password"), {"email": person.email})
    reset_path = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    form_page = stranger.get(reset_path, follow=True)
    form_path = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_path

    response = stranger.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert laptop.get(PROFILE_URL).status_code == 302
    assert not SignedInSession.objects.filter(user=person).exists()
