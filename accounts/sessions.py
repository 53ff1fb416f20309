"""
Keep track of each person's sessions, so that signing out, changing the
password and erasure can end all of them, on every device.

Django already rejects a session whose stored password hash no longer matches,
so a password change locks other devices out. Deleting their rows here also
removes what those sessions contain, such as the email address allauth keeps
there after a sign-in.
"""

import json
import logging
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session

from .models import SignedInSession

logger = logging.getLogger(__name__)

DATABASE_SESSION_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def remember_session(*, user, session_key: str | None) -> None:
    """Record that this session belongs to this person."""
    if not session_key:
        return
    SignedInSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def end_sessions(*, user, keep_session_key: str | None = None) -> int:
    """Delete every session of this person except `keep_session_key`; return how many were ended."""
    store = _session_store()
    records = SignedInSession.objects.filter(user=user)
    if keep_session_key:
        records = records.exclude(session_key=keep_session_key)
    ended = 0
    for session_key in list(records.values_list("session_key", flat=True)):
        store(session_key).delete()
        ended += 1
    records.delete()
    if ended:
        logger.info("Ended %d sessions of user %s", ended, user.pk)
    return ended


def end_untracked_sessions(*, user, emails: set[str]) -> int:
    """Delete sessions of this person that were never recorded, by reading every stored session.

    Only erasure calls this, since it must leave nothing behind. A session
    opened before sessions were recorded, or a sign-in still waiting for its
    second factor (allauth keeps the whole user, email included, in the
    session), would otherwise keep the person's details until it expired.
    NOTE: this decodes every row of the session table, which is fine for
    thousands of sessions. With a session engine that is not the database
    there is nothing to scan, and such sessions expire on their own.
    """
    if settings.SESSION_ENGINE not in DATABASE_SESSION_ENGINES:
        return 0
    store = _session_store()
    user_id = str(user.pk)
    lowered_emails = {email.lower() for email in emails if email}
    ended = 0
    for session in Session.objects.iterator(chunk_size=500):
        data = session.get_decoded()
        text = json.dumps(data, default=str).lower()
        if str(data.get("_auth_user_id", "")) == user_id or any(email in text for email in lowered_emails):
            store(session.session_key).delete()
            ended += 1
    if ended:
        logger.info("Ended %d untracked sessions of user %s", ended, user.pk)
    return ended
