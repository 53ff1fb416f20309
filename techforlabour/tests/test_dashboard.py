"""The organisers' dashboard: its figures, its charts and the admin index page that shows them."""

import re
from datetime import datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching.models import Match
from matching.tests.factories import MatchFactory
from matching.tests.test_admin import ORGANISER_PERMISSIONS, staff_client
from techforlabour import charts, dashboard
from techforlabour.dashboard import LabelledCount
from volunteers.models import Volunteer
from volunteers.tests.factories import UserFactory, VolunteerFactory

TODAY = datetime(2026, 12, 9).date()  # a Wednesday


def figures_by_label(counts) -> dict[str, int]:
    return {count.label: count.value for count in counts}


# Volunteers


@pytest.mark.django_db
def test_volunteer_totals(settings):
    settings.VOLUNTEER_GOAL = 8
    VolunteerFactory()
    VolunteerFactory(is_paused=True)
    VolunteerFactory(user=UserFactory(verified=False))
    VolunteerFactory(user=UserFactory(verified=False), imported_at=timezone.now())
    VolunteerFactory(anonymised_at=timezone.now())

    figures = dashboard.volunteer_figures()

    assert figures.total == 4
    assert figures.goal == 8
    assert figures.goal_percent == 50
    assert figures.paused == 1
    assert figures.unverified == 2
    assert figures.awaiting_confirmation == 1


@pytest.mark.django_db
def test_volunteer_goal_defaults_to_100():
    assert dashboard.volunteer_figures().goal == 100


@pytest.mark.django_db
def test_signups_counted_by_week_from_monday():
    tz = timezone.get_current_timezone()
    moments = [
        datetime(2026, 12, 7, 0, 30, tzinfo=tz),  # Monday of this week, just after midnight in London
        datetime(2026, 12, 6, 23, 30, tzinfo=tz),  # Sunday of last week
        datetime(2026, 12, 1, 12, 0, tzinfo=tz),  # Tuesday of last week
        datetime(2026, 9, 1, 12, 0, tzinfo=tz),  # more than 12 weeks ago
    ]
    for moment in moments:
        volunteer = VolunteerFactory()
        Volunteer.objects.filter(pk=volunteer.pk).update(created_at=moment)

    weeks = dashboard.volunteer_figures(today=TODAY).signups_by_week

    assert len(weeks) == 12
    assert weeks[-1] == LabelledCount("7 Dec", 1)
    assert weeks[-2] == LabelledCount("30 Nov", 2)
    assert sum(week.value for week in weeks) == 3


@pytest.mark.django_db
def test_volunteers_by_skill_and_place():
    VolunteerFactory(skills={"video": 2, "data": 1})
    VolunteerFactory(skills={"video": 3}, local_authority_code="W06000015")
    VolunteerFactory(skills={"video": 3}, local_authority_code="", grid="", easting=None, northing=None)

    figures = dashboard.volunteer_figures()

    assert figures_by_label(figures.by_skill) == {
        "Social media and marketing": 0,
        "Data and analytics": 1,
        "Engineering: websites and landing pages": 0,
        "Video": 3,
    }
    assert figures_by_label(figures.by_nation) == {
        "England": 1,
        "Wales": 1,
        "No location (BFPO or no postcode)": 1,
    }
    assert figures_by_label(figures.by_council) == {"Birmingham": 1, "Cardiff": 1}
    assert figures_by_label(figures.by_region) == {
        "West Midlands": 1,
        "Wales": 1,
        "No location (BFPO or no postcode)": 1,
    }


# Requests


def request_in(days: int, council: str = "Birmingham", **fields) -> HelpRequest:
    election = ElectionFactory(polling_day=TODAY + timedelta(days=days), council=council)
    return HelpRequestFactory(candidate__election=election, **fields)


