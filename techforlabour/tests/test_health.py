"""/healthz, /livez and the queue_status command."""

import json
import os
import uuid
from datetime import timedelta

import pytest
import redis
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from matching.models import OutgoingEmail
from matching.tests.factories import MatchFactory
from techforlabour import health
from techforlabour.management.commands.queue_status import KOMBU_PRIORITY_SEPARATOR

# Nothing listens on port 1 of the loopback address, so a connection there is refused at once.
CLOSED_REDIS_URL = "redis://127.0.0.1:1/13"
LIVE_REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not LIVE_REDIS_URL, reason="REDIS_URL is not set, so there is no Redis server")


@pytest.fixture(autouse=True)
def fresh_redis_clients():
    """Each test builds its own Redis client, so a URL changed by override_settings takes effect."""
    health.redis_client.cache_clear()
    yield
    health.redis_client.cache_clear()


def get_health(client):
    response = client.get(reverse("healthz"))
    return response, response.json()


@pytest.mark.django_db
@override_settings(REDIS_URL="")
def test_healthz_without_redis_checks_database_only(client):
    response, body = get_health(client)

    assert response.status_code == 200
    assert body == {"status": "ok", "components": {"database": "ok"}}


@pytest.mark.django_db
@needs_redis
def test_healthz_with_redis_up_is_ok(client):
    with override_settings(REDIS_URL=LIVE_REDIS_URL):
        response, body = get_health(client)

    assert response.status_code == 200
    assert body == {"status": "ok", "components": {"database": "ok", "redis": "ok"}}


@pytest.mark.django_db
@override_settings(REDIS_URL=CLOSED_REDIS_URL)
def test_healthz_with_redis_down_is_503(client):
    response, body = get_health(client)

    assert response.status_code == 503
    assert body == {"status": "down", "components": {"database": "ok", "redis": "down"}}


@pytest.mark.django_db
@override_settings(REDIS_URL="")
def test_healthz_with_database_down_hides_error_text(client, monkeypatch):
    secret_text = "password authentication failed for user tfl_owner_7c1d"

    def fail_to_connect(*args, **kwargs):
        raise OperationalError(secret_text)

    monkeypatch.setattr(health, "connections", {"default": type("Down", (), {"cursor": fail_to_connect})()})

    response, body = get_health(client)

    assert response.status_code == 503
    assert body == {"status": "down", "components": {"database": "down"}}
    assert secret_text not in response.content.decode()
    assert "tfl_owner" not in response.content.decode()


@pytest.mark.django_db
@override_settings(REDIS_URL="")
def test_healthz_is_never_cached(client):
    response, _ = get_health(client)

    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_refuses_post(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_livez_touches_no_database(client):
    # No django_db mark: pytest-django makes any database access in this test fail.
    response = client.get(reverse("livez"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


# queue_status


def make_email(*, status, age_minutes, kind=OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER):
    email = OutgoingEmail.objects.create(match=MatchFactory(), kind=kind, status=status)
    # created_at is set on insert, so age the row afterwards.
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=age_minutes))
    return email


def run_queue_status(*args):
    from io import StringIO

    out = StringIO()
    call_command("queue_status", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="memory://")
def test_queue_status_names_oldest_unsent_email():
    make_email(status=OutgoingEmail.Status.SENT, age_minutes=90)
    oldest = make_email(status=OutgoingEmail.Status.SENDING, age_minutes=45)
    make_email(status=OutgoingEmail.Status.PENDING, age_minutes=5)
    make_email(status=OutgoingEmail.Status.FAILED, age_minutes=120)

    output = run_queue_status()

    assert f"Oldest unsent email: #{oldest.pk}, sending, 0:45:00 old" in output
    assert "Emails by status: pending 1, sending 1, sent 1, failed 1, cancelled 0" in output
    assert "No Redis broker" in output


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="memory://")
def test_queue_status_with_every_email_sent():
    make_email(status=OutgoingEmail.Status.SENT, age_minutes=3)

    output = run_queue_status()

    assert "Oldest unsent email: none" in output


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="memory://")
def test_queue_status_json_has_id_and_age():
    pending = make_email(status=OutgoingEmail.Status.PENDING, age_minutes=10)

    report = json.loads(run_queue_status("--json"))

    assert report["oldest_unsent_email"]["id"] == pending.pk
    assert report["oldest_unsent_email"]["status"] == "pending"
    assert 600 <= report["oldest_unsent_email"]["age_seconds"] < 660
    assert report["emails_by_status"]["pending"] == 1
    assert report["broker"] == "none"


@pytest.fixture
def scratch_queue():
    """A queue name used by no worker, and its Redis lists deleted afterwards."""
    name = f"queue-status-test-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(LIVE_REDIS_URL)
    yield client, name
    client.delete(name, f"{name}{KOMBU_PRIORITY_SEPARATOR}3", f"{name}{KOMBU_PRIORITY_SEPARATOR}9")
    client.close()


@pytest.mark.django_db
@needs_redis
def test_queue_status_counts_every_priority_list(scratch_queue):
    client, queue = scratch_queue
    client.rpush(queue, "a", "b", "c")
    client.rpush(f"{queue}{KOMBU_PRIORITY_SEPARATOR}3", "d")
    client.rpush(f"{queue}{KOMBU_PRIORITY_SEPARATOR}9", "e")

    with override_settings(CELERY_BROKER_URL=LIVE_REDIS_URL):
        output = run_queue_status("--queue", queue)
        report = json.loads(run_queue_status("--queue", queue, "--json"))

    assert f'Celery queue "{queue}": 5 waiting' in output
    assert report["queue"]["waiting"] == 5
    assert report["broker"] == "redis"


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=CLOSED_REDIS_URL)
def test_queue_status_redis_down():
    from io import StringIO

    make_email(status=OutgoingEmail.Status.PENDING, age_minutes=1)
    out = StringIO()

    with pytest.raises(CommandError, match=r"Redis at 127\.0\.0\.1:1 is unreachable"):
        call_command("queue_status", stdout=out)

    assert "Oldest unsent email: #" in out.getvalue()
