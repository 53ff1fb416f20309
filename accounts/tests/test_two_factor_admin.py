"""The admin lets in only staff whose session passed a second factor, and its login goes through allauth."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import ORGANISERS_GROUP
from accounts.tests.helpers import enable_two_factor, sign_in, totp_code
from volunteers.tests.factories import UserFactory

ADMIN_INDEX = reverse("admin:index")


@pytest.fixture
def organiser_account(db):
    user = UserFactory(email="staff@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
    return user


@pytest.mark.django_db
def test_admin_login_goes_through_allauth(client):
    response = client.get(reverse("admin:login") + "?next=/admin/")

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=%2Fadmin%2F" in response.url


@pytest.mark.django_db
def test_admin_login_form_cannot_sign_in_with_password(client, organiser_account):
    """Posting a password to the admin's own login URL signs nobody in."""
    client.post(
        reverse("admin:login"), {"username": organiser_account.email, "password": "correct-horse-battery-staple"}
    )

    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN_INDEX).status_code == 302


@pytest.mark.django_db
def test_staff_without_authenticator_sent_to_setup(client, organiser_account):
    sign_in(client, organiser_account)

    response = client.get(ADMIN_INDEX, follow=True)

    visited = [url for url, _ in response.redirect_chain]
    assert any(url.startswith(reverse("mfa_activate_totp")) for url in visited), visited
    # allauth asks for the password again before an authenticator can be added.
    assert visited[-1].startswith(reverse("account_reauthenticate"))
    assert "Set up two-factor authentication before you use the admin." in response.content.decode()


@pytest.mark.django_db
def test_password_only_session_must_give_a_code(client, organiser_account):
    """An organiser who set up an authenticator in a password-only session is asked for a code first."""
    sign_in(client, organiser_account)
    enable_two_factor(organiser_account)

    response = client.get(ADMIN_INDEX, follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("mfa_reauthenticate"))
    response = client.post(reverse("mfa_reauthenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert client.get(ADMIN_INDEX).status_code == 200


@pytest.mark.django_db
def test_password_and_code_open_admin(client, organiser_account):
    enable_two_factor(organiser_account)

    response = client.post(
        reverse("account_login"), {"login": organiser_account.email, "password": "correct-horse-battery-staple"}
    )
    assert response.url == reverse("mfa_authenticate")
    assert client.get(ADMIN_INDEX).status_code == 302, "the password alone must not open the admin"

    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert client.get(ADMIN_INDEX).status_code == 200


@pytest.mark.django_db
def test_wrong_code_keeps_the_admin_closed(client, organiser_account):
    enable_two_factor(organiser_account)
    client.post(
        reverse("account_login"), {"login": organiser_account.email, "password": "correct-horse-battery-staple"}
    )

    response = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code() != "000000" else "111111"})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert client.get(ADMIN_INDEX).status_code == 302


@pytest.mark.django_db
def test_recovery_code_opens_the_admin(client, organiser_account):
    recovery_codes = enable_two_factor(organiser_account)

    sign_in(client, organiser_account, code=recovery_codes[0])

    assert client.get(ADMIN_INDEX).status_code == 200


@pytest.mark.django_db
def test_superuser_needs_two_factor_too(client):
    superuser = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    sign_in(client, superuser)

    assert client.get(ADMIN_INDEX).status_code == 302

    client.logout()
    enable_two_factor(superuser)
    sign_in(client, superuser)
    assert client.get(ADMIN_INDEX).status_code == 200


@pytest.mark.django_db
def test_force_login_without_second_factor_is_refused(client, organiser_account):
    """A session that never went through allauth has no record of a second factor."""
    enable_two_factor(organiser_account)
    client.force_login(organiser_account)

    response = client.get(ADMIN_INDEX)

    assert response.status_code == 302


@pytest.mark.django_db
def test_volunteer_cannot_reach_the_admin(client):
    volunteer_user = UserFactory(email="vol@example.org")
    sign_in(client, volunteer_user)

    assert client.get(reverse("admin:login")).status_code == 403
    assert client.get(ADMIN_INDEX).status_code == 302


@pytest.mark.django_db
def test_authenticator_secret_is_encrypted_at_rest():
    from allauth.mfa.models import Authenticator

    from accounts.tests.helpers import TEST_TOTP_SECRET, enable_two_factor
    from volunteers.tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    enable_two_factor(user)

    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    assert stored != TEST_TOTP_SECRET
    assert TEST_TOTP_SECRET not in stored
