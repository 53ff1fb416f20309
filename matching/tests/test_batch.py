"""Recomputing suggestions in bulk: the management command, and the beat task that follows volunteers."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from candidates.models import HelpRequest
from candidates.tests.factories import HelpRequestFactory
from matching import batch, tasks
from matching.models import Match
from matching.tests.factories import MatchFactory
from volunteers.models import Volunteer, VolunteerSkill
from volunteers.tests.factories import VolunteerFactory


def suggested_volunteer_ids(help_request) -> set[int]:
    return set(Match.objects.suggested().filter(help_request=help_request).values_list("volunteer_id", flat=True))


def set_updated_at(volunteer, when) -> None:
    # auto_now would overwrite a value given to save(), so write it directly.
    Volunteer.objects.filter(pk=volunteer.pk).update(updated_at=when)


@pytest.fixture
def refreshed_request_ids(monkeypatch):
    """Record the id of every request the batch refreshes, in order, and still refresh it."""
    calls = []
    real_refresh = batch.refresh_suggestions

    def recording_refresh(*, help_request, config=None):
        calls.append(help_request.pk)
        return real_refresh(help_request=help_request, config=config)

    monkeypatch.setattr(batch, "refresh_suggestions", recording_refresh)
    return calls


@pytest.mark.django_db
def test_recompute_refreshes_every_open_request():
    data = VolunteerFactory(skills={"data": 2})
    video = VolunteerFactory(skills={"video": 3})
    data_request = HelpRequestFactory(skill_area="data")
    video_request = HelpRequestFactory(skill_area="video")
    closed_request = HelpRequestFactory(skill_area="data", status=HelpRequest.Status.CLOSED)

    result = batch.recompute_open_suggestions()

    assert result.requests == 2
    assert result.suggestions == 2
    assert result.failed == 0
    assert suggested_volunteer_ids(data_request) == {data.pk}
    assert suggested_volunteer_ids(video_request) == {video.pk}
    assert suggested_volunteer_ids(closed_request) == set()


@pytest.mark.django_db
def test_recompute_drops_suggestions_no_longer_eligible():
    help_request = HelpRequestFactory(skill_area="data")
    stays = VolunteerFactory(skills={"data": 2})
    pauses = VolunteerFactory(skills={"data": 3})
    batch.recompute_open_suggestions()
    assert suggested_volunteer_ids(help_request) == {stays.pk, pauses.pk}

    Volunteer.objects.filter(pk=pauses.pk).update(is_paused=True)
    batch.recompute_open_suggestions()

    assert suggested_volunteer_ids(help_request) == {stays.pk}


@pytest.mark.django_db
def test_recompute_dry_run_writes_nothing():
    VolunteerFactory.create_batch(3, skills={"data": 2})
    help_request = HelpRequestFactory(skill_area="data")

    result = batch.recompute_open_suggestions(dry_run=True)

    assert result.requests == 1
    assert result.suggestions == 3
    assert not Match.objects.exists()
    help_request.refresh_from_db()
    assert help_request.suggestions_updated_at is None


@pytest.mark.django_db
def test_recompute_reports_progress_after_each_request():
    HelpRequestFactory.create_batch(3)
    calls = []

    batch.recompute_open_suggestions(progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.django_db
def test_recompute_queries_do_not_grow_with_volunteers():
    HelpRequestFactory.create_batch(4, skill_area="data")
    VolunteerFactory.create_batch(5, skills={"data": 2})
    with CaptureQueriesContext(connection) as few_volunteers:
        batch.recompute_open_suggestions(dry_run=True)

    VolunteerFactory.create_batch(20, skills={"data": 2})
    with CaptureQueriesContext(connection) as many_volunteers:
        result = batch.recompute_open_suggestions(dry_run=True)

    assert len(many_volunteers) == len(few_volunteers)
    # One query for the ids, one for the chunk of requests, then two ranking queries each.
    assert len(many_volunteers) == 2 + 2 * 4
    assert result.suggestions == 4 * 10


@pytest.mark.django_db
def test_recompute_carries_on_after_a_failed_request(monkeypatch, caplog):
    volunteer = VolunteerFactory(skills={"data": 2})
    failing, working = HelpRequestFactory.create_batch(2, skill_area="data")
    real_refresh = batch.refresh_suggestions

    def refresh_or_fail(*, help_request, config=None):
        if help_request.pk == failing.pk:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_refresh(help_request=help_request, config=config)

    monkeypatch.setattr(batch, "refresh_suggestions", refresh_or_fail)

    result = batch.recompute_open_suggestions()

    assert result.failed == 1
    assert result.requests == 2
    assert suggested_volunteer_ids(working) == {volunteer.pk}
    assert f"help request {failing.pk}" in caplog.text


@pytest.mark.django_db
def test_command_prints_progress_and_summary():
    VolunteerFactory.create_batch(2, skills={"data": 2})
    HelpRequestFactory.create_batch(3, skill_area="data")
    out = StringIO()

    call_command("recompute_suggestions", "--progress-every", "2", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "  2 of 3 help requests (67%)"
    assert lines[1] == "  3 of 3 help requests (100%)"
    assert lines[2].startswith("Recomputed suggestions for 3 open help requests: 6 suggestions kept in ")
    assert Match.objects.suggested().count() == 6


@pytest.mark.django_db
def test_command_dry_run_says_nothing_was_written():
    VolunteerFactory(skills={"data": 2})
    HelpRequestFactory(skill_area="data")
    out = StringIO()

    call_command("recompute_suggestions", "--dry-run", stdout=out)

    assert "Dry run: ranked 1 open help requests, which would keep 1 suggestions" in out.getvalue()
    assert "Nothing was written." in out.getvalue()
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_command_at_verbosity_zero_prints_nothing():
    HelpRequestFactory()
    out = StringIO()

    call_command("recompute_suggestions", verbosity=0, stdout=out)

    assert out.getvalue() == ""


@pytest.mark.django_db
def test_command_fails_when_a_request_failed(monkeypatch):
    HelpRequestFactory()

    def always_fail(*, help_request, config=None):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(batch, "refresh_suggestions", always_fail)

    with pytest.raises(CommandError, match="1 help request"):
        call_command("recompute_suggestions", stdout=StringIO())


def test_command_rejects_progress_every_zero():
    with pytest.raises(CommandError, match="invalid number 0"):
        call_command("recompute_suggestions", "--progress-every", "0", stdout=StringIO())


@pytest.mark.django_db
def test_recent_task_refreshes_their_skill_areas(refreshed_request_ids):
    long_ago = timezone.now() - timedelta(days=2)
    data_request = HelpRequestFactory(skill_area="data")
    video_request = HelpRequestFactory(skill_area="video")
    HelpRequestFactory(skill_area="engineering")
    HelpRequestFactory(skill_area="data", status=HelpRequest.Status.CLOSED)
    first = VolunteerFactory(skills={"data": 2, "video": 1})
    second = VolunteerFactory(skills={"data": 3})
    unchanged = VolunteerFactory(skills={"engineering": 3})
    set_updated_at(unchanged, long_ago)

    refreshed = tasks.refresh_suggestions_for_recent_volunteers()

    assert refreshed == 2
    assert refreshed_request_ids == [data_request.pk, video_request.pk], "each request once, in id order"
    assert suggested_volunteer_ids(data_request) == {first.pk, second.pk}
    assert suggested_volunteer_ids(video_request) == {first.pk}


@pytest.mark.django_db
def test_recent_task_skips_earlier_changes(refreshed_request_ids):
    first_run = timezone.now()
    HelpRequestFactory(skill_area="data")
    volunteer = VolunteerFactory(skills={"data": 2})
    set_updated_at(volunteer, first_run - timedelta(minutes=2))
    batch.refresh_for_recent_volunteers(now=first_run)
    assert len(refreshed_request_ids) == 1
    refreshed_request_ids.clear()

    second_run = first_run + timedelta(minutes=5)
    refreshed = batch.refresh_for_recent_volunteers(now=second_run)

    assert refreshed.requests == 0
    assert refreshed_request_ids == []
    assert cache.get(batch.RECENT_VOLUNTEERS_MARK_KEY) == second_run

    set_updated_at(volunteer, second_run + timedelta(seconds=30))
    refreshed = batch.refresh_for_recent_volunteers(now=second_run + timedelta(minutes=5))

    assert refreshed.requests == 1


@pytest.mark.django_db
def test_recent_task_first_run_looks_back(refreshed_request_ids):
    now = timezone.now()
    recent_request = HelpRequestFactory(skill_area="data")
    HelpRequestFactory(skill_area="video")
    recent = VolunteerFactory(skills={"data": 2})
    old = VolunteerFactory(skills={"video": 2})
    set_updated_at(recent, now - timedelta(minutes=9))
    set_updated_at(old, now - timedelta(minutes=11))

    batch.refresh_for_recent_volunteers(now=now)

    assert refreshed_request_ids == [recent_request.pk]


@pytest.mark.django_db
def test_recent_task_rereads_one_minute_overlap(refreshed_request_ids):
    """A save that committed just after the last run read the table is still picked up."""
    now = timezone.now()
    cache.set(batch.RECENT_VOLUNTEERS_MARK_KEY, now - timedelta(minutes=5))
    help_request = HelpRequestFactory(skill_area="data")
    volunteer = VolunteerFactory(skills={"data": 2})
    set_updated_at(volunteer, now - timedelta(minutes=5, seconds=30))

    batch.refresh_for_recent_volunteers(now=now)

    assert refreshed_request_ids == [help_request.pk]


@pytest.mark.django_db
def test_recent_task_drops_removed_skill():
    help_request = HelpRequestFactory(skill_area="data")
    volunteer = VolunteerFactory(skills={"data": 2})
    MatchFactory(volunteer=volunteer, help_request=help_request)
    VolunteerSkill.objects.filter(volunteer=volunteer).update(area="video")

    refreshed = tasks.refresh_suggestions_for_recent_volunteers()

    assert refreshed == 1
    assert suggested_volunteer_ids(help_request) == set()


@pytest.mark.django_db
def test_recent_task_twice_keeps_suggestions():
    help_request = HelpRequestFactory(skill_area="data")
    volunteers = VolunteerFactory.create_batch(3, skills={"data": 2})

    tasks.refresh_suggestions_for_recent_volunteers()
    first = list(Match.objects.suggested().filter(help_request=help_request).values_list("volunteer_id", "rank"))
    cache.delete(batch.RECENT_VOLUNTEERS_MARK_KEY)
    tasks.refresh_suggestions_for_recent_volunteers()
    second = list(Match.objects.suggested().filter(help_request=help_request).values_list("volunteer_id", "rank"))

    assert first == second
    assert {volunteer_id for volunteer_id, _rank in first} == {volunteer.pk for volunteer in volunteers}


def test_recent_task_scheduled_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-suggestions-for-recent-volunteers"]

    assert entry["task"] == tasks.refresh_suggestions_for_recent_volunteers.name
    assert entry["schedule"] == 300.0
    assert entry["options"]["expires"] < entry["schedule"]
