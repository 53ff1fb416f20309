"""The introduction emails through a real Celery worker fed by the Redis broker."""

import time

import pytest
from django.core import mail

from matching import tasks
from matching.models import OutgoingEmail
from matching.services import accept_offer, approve_match
from matching.tests.factories import MatchFactory

pytestmark = pytest.mark.celery_live


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def sent_count():
    return OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count()


def test_offer_and_introductions_through_worker(celery_live_worker, organiser):
    match = MatchFactory()

    approve_match(match_id=match.pk, organiser=organiser)
    assert wait_until(lambda: sent_count() == 1), "the worker did not send the offer within 30 seconds"
    assert [message.to[0] for message in mail.outbox] == [match.volunteer.user.email]

    accept_offer(match_id=match.pk)
    assert wait_until(lambda: sent_count() == 3), "the worker did not send both introductions within 30 seconds"
    assert sorted(message.to[0] for message in mail.outbox[1:]) == sorted(
        [match.volunteer.user.email, match.help_request.candidate.user.email]
    )


def test_task_queued_twice_sends_once(celery_live_worker, organiser, caplog):
    match = MatchFactory()
    approve_match(match_id=match.pk, organiser=organiser)
    # Wait for each send before the next change: SQLite's shared in-memory test database locks whole tables.
    assert wait_until(lambda: sent_count() == 1)
    accept_offer(match_id=match.pk)
    assert wait_until(lambda: sent_count() == 3)

    with caplog.at_level("INFO", logger="matching.emails"):
        for email in OutgoingEmail.objects.all():
            tasks.send_outgoing_email.delay(email.pk)

        def duplicates_handled():
            return sum("is not pending" in record.getMessage() for record in caplog.records) == 3

        assert wait_until(duplicates_handled), "the worker did not run the duplicate tasks within 30 seconds"

    assert len(mail.outbox) == 3
