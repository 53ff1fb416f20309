"""Fixtures shared by every app's tests: the fixed actors and a real Celery worker."""

import os

import pytest


@pytest.fixture(autouse=True)
def clear_cache():
    """Start every test with an empty cache, so allauth's rate limits count from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organiser(db):
    """A member of staff allowed to approve matches, with a verified email address."""
    from django.contrib.auth.models import Permission

    from volunteers.tests.factories import UserFactory

    user = UserFactory(email="organiser@example.org", is_staff=True)
    codenames = ["approve_match", "view_match", "change_match", "view_helprequest", "change_helprequest"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def celery_live_worker(transactional_db):
    """Run a real Celery worker in this process, fed by the Redis broker at REDIS_URL.

    Skipped where REDIS_URL is not set, since there is no broker to talk to.
    """
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set, so there is no Redis broker for a real Celery worker")

    from celery._state import _set_task_join_will_block
    from celery.contrib.testing.worker import start_worker

    from techforlabour.celery import app

    changed = {"broker_url": redis_url, "task_always_eager": False}
    previous = {key: app.conf[key] for key in changed}
    app.conf.update(changed)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
            yield app
    finally:
        app.conf.update(previous)
        # A worker in this process marks it as one that must never wait on a result.
        # Clearing the mark lets later tests call .get() on eager results.
        _set_task_join_will_block(False)
