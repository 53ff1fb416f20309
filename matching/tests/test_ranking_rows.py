"""The ranking rows follow every change to what they copy, and ranking never trusts an old copy."""

import importlib
import logging

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.privacy.erasure import erase_person
from candidates.tests.factories import HelpRequestFactory
from matching import ranking_rows, services
from matching.models import Match, RankingRow
from matching.ranking import top_volunteers
from matching.tests.factories import MatchFactory
from volunteers.models import Volunteer, VolunteerSkill
from volunteers.tests.factories import UserFactory, VolunteerFactory
from volunteers.tests.test_signup import valid_signup


def stored_rows() -> set[tuple]:
    """Return every stored ranking row as a tuple of its values, to compare with the rows the records call for."""
    fields = ("volunteer_id", "area", "level", "active_matches", *ranking_rows.COPIED_FIELDS)
    return set(RankingRow.objects.values_list(*fields))


def expected_rows() -> set[tuple]:
    fields = ("volunteer_id", "area", "level", "active_matches", *ranking_rows.COPIED_FIELDS)
    ids = list(Volunteer.objects.values_list("pk", flat=True))
    return {tuple(getattr(row, name) for name in fields) for row in ranking_rows.rows_for(ids)}


def assert_rows_in_step():
    assert stored_rows() == expected_rows()


def rows_of(volunteer) -> dict[str, RankingRow]:
    return {row.area: row for row in RankingRow.objects.filter(volunteer=volunteer)}


@pytest.mark.django_db
def test_signup_rows_wait_for_confirmation(client):
    client.post(reverse("volunteer_signup"), valid_signup(skill_data="2"))
    volunteer = Volunteer.objects.get()
    assert rows_of(volunteer) == {}

    address = EmailAddress.objects.get(user=volunteer.user)
    address.set_verified(commit=True)

    rows = rows_of(volunteer)
    assert {area: row.level for area, row in rows.items()} == {"video": 3, "data": 2}
    assert rows["video"].easting == 406523
    assert_rows_in_step()


@pytest.mark.django_db
def test_profile_change_rewrites_rows(client):
    volunteer = VolunteerFactory(skills={"video": 1, "data": 2})
    client.force_login(volunteer.user)
    profile = valid_signup(skill_video="3", skill_data="", skill_engineering="1", hours_per_week="12")
    for name in ("email", "password1", "password2", "privacy_consent"):
        profile.pop(name)

    response = client.post(reverse("volunteer_profile"), profile)

    assert response.status_code == 302
    rows = rows_of(volunteer)
    assert {area: row.level for area, row in rows.items()} == {"video": 3, "engineering": 1}
    assert rows["video"].hours_per_week == 12
    assert_rows_in_step()


@pytest.mark.django_db
def test_pause_and_resume_rows():
    volunteer = VolunteerFactory(skills={"video": 2})

    volunteer.is_paused = True
    volunteer.save()
    assert rows_of(volunteer) == {}

    volunteer.is_paused = False
    volunteer.save()
    assert set(rows_of(volunteer)) == {"video"}


@pytest.mark.django_db
def test_skill_save_and_delete():
    volunteer = VolunteerFactory(skills={"video": 2})

    skill = VolunteerSkill.objects.create(volunteer=volunteer, area="data", level=1)
    assert rows_of(volunteer)["data"].level == 1

    skill.level = 3
    skill.save()
    assert rows_of(volunteer)["data"].level == 3

    skill.delete()
    assert set(rows_of(volunteer)) == {"video"}
    assert_rows_in_step()


@pytest.mark.django_db
def test_unverified_address_removes_rows():
    volunteer = VolunteerFactory(skills={"video": 2})
    address = EmailAddress.objects.get(user=volunteer.user)

    address.verified = False
    address.save()

    assert rows_of(volunteer) == {}


@pytest.mark.django_db
def test_account_deletion_removes_rows():
    volunteer = VolunteerFactory(skills={"video": 2})

    volunteer.user.delete()

    volunteer.refresh_from_db()
    assert volunteer.user_id is None
    assert rows_of(volunteer) == {}


@pytest.mark.django_db
def test_erasure_removes_rows():
    volunteer = VolunteerFactory(skills={"video": 2})

    erase_person(user=volunteer.user)

    assert rows_of(volunteer) == {}
    assert_rows_in_step()