@pytest.mark.django_db
def test_open_requests_by_urgency_and_skill():
    request_in(-1)
    request_in(3, skill_area="video")
    request_in(7)
    request_in(30)
    request_in(50)
    request_in(3, status=HelpRequest.Status.MATCHED)

    figures = dashboard.request_figures(today=TODAY)

    assert figures.open_total == 5
    assert figures_by_label(figures.by_urgency) == {
        "Polling day passed": 1,
        "7 days or fewer": 2,
        "8 to 21 days": 0,
        "22 to 42 days": 1,
        "More than 42 days": 1,
    }
    assert figures_by_label(figures.by_skill)["Video"] == 1
    assert figures_by_label(figures.by_skill)["Engineering: websites and landing pages"] == 4


@pytest.mark.django_db
def test_shortages_list_ranked_requests_with_nobody():
    ranked = timezone.now()
    short_soon = request_in(5, skill_area="video", suggestions_updated_at=ranked)
    request_in(20, skill_area="video", suggestions_updated_at=ranked)
    request_in(20, "Leeds", skill_area="video", suggestions_updated_at=ranked)
    request_in(-2, skill_area="video", suggestions_updated_at=ranked)  # polling day passed
    request_in(5, skill_area="data")  # never ranked
    has_suggestion = request_in(5, skill_area="data", suggestions_updated_at=ranked)
    MatchFactory(help_request=has_suggestion)

    figures = dashboard.request_figures(today=TODAY)

    assert [(s.skill, s.council, s.requests, s.soonest_polling_day) for s in figures.shortages] == [
        ("Video", "Birmingham", 2, short_soon.candidate.election.polling_day),
        ("Video", "Leeds", 1, TODAY + timedelta(days=20)),
    ]
    assert figures.not_ranked == 1


# Matches


@pytest.mark.django_db
def test_pipeline_counts():
    now = timezone.now()
    MatchFactory()
    MatchFactory(status=Match.Status.SUGGESTED, help_request__status=HelpRequest.Status.OFFERED)
    MatchFactory(status=Match.Status.APPROVED)
    MatchFactory(status=Match.Status.ACCEPTED, introduced_at=now)
    MatchFactory(status=Match.Status.COMPLETED, introduced_at=now - timedelta(days=30))
    MatchFactory(status=Match.Status.DECLINED)
    MatchFactory(status=Match.Status.LAPSED)

    figures = dashboard.pipeline_figures()

    assert figures.suggestions_waiting == 1
    assert figures.requests_waiting == 1
    assert figures.introductions_this_week == 1
    assert figures.awaiting_answer == 1
    assert figures.accepted == 2
    assert figures.declined == 1
    assert figures.lapsed == 1


@pytest.mark.django_db
def test_waiting_lists_best_suggestion_soonest_first():
    later = request_in(40)
    sooner = request_in(10)
    MatchFactory(help_request=later, rank=1)
    rejected_best = MatchFactory(help_request=sooner, rank=1, status=Match.Status.REJECTED)
    best_left = MatchFactory(help_request=sooner, rank=2)
    MatchFactory(help_request=sooner, rank=3)

    waiting = dashboard.waiting_for_approval()

    assert [match.help_request_id for match in waiting] == [sooner.pk, later.pk]
    assert waiting[0].pk == best_left.pk
    assert rejected_best.pk not in {match.pk for match in waiting}


@pytest.mark.django_db
def test_outcomes_by_election():
    election = ElectionFactory()
    winner = CandidateFactory(election=election)
    loser = CandidateFactory(election=election)
    MatchFactory(help_request__candidate=winner, status=Match.Status.COMPLETED, result="won")
    MatchFactory(help_request__candidate=winner, status=Match.Status.COMPLETED, result="won")
    MatchFactory(help_request__candidate=loser, status=Match.Status.COMPLETED, result="lost")
    MatchFactory(status=Match.Status.ACCEPTED)
    MatchFactory(status=Match.Status.DECLINED)

    outcomes = dashboard.outcomes()

    assert (outcomes.campaigns_helped, outcomes.won, outcomes.lost) == (3, 1, 1)
    by_election = {row.election_id: row for row in outcomes.elections}
    assert (by_election[election.pk].campaigns_helped, by_election[election.pk].won) == (2, 1)
    assert by_election[election.pk].lost == 1


