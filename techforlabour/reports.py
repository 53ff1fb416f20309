"""
The network's results, per ballot and overall: candidates helped, requests met
and unmet by skill, election results and the win rate.

Counts only, with no names, so the page can be shared beyond the organisers.

- A request is met when a volunteer was introduced and the match is still
  live or completed. Every other request is unmet, including closed ones.
- A candidate is helped when at least one of their requests is met.
- A candidate's result is the one recorded on the candidate (from Democracy
  Club's results or an organiser), or else the one a campaign gave on any of
  its matches: won if any says won.
- The win rate is won / (won + lost) among helped candidates with a result.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.db.models import Count, Exists, OuterRef, Q

from candidates.models import Candidate, Election, HelpRequest
from matching.models import Match
from volunteers.models import SkillArea

MET_STATUSES = [Match.Status.ACCEPTED, Match.Status.COMPLETED]
SHARE_SALT = "techforlabour.reports.share"
SHARE_LINK_DAYS = 30


@dataclass
class SkillRow:
    skill_area: str
    label: str
    met: int = 0
    unmet: int = 0

    @property
    def total(self) -> int:
        return self.met + self.unmet


@dataclass
class Results:
    won: int = 0
    lost: int = 0
    unknown: int = 0

    @property
    def win_rate(self) -> float | None:
        decided = self.won + self.lost
        return self.won / decided if decided else None

    def count(self, result: str) -> None:
        if result == Candidate.Result.WON:
            self.won += 1
        elif result == Candidate.Result.LOST:
            self.lost += 1
        else:
            self.unknown += 1


@dataclass
class Section:
    """The figures of one ballot, or of the whole network."""

    candidates: int = 0
    candidates_helped: int = 0
    skills: dict[str, SkillRow] = field(
        default_factory=lambda: {area: SkillRow(area, label) for area, label in SkillArea.choices}
    )
    helped_results: Results = field(default_factory=Results)
    other_results: Results = field(default_factory=Results)

    @property
    def requests_met(self) -> int:
        return sum(row.met for row in self.skills.values())

    @property
    def requests_unmet(self) -> int:
        return sum(row.unmet for row in self.skills.values())

    @property
    def skill_rows(self) -> list[SkillRow]:
        return list(self.skills.values())


@dataclass
class ElectionSection(Section):
    election: Election | None = None


@dataclass
class NetworkReport:
    year: int | None
    overall: Section
    elections: list[ElectionSection]


def _met_request():
    return Exists(Match.objects.filter(help_request=OuterRef("pk"), status__in=MET_STATUSES))


def build_report(*, year: int | None = None) -> NetworkReport:
    """Count the network's work, for one polling year or for all time, in four queries."""
    ballots = Election.objects.all()
    if year is not None:
        ballots = ballots.filter(polling_day__year=year)

    requests = (
        HelpRequest.objects.filter(candidate__election__in=ballots)
        .annotate(is_met=_met_request())
        .values("candidate__election_id", "skill_area")
        .annotate(met=Count("id", filter=Q(is_met=True)), total=Count("id"))
        .order_by()
    )
    candidate_matches = Match.objects.filter(help_request__candidate=OuterRef("pk"))
    candidates = (
        Candidate.objects.filter(election__in=ballots)
        .annotate(
            helped=Exists(candidate_matches.filter(status__in=MET_STATUSES)),
            match_won=Exists(candidate_matches.filter(result=Match.Result.WON)),
            match_lost=Exists(candidate_matches.filter(result=Match.Result.LOST)),
        )
        .values("election_id", "helped", "result", "match_won", "match_lost")
        .order_by()
    )

    overall = Section()
    sections: dict[int, ElectionSection] = defaultdict(ElectionSection)
    for row in requests:
        for section in (overall, sections[row["candidate__election_id"]]):
            skill = section.skills.get(row["skill_area"])
            if skill is not None:
                skill.met += row["met"]
                skill.unmet += row["total"] - row["met"]

    for row in candidates:
        result = row["result"]
        if not result and row["match_won"]:
            result = Candidate.Result.WON
        elif not result and row["match_lost"]:
            result = Candidate.Result.LOST
        election_section = sections.get(row["election_id"])
        for section in (overall, election_section):
            if section is None:
                continue
            section.candidates += 1
            if row["helped"]:
                section.candidates_helped += 1
                section.helped_results.count(result)
            else:
                section.other_results.count(result)

    by_id = Election.objects.in_bulk(list(sections))
    rows = []
    for election_id, section in sections.items():
        section.election = by_id.get(election_id)
        if section.election is not None:
            rows.append(section)
    rows.sort(key=lambda section: (section.election.polling_day, section.election.council, section.election.ward))
    return NetworkReport(year=year, overall=overall, elections=rows)


def make_share_token(*, year: int | None) -> str:
    return signing.dumps({"y": year}, salt=SHARE_SALT)


def read_share_token(token: str) -> int | None:
    """Return the year a share link shows (None for all years); raise signing.BadSignature when it cannot be used."""
    data = signing.loads(token, salt=SHARE_SALT, max_age=timedelta(days=SHARE_LINK_DAYS))
    if not isinstance(data, dict) or not (data.get("y") is None or isinstance(data.get("y"), int)):
        raise signing.BadSignature("The report link has been changed.")
    return data["y"]
