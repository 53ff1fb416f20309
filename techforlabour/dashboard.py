"""
Figures for the organisers' dashboard on the admin index page.

Each figure comes from one aggregate query, so the page makes the same number
of queries (about a dozen) with 100 volunteers or 100,000, though each query
still reads the whole table. Volunteers whose details were erased are left out
of every volunteer count.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone

from candidates.models import HelpRequest
from matching.local_authorities import local_authority_name, region_name
from matching.models import Match
from volunteers.models import SkillArea, Volunteer, VolunteerSkill

DEFAULT_VOLUNTEER_GOAL = 100
SIGNUP_WEEKS = 12
TOP_COUNCILS = 10
WAITING_LISTED = 8
OUTCOME_ELECTIONS = 15
VOLUNTEER_FIGURES_CACHE_KEY = "dashboard:volunteer-figures:v1"
VOLUNTEER_FIGURES_SECONDS = 60

NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
NO_LOCATION = "No location (BFPO or no postcode)"

# Days from today to polling day: (label, first day, last day); None is open-ended.
URGENCY_BUCKETS = [
    ("Polling day passed", None, -1),
    ("7 days or fewer", 0, 7),
    ("8 to 21 days", 8, 21),
    ("22 to 42 days", 22, 42),
    ("More than 42 days", 43, None),
]

INTRODUCED_STATUSES = [Match.Status.ACCEPTED, Match.Status.COMPLETED]


@dataclass(frozen=True)
class LabelledCount:
    """One labelled number, such as a skill area and how many volunteers offer it."""

    label: str
    value: int


@dataclass
class VolunteerFigures:
    total: int
    goal: int
    paused: int
    unverified: int
    awaiting_confirmation: int
    signups_by_week: list[LabelledCount]
    by_skill: list[LabelledCount]
    by_nation: list[LabelledCount]
    by_region: list[LabelledCount]
    by_council: list[LabelledCount]

    @property
    def goal_percent(self) -> int:
        return round(100 * self.total / self.goal) if self.goal else 100


@dataclass(frozen=True)
class Shortage:
    skill: str
    council: str
    requests: int
    soonest_polling_day: date
    target_seats: int = 0


@dataclass
class RequestFigures:
    open_total: int
    by_urgency: list[LabelledCount]
    by_skill: list[LabelledCount]
    shortages: list[Shortage]
    not_ranked: int


@dataclass
class PipelineFigures:
    suggestions_waiting: int
    requests_waiting: int
    introductions_this_week: int
    awaiting_answer: int
    accepted: int
    declined: int
    lapsed: int


@dataclass(frozen=True)
class ElectionOutcome:
    election_id: int
    council: str
    ward: str
    polling_day: date
    campaigns_helped: int
    won: int
    lost: int


@dataclass
class Outcomes:
    elections: list[ElectionOutcome]
    campaigns_helped: int
    won: int
    lost: int


@dataclass
class Dashboard:
    volunteers: VolunteerFigures | None = None
    requests: RequestFigures | None = None
    pipeline: PipelineFigures | None = None
    outcomes: Outcomes | None = None
    waiting: list[Match] = field(default_factory=list)


def volunteer_goal() -> int:
    return int(getattr(settings, "VOLUNTEER_GOAL", DEFAULT_VOLUNTEER_GOAL))


def week_start(day: date) -> date:
    """Return the Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


# Volunteers


def volunteer_figures(*, today: date | None = None) -> VolunteerFigures:
    today = today or timezone.localdate()
    volunteers = Volunteer.objects.filter(anonymised_at__isnull=True)
    # One pass over the table gives the totals, the places and the signups a week together.
    weeks = signup_weeks(today)
    by_place = list(
        volunteers.values("local_authority_code")
        .annotate(
            count=Count("id"),
            paused=Count("id", filter=Q(is_paused=True)),
            **{
                f"week_{number}": Count("id", filter=Q(created_at__gte=start, created_at__lt=end))
                for number, (_monday, start, end) in enumerate(weeks)
            },
        )
        .order_by()
    )
    # NOT EXISTS in WHERE, not in a FILTER clause: PostgreSQL then runs one anti-join
    # instead of a subquery for each of 100,000 rows.
    verified = EmailAddress.objects.filter(user=OuterRef("user"), verified=True)
    unconfirmed = volunteers.exclude(Exists(verified)).aggregate(
        unverified=Count("id"), awaiting=Count("id", filter=Q(imported_at__isnull=False))
    )
    return VolunteerFigures(
        total=sum(row["count"] for row in by_place),
        goal=volunteer_goal(),
        paused=sum(row["paused"] for row in by_place),
        unverified=unconfirmed["unverified"],
        awaiting_confirmation=unconfirmed["awaiting"],
        signups_by_week=[
            LabelledCount(f"{monday:%-d %b}", sum(row[f"week_{number}"] for row in by_place))
            for number, (monday, _start, _end) in enumerate(weeks)
        ],
        by_skill=volunteers_by_skill(),
        **volunteers_by_place(by_place),
    )


