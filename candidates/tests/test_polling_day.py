"""After polling day, a ballot's waiting requests close, unanswered offers are withdrawn and results are asked for."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time

from candidates import tasks
from candidates.models import Election, HelpRequest
from candidates.polling_day import WITHDRAWN_NOTE, close_ballot, close_ballots_after_polling_day
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching.models import Match, MatchEvent, OutgoingEmail
from matching.tests.factories import MatchFactory


@pytest.fixture
def past_ballot(db):
    """A ballot whose polling day was yesterday, with a request in each state."""
    today = timezone.localdate()
    election = ElectionFactory(polling_day=today - timedelta(days=1))
    candidate = CandidateFactory(election=election)
    needed_by = today - timedelta(days=3)

    open_request = HelpRequestFactory(candidate=candidate, needed_by=needed_by)
    suggestion = MatchFactory(help_request=open_request)

    offered_request = HelpRequestFactory(candidate=candidate, needed_by=needed_by, status=HelpRequest.Status.OFFERED)
    offer = MatchFactory(help_request=offered_request, status=Match.Status.APPROVED, offered_at=timezone.now())
    waiting = MatchFactory(help_request=offered_request, status=Match.Status.SHORTLISTED, shortlist_position=2)

    matched_request = HelpRequestFactory(candidate=candidate, needed_by=needed_by, status=HelpRequest.Status.MATCHED)
    introduced = MatchFactory(help_request=matched_request, status=Match.Status.ACCEPTED, introduced_at=timezone.now())

    return {
        "election": election,
        "open": open_request,
        "suggestion": suggestion,
        "offered": offered_request,
        "offer": offer,
        "waiting": waiting,
        "matched": matched_request,
        "introduced": introduced,
    }


def status_of(instance):
    instance.refresh_from_db()
    return instance.status


@pytest.mark.django_db
def test_close_closes_waiting_requests(past_ballot):
    summary = close_ballots_after_polling_day()

    assert status_of(past_ballot["open"]) == HelpRequest.Status.CLOSED
    assert status_of(past_ballot["offered"]) == HelpRequest.Status.CLOSED
    assert status_of(past_ballot["matched"]) == HelpRequest.Status.MATCHED
    assert summary.ballots == 1
    assert summary.requests_closed == 2


@pytest.mark.django_db
def test_close_withdraws_unanswered_offer_with_note(past_ballot):
    summary = close_ballots_after_polling_day()

    assert status_of(past_ballot["offer"]) == Match.Status.CANCELLED
    assert status_of(past_ballot["waiting"]) == Match.Status.CANCELLED
    event = MatchEvent.objects.get(match=past_ballot["offer"], action="match.cancelled")
    assert event.note == WITHDRAWN_NOTE
    assert summary.offers_withdrawn == 1


@pytest.mark.django_db
def test_close_removes_suggestions(past_ballot):
    close_ballots_after_polling_day()

    assert not Match.objects.filter(pk=past_ballot["suggestion"].pk).exists()
    assert status_of(past_ballot["introduced"]) == Match.Status.ACCEPTED


@pytest.mark.django_db
def test_close_asks_introduced_campaign_for_result(past_ballot, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        summary = close_ballots_after_polling_day()

    assert summary.results_requested == 1
    email = OutgoingEmail.objects.get(match=past_ballot["introduced"])
    assert email.kind == OutgoingEmail.Kind.RESULT_REQUEST
    candidate_email = past_ballot["matched"].candidate.user.email
    assert [candidate_email] in [message.to for message in mailoutbox]


@pytest.mark.django_db
def test_close_tells_volunteer_offer_withdrawn(past_ballot, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        close_ballots_after_polling_day()

    withdrawn = OutgoingEmail.objects.get(match=past_ballot["offer"])
    assert withdrawn.kind == OutgoingEmail.Kind.OFFER_WITHDRAWN
    volunteer_email = past_ballot["offer"].volunteer.user.email
    to_volunteer = [message for message in mailoutbox if message.to == [volunteer_email]]
    assert len(to_volunteer) == 1
    assert "no longer needs this help" in to_volunteer[0].subject
    assert not OutgoingEmail.objects.filter(match=past_ballot["waiting"]).exists(), "shortlisted people were never told"


@pytest.mark.django_db
def test_close_runs_once_per_ballot(past_ballot):
    close_ballots_after_polling_day()
    past_ballot["election"].refresh_from_db()
    closed_at = past_ballot["election"].closed_at

    second = close_ballots_after_polling_day()

    assert closed_at is not None
    assert second.ballots == 0
    assert close_ballot(past_ballot["election"].pk) is None
    assert OutgoingEmail.objects.count() == 2, "one result request and one withdrawn offer, each once"


@pytest.mark.django_db
def test_close_leaves_ballot_on_polling_day_alone():
    election = ElectionFactory(polling_day=timezone.localdate())
    request = HelpRequestFactory(candidate__election=election, needed_by=timezone.localdate())

    summary = close_ballots_after_polling_day()

    assert summary.ballots == 0
    assert status_of(request) == HelpRequest.Status.OPEN
    election.refresh_from_db()
    assert election.closed_at is None


@pytest.mark.django_db
def test_close_waits_for_polling_day_to_pass():
    election = ElectionFactory(polling_day=timezone.localdate() + timedelta(days=2))
    request = HelpRequestFactory(candidate__election=election, needed_by=election.polling_day)

    with freeze_time(election.polling_day + timedelta(days=1)):
        close_ballots_after_polling_day()

    assert status_of(request) == HelpRequest.Status.CLOSED
    assert Election.objects.filter(closed_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_beat_task_closes_ballots(past_ballot):
    assert tasks.close_ballots_after_polling_day.apply().get() == 1
    assert status_of(past_ballot["open"]) == HelpRequest.Status.CLOSED


def test_beat_schedule_runs_the_close():
    entry = settings.CELERY_BEAT_SCHEDULE["close-ballots-after-polling-day"]

    assert entry["task"] == tasks.close_ballots_after_polling_day.name
    assert entry["schedule"] <= 24 * 60 * 60
