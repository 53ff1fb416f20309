"""Signup, sign-in and password reset: no account enumeration, rate limits, a honeypot, and no personal data in logs."""

import logging

import pytest
from celery.app.task import Task
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from candidates.tests.test_signup import valid_signup as valid_candidate_signup
from matching import services
from matching.models import Match
from volunteers.models import Volunteer
from volunteers.tests.factories import UserFactory
from volunteers.tests.test_signup import valid_signup as valid_volunteer_signup

from .conftest import VOLUNTEER_EMAIL, VOLUNTEER_NAME, confirm_email_from_last_message

LOGIN_URL = reverse("account_login")


def login_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


@pytest.mark.django_db
def test_taken_address_signup_looks_new(client):
    client.post(reverse("volunteer_signup"), valid_volunteer_signup(email="jane.doe@example.org"))
    client.logout()
    fresh = client.post(reverse("volunteer_signup"), valid_volunteer_signup(email="someone.new@example.org"))
    client.logout()
    mail.outbox.clear()
    # allauth sends at most one email to an address every three minutes; pretend they have passed.
    cache.clear()

    taken = client.post(reverse("volunteer_signup"), valid_volunteer_signup(email="JANE.DOE@EXAMPLE.ORG"))

    assert (taken.status_code, taken.url) == (fresh.status_code, fresh.url)
    assert User.objects.filter(email__iexact="jane.doe@example.org").count() == 1
    assert Volunteer.objects.count() == 2
    [notice] = mail.outbox
    assert notice.to == ["jane.doe@example.org"]
    assert "already" in notice.subject.lower()
    assert "/accounts/confirm-email/" not in notice.body


@pytest.mark.django_db
def test_sign_in_failure_hides_account(client):
    UserFactory(email="known@example.org")

    wrong_password = client.post(LOGIN_URL, {"login": "known@example.org", "password": "not-the-password"})
    unknown = client.post(LOGIN_URL, {"login": "unknown@example.org", "password": "not-the-password"})

    assert wrong_password.status_code == unknown.status_code == 200
    assert login_errors(wrong_password) == login_errors(unknown)


@pytest.mark.django_db
def test_password_reset_hides_account(client):
    UserFactory(email="known@example.org")

    known = client.post(reverse("account_reset_password"), {"email": "known@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "unknown@example.org"})

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)


@pytest.mark.django_db
def test_password_reset_works(client):
    user = UserFactory(email="known@example.org")
    client.post(reverse("account_reset_password"), {"email": "Known@Example.org"})
    body = mail.outbox[-1].body
    path = body[body.index("/accounts/password/reset/key/") :].split()[0]

    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"password1": "a-new-long-pass", "password2": "a-new-long-pass"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-pass")


@pytest.mark.django_db
@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_eleventh_failed_sign_in_rejected(client):
    for attempt in range(10):
        response = client.post(
            LOGIN_URL, {"login": f"guess{attempt}@example.org", "password": "wrong"}, HTTP_X_FORWARDED_FOR="203.0.113.7"
        )
        assert response.status_code == 200, attempt

    rejected = client.post(
        LOGIN_URL, {"login": "guess10@example.org", "password": "wrong"}, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    elsewhere = client.post(
        LOGIN_URL, {"login": "guess11@example.org", "password": "wrong"}, HTTP_X_FORWARDED_FOR="198.51.100.9"
    )

    assert login_errors(rejected) == ["Too many failed login attempts. Try again later."]
    assert login_errors(elsewhere) != login_errors(rejected)


@pytest.mark.django_db
def test_honeypot_hidden_by_class(client):
    page = client.get(reverse("volunteer_signup")).content.decode()

    start = page.index('name="honeypot"')
    tag = page[page.rindex("<input", 0, start) : page.index(">", start)]
    assert 'class="form-honeypot"' in tag
    assert "style=" not in tag
    assert 'tabindex="-1"' in tag


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data"),
    [
        (reverse("volunteer_signup"), valid_volunteer_signup(honeypot="http://spam.example")),
        (reverse("candidate_signup"), valid_candidate_signup(honeypot="http://spam.example")),
    ],
)
def test_filled_honeypot_creates_nothing_but_looks_the_same(client, url, data):
    response = client.post(url, data)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(("length", "accepted"), [(7, False), (8, True), (64, True)])
def test_password_length(client, length, accepted):
    password = "k" * (length - 4) + "7q!z"
    client.post(reverse("volunteer_signup"), valid_volunteer_signup(password1=password, password2=password))

    assert User.objects.exists() == accepted


@pytest.mark.django_db
def test_signup_logs_hold_no_email_or_name(client, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("volunteer_signup"),
            valid_volunteer_signup(email=VOLUNTEER_EMAIL, full_name=VOLUNTEER_NAME, skill_engineering="3"),
        )
        confirm_email_from_last_message(client)
        client.logout()
        client.post(reverse("candidate_signup"), valid_candidate_signup(email="asha.agent@example.org"))

    assert any("signed up" in record.getMessage() for record in caplog.records), "the signup must be logged"
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}".lower()
        for secret in (VOLUNTEER_EMAIL.lower(), "jane.doe", "siobhán", "o'neill", "asha", "patel"):
            assert secret not in text, f"{record.name} logged {secret!r}"


@pytest.mark.django_db
def test_celery_tasks_get_ids_only(client, organiser, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    original = Task.apply_async

    def recording_apply_async(self, args=None, kwargs=None, **options):
        calls.append((self.name, tuple(args or ()), dict(kwargs or {})))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording_apply_async)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("volunteer_signup"), valid_volunteer_signup(email=VOLUNTEER_EMAIL, skill_engineering="3"))
        confirm_email_from_last_message(client)
        client.logout()
        client.post(reverse("candidate_signup"), valid_candidate_signup(email="asha.agent@example.org"))
        confirm_email_from_last_message(client)
    with django_capture_on_commit_callbacks(execute=True):
        match = Match.objects.get()
        services.approve_match(match_id=match.pk, organiser=organiser)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_offer(match_id=match.pk)

    names = {name for name, _, _ in calls}
    assert {"matching.tasks.refresh_suggestions_for_volunteer", "matching.tasks.send_outgoing_email"} <= names
    for name, args, kwargs in calls:
        assert all(isinstance(value, int) for value in args), (name, args)
        assert kwargs == {}, name


@pytest.mark.django_db
def test_email_change_asks_for_password_again(client):
    user = UserFactory(email="known@example.org")
    client.post(LOGIN_URL, {"login": "known@example.org", "password": "correct-horse-battery-staple"})

    response = client.post(reverse("account_email"), {"action_add": "", "email": "new.address@example.org"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not user.emailaddress_set.filter(email="new.address@example.org").exists()