# Charts


def test_chart_labels_are_escaped_and_unstyled():
    svg = charts.bar_chart("chart-x", "Title <b>", [LabelledCount("<script>alert(1)</script>", 3)])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert '<title id="chart-x-title">Title &lt;b&gt;</title>' in svg
    assert 'role="img"' in svg


def test_column_chart_scales_to_highest():
    svg = charts.column_chart("c", "Signups", [LabelledCount("1 Dec", 0), LabelledCount("8 Dec", 4)])
    heights = [float(value) for value in re.findall(r'class="chart-bar"[^>]*height="([\d.]+)"', svg)]
    assert heights == [0.0, 160.0]
    assert "<title>8 Dec: 4</title>" in svg


def test_urgent_bars_are_marked():
    rows = [LabelledCount("7 days or fewer", 2), LabelledCount("8 to 21 days", 1)]
    svg = charts.bar_chart("u", "Urgency", rows, alert_labels=["7 days or fewer"])
    assert svg.count("chart-bar-alert") == 1


def test_progress_bar_stops_at_the_goal():
    svg = charts.progress_bar("g", "Goal", 250, 100)
    assert 'class="chart-bar" x="0" y="4" width="600"' in svg


# The admin index page


def seed(requests: int) -> None:
    for number in range(requests):
        help_request = request_in(5 + number, suggestions_updated_at=timezone.now())
        MatchFactory(help_request=help_request, status=Match.Status.SUGGESTED)
        MatchFactory(status=Match.Status.COMPLETED, result="won", introduced_at=timezone.now())


@pytest.mark.django_db
def test_index_shows_every_section_to_organisers():
    client = staff_client(*ORGANISER_PERMISSIONS)
    seed(2)
    page = client.get(reverse("admin:index")).content.decode()

    for heading in ("Waiting for your approval", "Pipeline", "Requests", "Volunteers", "Outcomes"):
        assert f">{heading}</h2>" in page
    assert "Approve and send offer" in page
    assert 'class="dashboard-chart"' in page
    assert "techforlabour/admin_dashboard.css" in page
    dashboard_html = page.split('id="content-main"')[1].split('class="app-')[0]
    assert "style=" not in dashboard_html
    assert not re.search(r'(src|href)="https?://', dashboard_html)


@pytest.mark.django_db
def test_index_hides_sections_without_permission():
    client = staff_client("view_volunteer")
    seed(1)
    page = client.get(reverse("admin:index")).content.decode()
    assert ">Volunteers</h2>" in page
    assert "Waiting for your approval" not in page
    assert ">Requests</h2>" not in page


@pytest.mark.django_db
def test_index_approve_button_needs_approve_permission():
    client = staff_client("view_match", "view_helprequest")
    seed(1)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Waiting for your approval" in page
    assert "Approve and send offer" not in page


@pytest.mark.django_db
def test_index_queries_do_not_grow_with_data():
    client = staff_client(*ORGANISER_PERMISSIONS)
    seed(2)
    client.get(reverse("admin:index"))
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("admin:index"))
    seed(12)
    EmailAddress.objects.filter(user__volunteer__isnull=False).update(verified=False)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("admin:index"))
    assert len(small) == len(large)


@pytest.mark.django_db
def test_volunteer_figures_are_cached_for_a_minute():
    client = staff_client("view_volunteer")
    VolunteerFactory()
    client.get(reverse("admin:index"))
    VolunteerFactory()
    assert ">1 of the goal of 100" in client.get(reverse("admin:index")).content.decode().replace("\n", "")
    cache.clear()
    assert ">2 of the goal of 100" in client.get(reverse("admin:index")).content.decode().replace("\n", "")
