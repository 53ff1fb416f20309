"""Urgency: days to the needed-by date or the ballot's next key date, whichever is first; lists sort by it."""

from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from candidates.elections import urgency_days
from candidates.models import HelpRequest
from candidates.tests.factories import ElectionFactory, HelpRequestFactory

TODAY = date(2026, 3, 2)


def request_in(poll_in_days: int, needed_in_days: int, **kwargs) -> HelpRequest:
    election = ElectionFactory(polling_day=TODAY + timedelta(days=poll_in_days))
    return HelpRequestFactory(candidate__election=election, needed_by=TODAY + timedelta(days=needed_in_days), **kwargs)


@pytest.mark.django_db
@freeze_time(TODAY)
def test_key_date_before_needed_by_makes_request_urgent():
    soon_ballot = request_in(poll_in_days=40, needed_in_days=35)
    later_ballot = request_in(poll_in_days=90, needed_in_days=20)
    nominations_close = soon_ballot.candidate.election.close_of_nominations
    assert TODAY < nominations_close < TODAY + timedelta(days=20), "the case needs nominations to close first"

    ordered = list(HelpRequest.objects.by_urgency(TODAY))

    assert ordered == [soon_ballot, later_ballot]
    assert ordered[0].urgency_date == nominations_close
    assert ordered[0].urgency_days == (nominations_close - TODAY).days
    assert ordered[1].urgency_days == 20


@pytest.mark.django_db
@freeze_time(TODAY)
def test_database_and_python_agree():
    requests = [
        request_in(poll_in_days=poll, needed_in_days=needed)
        for poll, needed in [(10, 9), (25, 3), (40, 39), (60, 30), (90, 89), (5, 5), (120, 2)]
    ]

    ordered = list(HelpRequest.objects.by_urgency(TODAY))

    for help_request in ordered:
        expected = urgency_days(
            needed_by=help_request.needed_by, schedule=help_request.candidate.election.timetable, today=TODAY
        )
        assert (help_request.urgency_date - TODAY).days == expected
    days = [(help_request.urgency_date - TODAY).days for help_request in ordered]
    assert days == sorted(days)
    assert {help_request.pk for help_request in ordered} == {help_request.pk for help_request in requests}


@pytest.mark.django_db
@freeze_time(TODAY)
def test_passed_key_dates_do_not_count():
    help_request = request_in(poll_in_days=8, needed_in_days=7)
    election = help_request.candidate.election
    assert election.close_of_nominations < TODAY

    annotated = HelpRequest.objects.with_urgency(TODAY).get()

    upcoming = election.timetable.next_key_date(TODAY)
    assert annotated.urgency_date == min(help_request.needed_by, upcoming.day)
    assert annotated.urgency_date >= TODAY


@pytest.mark.django_db
@freeze_time(TODAY)
def test_property_without_annotation():
    help_request = request_in(poll_in_days=60, needed_in_days=59)

    fresh = HelpRequest.objects.get(pk=help_request.pk)

    expected = urgency_days(needed_by=fresh.needed_by, schedule=fresh.candidate.election.timetable, today=TODAY)
    assert fresh.urgency_days == expected


@pytest.mark.django_db
@freeze_time(TODAY)
def test_waiting_leaves_out_matched_and_closed():
    waiting = [
        request_in(60, 30, status=HelpRequest.Status.OPEN),
        request_in(60, 30, status=HelpRequest.Status.OFFERED),
    ]
    request_in(60, 30, status=HelpRequest.Status.MATCHED)
    request_in(60, 30, status=HelpRequest.Status.CLOSED)

    assert set(HelpRequest.objects.waiting()) == set(waiting)