@pytest.mark.django_db
def test_offer_and_decline_count_places(organiser):
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=2)
    suggestion = MatchFactory(volunteer=volunteer, help_request=HelpRequestFactory(skill_area="video"))
    assert rows_of(volunteer)["video"].active_matches == 0

    services.approve_match(match_id=suggestion.pk, organiser=organiser)
    row = rows_of(volunteer)["video"]
    assert row.active_matches == 1
    assert row.last_matched_day == timezone.localdate().toordinal()

    services.decline_offer(match_id=suggestion.pk, reason=Match.DeclineReason.TOO_BUSY)
    assert rows_of(volunteer)["video"].active_matches == 0
    assert_rows_in_step()


@pytest.mark.django_db
def test_request_deletion_frees_places():
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=2)
    match = MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)
    assert rows_of(volunteer)["video"].active_matches == 1

    match.help_request.delete()

    assert rows_of(volunteer)["video"].active_matches == 0


@pytest.mark.django_db
def test_ranking_rebuilds_stale_rows(caplog):
    help_request = HelpRequestFactory(skill_area="video", work_mode="remote")
    paused = VolunteerFactory(skills={"video": 3})
    full = VolunteerFactory(skills={"video": 3}, max_active_matches=1)
    available = VolunteerFactory(skills={"video": 1})
    # update() sends no signals, so these rows still show both as free to help.
    Volunteer.objects.filter(pk=paused.pk).update(is_paused=True)
    Match.objects.bulk_create([Match(volunteer=full, help_request=HelpRequestFactory(), status="accepted")])

    with caplog.at_level(logging.WARNING, logger="matching.ranking"):
        top = top_volunteers(help_request, limit=10)

    assert [volunteer.pk for volunteer in top] == [available.pk]
    assert "Ranking rows of 2 volunteers were out of date" in caplog.text
    assert_rows_in_step()


@pytest.mark.django_db
def test_rebuild_all_restores_rows():
    volunteers = VolunteerFactory.create_batch(3, skills={"video": 2, "data": 1})
    expected = stored_rows()
    RankingRow.objects.filter(volunteer=volunteers[0]).delete()
    RankingRow.objects.filter(volunteer=volunteers[1]).update(level=1, hours_per_week=40)
    RankingRow.objects.create(
        volunteer=volunteers[2],
        area="engineering",
        level=3,
        work_mode="remote",
        hours_per_week=1,
        available_from=timezone.localdate(),
        max_active_matches=1,
        active_matches=0,
    )

    written = ranking_rows.rebuild_all()

    assert written == 6
    assert stored_rows() == expected


@pytest.mark.django_db
def test_rebuild_all_in_chunks(monkeypatch):
    monkeypatch.setattr(ranking_rows, "CHUNK_SIZE", 2)
    VolunteerFactory.create_batch(5, skills={"video": 2})
    RankingRow.objects.all().delete()
    progress = []

    ranking_rows.rebuild_all(progress=lambda done, total: progress.append((done, total)))

    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert RankingRow.objects.count() == 5


@pytest.mark.django_db
def test_migration_builds_same_rows():
    VolunteerFactory(skills={"video": 2, "data": 3})
    VolunteerFactory(skills={"video": 1}, is_paused=True)
    VolunteerFactory(skills={"engineering": 2}, user=UserFactory(verified=False))
    busy = VolunteerFactory(skills={"video": 2}, max_active_matches=3)
    MatchFactory(volunteer=busy, status=Match.Status.APPROVED)
    MatchFactory(volunteer=busy, status=Match.Status.DECLINED)
    expected = stored_rows()
    RankingRow.objects.all().delete()

    migration = importlib.import_module("matching.migrations.0004_ranking_rows")
    migration.build_rows(apps, schema_editor=None)

    assert stored_rows() == expected
    assert len(expected) == 3


@pytest.mark.django_db
def test_recompute_rebuilds_rows_first(capsys):
    volunteer = VolunteerFactory(skills={"video": 2})
    RankingRow.objects.all().delete()

    call_command("recompute_suggestions", "--rebuild-rows")

    assert "Rewrote the ranking rows: 1 rows." in capsys.readouterr().out
    assert set(rows_of(volunteer)) == {"video"}


@pytest.mark.django_db
def test_recompute_rebuild_rejects_dry_run():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot be used with --dry-run"):
        call_command("recompute_suggestions", "--rebuild-rows", "--dry-run")


@pytest.mark.django_db
def test_daily_job_rewrites_rows(settings):
    from matching import tasks

    volunteer = VolunteerFactory(skills={"video": 2, "data": 1})
    RankingRow.objects.filter(volunteer=volunteer, area="data").delete()
    schedule = settings.CELERY_BEAT_SCHEDULE["rebuild-ranking-rows"]

    assert schedule["task"] == tasks.rebuild_ranking_rows.name
    assert tasks.rebuild_ranking_rows.delay().get() == 2
    assert set(rows_of(volunteer)) == {"video", "data"}
