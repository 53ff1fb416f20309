"""Retention on a fixed clock: exactly the volunteers and campaigns past their period are erased."""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from freezegun import freeze_time

from accounts import tasks
from accounts.models import PrivacyAuditEntry, User
from accounts.privacy import apply_retention, months_before
from candidates.models import Candidate, HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching.models import Match
from matching.tests.factories import MatchFactory
from volunteers.models import Volunteer
from volunteers.tests.factories import UserFactory, VolunteerFactory

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 6, 15, 12, 0, tzinfo=LONDON)
TWO_YEARS_AGO = datetime(2025, 6, 15, 12, 0, tzinfo=LONDON)
SIX_MONTHS_AGO = date(2026, 12, 15)


def volunteer_last_active(moment: datetime, **kwargs) -> Volunteer:
    """A volunteer who joined, signed in and last changed their profile at `moment`."""
    with freeze_time(moment):
        user = UserFactory(date_joined=moment, last_login=moment)
        return VolunteerFactory(user=user, **kwargs)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2027, 6, 15, 12, 0), 24, datetime(2025, 6, 15, 12, 0)),
        (datetime(2027, 3, 31, 9, 30), 1, datetime(2027, 2, 28, 9, 30)),
        (datetime(2028, 8, 31, 0, 0), 6, datetime(2028, 2, 29, 0, 0)),
        (datetime(2027, 1, 10, 0, 0), 13, datetime(2025, 12, 10, 0, 0)),
    ],
)
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected


def test_periods_come_from_settings():
    assert settings.RETENTION_VOLUNTEER_INACTIVE_MONTHS == 24
    assert settings.RETENTION_CANDIDATE_MONTHS_AFTER_POLLING_DAY == 6


@pytest.mark.django_db
def test_inactive_volunteers_are_erased_and_active_ones_kept():
    expired = volunteer_last_active(TWO_YEARS_AGO - timedelta(days=1))
    on_the_day = volunteer_last_active(TWO_YEARS_AGO + timedelta(minutes=1))
    recent = volunteer_last_active(NOW - timedelta(days=30))
    signed_in_lately = volunteer_last_active(TWO_YEARS_AGO - timedelta(days=400))
    User.objects.filter(pk=signed_in_lately.user_id).update(last_login=NOW - timedelta(days=3))
    expired_user_id = expired.user_id

    with freeze_time(NOW):
        result = apply_retention()

    assert (result.volunteers, result.candidates, result.failed) == (1, 0, 0)
    anonymised = set(Volunteer.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True))
    assert anonymised == {expired.pk}
    assert not User.objects.filter(pk=expired_user_id).exists()
    for kept in (on_the_day, recent, signed_in_lately):
        kept.refresh_from_db()
        assert kept.full_name and kept.user_id, kept.pk


@pytest.mark.django_db
def test_answering_an_offer_counts_as_activity():
    volunteer = volunteer_last_active(TWO_YEARS_AGO - timedelta(days=60))
    MatchFactory(volunteer=volunteer, status=Match.Status.DECLINED, answered_at=NOW - timedelta(days=10))

    with freeze_time(NOW):
        result = apply_retention()

    assert result.volunteers == 0
    volunteer.refresh_from_db()
    assert volunteer.anonymised_at is None


@pytest.mark.django_db
def test_campaigns_are_erased_six_months_after_polling_day():
    with freeze_time(NOW - timedelta(days=400)):
        expired = CandidateFactory(election=ElectionFactory(polling_day=SIX_MONTHS_AGO))
        kept = CandidateFactory(election=ElectionFactory(polling_day=SIX_MONTHS_AGO + timedelta(days=1)))
        help_request = HelpRequestFactory(candidate=expired, needed_by=SIX_MONTHS_AGO - timedelta(days=3))
        match = MatchFactory(help_request=help_request, status=Match.Status.COMPLETED, result=Match.Result.WON)
    HelpRequest.objects.filter(pk=help_request.pk).update(status=HelpRequest.Status.MATCHED)
    expired_user_id = expired.user_id

    with freeze_time(NOW):
        result = apply_retention()

    assert (result.volunteers, result.candidates) == (0, 1)
    assert set(Candidate.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)) == {expired.pk}
    assert not User.objects.filter(pk=expired_user_id).exists()
    kept.refresh_from_db()
    assert kept.full_name
    match.refresh_from_db()
    assert (match.status, match.result) == (Match.Status.COMPLETED, Match.Result.WON), "outcomes stay for the counts"
    help_request.refresh_from_db()
    assert help_request.status == HelpRequest.Status.MATCHED
    assert help_request.description == ""


@pytest.mark.django_db
def test_account_with_a_live_role_keeps_it():
    """A campaign past its period whose account also belongs to an active volunteer loses only the campaign."""
    volunteer = volunteer_last_active(NOW - timedelta(days=10))
    with freeze_time(NOW - timedelta(days=400)):
        candidate = CandidateFactory(user=volunteer.user, election=ElectionFactory(polling_day=SIX_MONTHS_AGO))

    with freeze_time(NOW):
        apply_retention()

    candidate.refresh_from_db()
    volunteer.refresh_from_db()
    assert candidate.anonymised_at is not None
    assert candidate.user_id is None
    assert volunteer.anonymised_at is None
    assert User.objects.filter(pk=volunteer.user_id).exists()
    entry = PrivacyAuditEntry.objects.get()
    assert entry.target == f"Candidate #{candidate.pk}"
    assert entry.requested_by == PrivacyAuditEntry.RequestedBy.SCHEDULE


@pytest.mark.django_db
def test_staff_volunteer_keeps_the_account():
    volunteer = volunteer_last_active(TWO_YEARS_AGO - timedelta(days=1))
    User.objects.filter(pk=volunteer.user_id).update(is_staff=True)

    with freeze_time(NOW):
        apply_retention()

    volunteer.refresh_from_db()
    assert volunteer.anonymised_at is not None
    assert User.objects.filter(is_staff=True).exists()


@pytest.mark.django_db
def test_retention_logs_counts_only(caplog):
    expired = volunteer_last_active(TWO_YEARS_AGO - timedelta(days=1), full_name="Morwenna Trelawney")
    address = expired.user.email
    caplog.set_level(logging.INFO)

    with freeze_time(NOW):
        apply_retention()

    assert "Retention anonymised 1 volunteers and 0 campaigns; 0 failed" in caplog.messages
    for record in caplog.records:
        assert address not in record.getMessage()
        assert "Morwenna" not in record.getMessage()


@pytest.mark.django_db
def test_retention_runs_twice_without_harm():
    volunteer_last_active(TWO_YEARS_AGO - timedelta(days=1))

    with freeze_time(NOW):
        first = apply_retention()
        second = apply_retention()

    assert (first.volunteers, second.volunteers) == (1, 0)


@pytest.mark.django_db
def test_beat_runs_the_task_daily():
    volunteer_last_active(TWO_YEARS_AGO - timedelta(days=1))
    schedule = settings.CELERY_BEAT_SCHEDULE["apply-retention"]

    with freeze_time(NOW):
        result = tasks.apply_retention.apply().get()

    assert schedule == {"task": "accounts.tasks.apply_retention", "schedule": 24 * 60 * 60.0}
    assert result == {"volunteers": 1, "candidates": 0, "failed": 0}
