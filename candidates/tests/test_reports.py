"""The network's results: candidates helped, requests met and unmet by skill, results and win rate."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from candidates.models import Candidate, HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching.models import Match
from matching.tests.factories import MatchFactory
from techforlabour import reports
from volunteers.tests.factories import UserFactory


@pytest.fixture
def season(db):
    """Two ballots: in one a helped candidate won and another lost; in the other nobody was helped."""
    today = timezone.localdate()
    leeds = ElectionFactory(council="Leeds", ward="Armley", polling_day=today - timedelta(days=10))
    hackney = ElectionFactory(council="Hackney", ward="Dalston", polling_day=today - timedelta(days=10))

    winner = CandidateFactory(election=leeds)
    met = HelpRequestFactory(candidate=winner, skill_area="engineering", status=HelpRequest.Status.MATCHED)
    MatchFactory(help_request=met, status=Match.Status.COMPLETED, result=Match.Result.WON)
    HelpRequestFactory(candidate=winner, skill_area="video", status=HelpRequest.Status.CLOSED)

    loser = CandidateFactory(election=leeds, result=Candidate.Result.LOST)
    met_too = HelpRequestFactory(candidate=loser, skill_area="data", status=HelpRequest.Status.MATCHED)
    MatchFactory(help_request=met_too, status=Match.Status.ACCEPTED)

    unhelped = CandidateFactory(election=hackney, result=Candidate.Result.WON)
    unmet = HelpRequestFactory(candidate=unhelped, skill_area="engineering")
    MatchFactory(help_request=unmet, status=Match.Status.CANCELLED)
    CandidateFactory(user=None, election=hackney, democracy_club_person_id=7, result=Candidate.Result.LOST)
    return {"leeds": leeds, "hackney": hackney}


@pytest.mark.django_db
def test_overall_figures(season):
    report = reports.build_report()

    overall = report.overall
    assert overall.candidates == 4
    assert overall.candidates_helped == 2
    assert overall.requests_met == 2
    assert overall.requests_unmet == 2
    assert (overall.helped_results.won, overall.helped_results.lost) == (1, 1)
    assert overall.helped_results.win_rate == 0.5
    assert (overall.other_results.won, overall.other_results.lost) == (1, 1)


@pytest.mark.django_db
def test_met_and_unmet_by_skill(season):
    skills = {row.skill_area: (row.met, row.unmet) for row in reports.build_report().overall.skill_rows}

    assert skills == {"engineering": (1, 1), "data": (1, 0), "video": (0, 1), "social_media": (0, 0)}


@pytest.mark.django_db
def test_per_ballot_figures(season):
    sections = {section.election: section for section in reports.build_report().elections}

    leeds, hackney = sections[season["leeds"]], sections[season["hackney"]]
    assert (leeds.candidates, leeds.candidates_helped, leeds.requests_met, leeds.requests_unmet) == (2, 2, 2, 1)
    assert (leeds.helped_results.won, leeds.helped_results.lost) == (1, 1)
    assert (hackney.candidates, hackney.candidates_helped, hackney.requests_unmet) == (2, 0, 1)
    assert hackney.helped_results.win_rate is None


@pytest.mark.django_db
def test_candidate_result_overrides_match_result(season):
    winner = Candidate.objects.get(help_requests__skill_area="video")
    Candidate.objects.filter(pk=winner.pk).update(result=Candidate.Result.LOST)

    assert reports.build_report().overall.helped_results.lost == 2


@pytest.mark.django_db
def test_report_by_year(season):
    this_year = timezone.localdate().year

    assert reports.build_report(year=this_year - 5).overall.candidates == 0
    assert reports.build_report(year=season["leeds"].polling_day.year).overall.candidates == 4


@pytest.mark.django_db
def test_report_page_for_organisers(client, season):
    staff = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_election"))
    client.force_login(staff)

    response = client.get(reverse("network_report"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Leeds, Armley" in content
    assert "50%" in content
    assert reverse("shared_report", args=["x"])[: -len("x/")] in content
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_report_page_refuses_others(client, season):
    client.force_login(UserFactory())
    assert client.get(reverse("network_report")).status_code == 403

    client.logout()
    response = client.get(reverse("network_report"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_shared_link_works_without_sign_in(client, season):
    token = reports.make_share_token(year=None)

    response = client.get(reverse("shared_report", args=[token]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Leeds, Armley" in content
    assert "send them this link" not in content
    for candidate in Candidate.objects.all():
        assert candidate.full_name not in content


@pytest.mark.django_db
def test_shared_link_tampered_or_old(client, season):
    token = reports.make_share_token(year=None)

    assert client.get(reverse("shared_report", args=[token[:-2] + "xx"])).status_code == 400
    with freeze_time(timezone.now() + timedelta(days=reports.SHARE_LINK_DAYS + 1)):
        assert client.get(reverse("shared_report", args=[token])).status_code == 400