def signup_weeks(today: date, weeks: int = SIGNUP_WEEKS) -> list[tuple[date, datetime, datetime]]:
    """Return the Monday, first moment and end of each of the last `weeks` weeks, oldest first.

    Weeks run from Monday to Sunday in the project's time zone, so a signup just
    after midnight on a Monday in summer belongs to the new week.
    """
    tz = timezone.get_current_timezone()
    first_monday = week_start(today) - timedelta(weeks=weeks - 1)
    mondays = [first_monday + timedelta(weeks=number) for number in range(weeks + 1)]
    moments = [timezone.make_aware(datetime.combine(monday, datetime.min.time()), tz) for monday in mondays]
    return [(mondays[number], moments[number], moments[number + 1]) for number in range(weeks)]


def volunteers_by_skill() -> list[LabelledCount]:
    # Erased volunteers keep their skills for the network's counts, but are few: leaving out
    # their ids is cheaper than joining every skill to its volunteer.
    erased = Volunteer.objects.filter(anonymised_at__isnull=False).values("pk")
    rows = VolunteerSkill.objects.exclude(volunteer_id__in=erased).values("area").annotate(count=Count("id")).order_by()
    counts = {row["area"]: row["count"] for row in rows}
    return [LabelledCount(label, counts.get(area, 0)) for area, label in SkillArea.choices]


def volunteers_by_place(rows: list[dict]) -> dict[str, list[LabelledCount]]:
    """Count volunteers by nation, region and council from counts by local authority code.

    Each row has `local_authority_code` and `count`. Regions are England's regions,
    and Wales and Scotland as wholes; see `matching.local_authorities.region_name`.
    """
    nations = Counter()
    regions = Counter()
    councils = Counter()
    for row in rows:
        code = row["local_authority_code"] or ""
        nations[NATIONS.get(code[:1], NO_LOCATION)] += row["count"]
        regions[region_name(code) or NO_LOCATION] += row["count"]
        if code:
            councils[local_authority_name(code) or code] += row["count"]
    by_nation = [LabelledCount(name, nations[name]) for name in [*NATIONS.values(), NO_LOCATION] if nations[name]]
    by_region = [LabelledCount(name, count) for name, count in sorted(regions.items())]
    by_council = [LabelledCount(name, count) for name, count in councils.most_common(TOP_COUNCILS)]
    return {"by_nation": by_nation, "by_region": by_region, "by_council": by_council}


# Requests


def urgency_label(days_to_polling_day: int) -> str:
    for label, first, last in URGENCY_BUCKETS:
        if (first is None or days_to_polling_day >= first) and (last is None or days_to_polling_day <= last):
            return label
    raise ValueError(days_to_polling_day)


def request_figures(*, today: date | None = None) -> RequestFigures:
    today = today or timezone.localdate()
    open_requests = HelpRequest.objects.open()
    rows = (
        open_requests.values("skill_area", polling_day=F("candidate__election__polling_day"))
        .annotate(count=Count("id"))
        .order_by()
    )
    by_urgency = Counter()
    by_skill = Counter()
    for row in rows:
        by_urgency[urgency_label((row["polling_day"] - today).days)] += row["count"]
        by_skill[row["skill_area"]] += row["count"]

    return RequestFigures(
        open_total=sum(by_skill.values()),
        by_urgency=[LabelledCount(label, by_urgency[label]) for label, _first, _last in URGENCY_BUCKETS],
        by_skill=[LabelledCount(label, by_skill[area]) for area, label in SkillArea.choices],
        shortages=shortages(today=today),
        not_ranked=open_requests.filter(suggestions_updated_at__isnull=True).count(),
    )


def shortages(*, today: date) -> list[Shortage]:
    """List where the network is short: open requests whose ranking found no volunteer, by skill and council.

    Rows with target seats come first, then the soonest polling day; elections already past are left out.
    """
    suggested = Match.objects.filter(help_request=OuterRef("pk"), status=Match.Status.SUGGESTED)
    rows = (
        HelpRequest.objects.open()
        .filter(suggestions_updated_at__isnull=False, candidate__election__polling_day__gte=today)
        .exclude(Exists(suggested))
        .values("skill_area", council=F("candidate__election__council"))
        .annotate(
            requests=Count("id"),
            soonest=Min("candidate__election__polling_day"),
            target_seats=Count("id", filter=Q(candidate__election__is_target_seat=True)),
        )
        .order_by("-target_seats", "soonest", "council", "skill_area")
    )
    return [
        Shortage(
            skill=SkillArea(row["skill_area"]).label,
            council=row["council"],
            requests=row["requests"],
            soonest_polling_day=row["soonest"],
            target_seats=row["target_seats"],
        )
        for row in rows
    ]


