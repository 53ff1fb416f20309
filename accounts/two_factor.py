"""
Whether a person has two-factor authentication, and whether this session used it.

allauth records each way a session was authenticated ("password", "mfa", ...)
in the session itself. Having an authenticator is not enough for the admin: the
session must also have passed the second factor, or a password alone would do.
"""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_second_factor(request) -> bool:
    """True when this session's sign-in, or a later reauthentication, used an authenticator."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)
