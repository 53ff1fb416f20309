"""
Helpers for tests that sign in the way people do: through allauth, with a
password and, for staff, a code from an authenticator app.

A test client's force_login() skips allauth, so the session has no record of
a second factor and the admin refuses it, as it would a real session that did
the same.
"""

import time

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.urls import reverse

from volunteers.tests.factories import DEFAULT_PASSWORD

# Any base32 string will do; tests compute codes from it the way an authenticator app does.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enable_two_factor(user, secret: str = TEST_TOTP_SECRET) -> list[str]:
    """Give the user a TOTP authenticator and recovery codes, as setting them up on the site would; return the codes."""
    TOTP.activate(user, secret)
    return RecoveryCodes.activate(user).generate_codes()


# allauth accepts only the current 30-second window's code (MFA_TOTP_TOLERANCE is 0).
TOTP_PERIOD_SECONDS = 30
# A code made this close to the end of its window may reach allauth after the window ends.
TOTP_SAFE_MARGIN_SECONDS = 2


def totp_code(secret: str = TEST_TOTP_SECRET, at: float | None = None) -> str:
    """Return the code an authenticator app shows now for this secret, or at the time `at`."""
    if at is None:
        left_in_window = TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS
        if left_in_window < TOTP_SAFE_MARGIN_SECONDS:
            time.sleep(left_in_window + 0.05)
        at = time.time()
    counter = int(at) // TOTP_PERIOD_SECONDS
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(client, user, *, password: str = DEFAULT_PASSWORD, code: str | None = None):
    """Sign in through allauth's pages, completing the second factor if allauth requests it; return the response."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, f"sign-in failed with status {response.status_code}"
    if response.url == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": code or totp_code()})
        assert response.status_code == 302, "the second factor was refused"
    return response


def sign_in_organiser(client, user, *, password: str = DEFAULT_PASSWORD):
    """Set up two-factor authentication for a member of staff and sign them in with it."""
    enable_two_factor(user)
    return sign_in(client, user, password=password)
