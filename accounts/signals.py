"""Receivers that keep sessions in step with sign-in, sign-out and password changes, and react to email confirmation."""

import logging

from allauth.account.signals import email_confirmed, password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from .sessions import end_sessions, remember_session

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="accounts.remember_session")
def _remember_session(sender, request, user, **kwargs):
    remember_session(user=user, session_key=request.session.session_key)


@receiver(user_logged_out, dispatch_uid="accounts.end_sessions_on_logout")
def _end_sessions_on_logout(sender, request, user, **kwargs):
    # Signing out on one device signs the person out everywhere, as a lost
    # phone or a shared computer is the usual reason to sign out.
    if user is not None:
        end_sessions(user=user)


@receiver(password_changed, dispatch_uid="accounts.end_sessions_on_password_change")
@receiver(password_set, dispatch_uid="accounts.end_sessions_on_password_set")
def _end_other_sessions_on_password_change(sender, request, user, **kwargs):
    # allauth keeps the current session signed in, under a new key.
    current_key = request.session.session_key
    end_sessions(user=user, keep_session_key=current_key)
    remember_session(user=user, session_key=current_key)


@receiver(password_reset, dispatch_uid="accounts.end_sessions_on_password_reset")
def _end_sessions_on_password_reset(sender, request, user, **kwargs):
    end_sessions(user=user)


@receiver(email_confirmed, dispatch_uid="accounts.refresh_suggestions_on_email_confirmed")
def _refresh_suggestions_on_email_confirmed(sender, request, email_address, **kwargs):
    """Queue suggestions: a confirmed address makes a volunteer suggestible and a campaign's requests matchable."""
    from .verification import queue_refresh_after_verification

    queue_refresh_after_verification(user=email_address.user)