# Matches


def pipeline_figures(*, today: date | None = None) -> PipelineFigures:
    today = today or timezone.localdate()
    monday = timezone.make_aware(datetime.combine(week_start(today), datetime.min.time()))
    Status = Match.Status
    waiting = Q(status=Status.SUGGESTED, help_request__status=HelpRequest.Status.OPEN)
    totals = Match.objects.aggregate(
        suggestions_waiting=Count("id", filter=waiting),
        requests_waiting=Count("help_request", filter=waiting, distinct=True),
        introductions_this_week=Count("id", filter=Q(introduced_at__gte=monday)),
        awaiting_answer=Count("id", filter=Q(status=Status.APPROVED)),
        accepted=Count("id", filter=Q(status__in=INTRODUCED_STATUSES)),
        declined=Count("id", filter=Q(status=Status.DECLINED)),
        lapsed=Count("id", filter=Q(status=Status.LAPSED)),
    )
    return PipelineFigures(**totals)


def waiting_for_approval(*, limit: int = WAITING_LISTED) -> list[Match]:
    """Return the best suggestion of each open request that has one, target seats first, then soonest polling day."""
    suggested = Match.objects.filter(help_request=OuterRef("pk"), status=Match.Status.SUGGESTED)
    request_ids = list(
        HelpRequest.objects.open()
        .filter(Exists(suggested))
        .order_by("-candidate__election__is_target_seat", "candidate__election__polling_day", "needed_by", "id")
        .values_list("pk", flat=True)[:limit]
    )
    best = {}
    suggestions = (
        Match.objects.filter(help_request_id__in=request_ids, status=Match.Status.SUGGESTED)
        .select_related("volunteer", "help_request__candidate__election")
        .order_by("rank", "id")
    )
    for match in suggestions:
        best.setdefault(match.help_request_id, match)
    return [best[request_id] for request_id in request_ids if request_id in best]


def outcomes(*, limit: int = OUTCOME_ELECTIONS) -> Outcomes:
    """Count, per election and in all, the campaigns that had a volunteer introduced, and those won and lost."""
    introduced = Match.objects.filter(status__in=INTRODUCED_STATUSES)
    candidate = "help_request__candidate"
    totals = introduced.aggregate(
        helped=Count(candidate, distinct=True),
        won=Count(candidate, distinct=True, filter=Q(result=Match.Result.WON)),
        lost=Count(candidate, distinct=True, filter=Q(result=Match.Result.LOST)),
    )
    rows = (
        introduced.values(
            election_id=F(f"{candidate}__election_id"),
            council=F(f"{candidate}__election__council"),
            ward=F(f"{candidate}__election__ward"),
            polling_day=F(f"{candidate}__election__polling_day"),
        )
        .annotate(
            helped=Count(candidate, distinct=True),
            won=Count(candidate, distinct=True, filter=Q(result=Match.Result.WON)),
            lost=Count(candidate, distinct=True, filter=Q(result=Match.Result.LOST)),
        )
        .order_by("-polling_day", "council", "ward")[:limit]
    )
    elections = [
        ElectionOutcome(
            election_id=row["election_id"],
            council=row["council"],
            ward=row["ward"],
            polling_day=row["polling_day"],
            campaigns_helped=row["helped"],
            won=row["won"],
            lost=row["lost"],
        )
        for row in rows
    ]
    return Outcomes(elections=elections, campaigns_helped=totals["helped"], won=totals["won"], lost=totals["lost"])


def cached_volunteer_figures(*, today: date) -> VolunteerFigures:
    """Return the volunteer figures, computed at most once a minute.

    They read every volunteer, which at 100,000 takes longer than the rest of the
    page, and a figure a minute old serves as well for seeing where the network is
    short. The other sections change when an organiser acts, so they are not cached.
    """
    key = f"{VOLUNTEER_FIGURES_CACHE_KEY}:{today.isoformat()}"
    figures = cache.get(key)
    if figures is None:
        figures = volunteer_figures(today=today)
        cache.set(key, figures, VOLUNTEER_FIGURES_SECONDS)
    return figures


def build_dashboard(user, *, today: date | None = None) -> Dashboard:
    """Gather the sections this user may see: each needs the view permission on what it counts."""
    today = today or timezone.localdate()
    dashboard = Dashboard()
    if user.has_perm("volunteers.view_volunteer"):
        dashboard.volunteers = cached_volunteer_figures(today=today)
    if user.has_perm("candidates.view_helprequest"):
        dashboard.requests = request_figures(today=today)
    if user.has_perm("matching.view_match"):
        dashboard.pipeline = pipeline_figures(today=today)
        dashboard.outcomes = outcomes()
        dashboard.waiting = waiting_for_approval()
    return dashboard
