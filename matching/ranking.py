"""
Rank volunteers for a help request in the database.

The rules are those of `matching.scoring`, written as ORM expressions that run on
SQLite and PostgreSQL alike, so one query returns the top suggestions whatever
the number of volunteers. In-person work is first narrowed to a square around the
campaign on the indexed easting and northing columns.
"""

from datetime import date

from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.expressions import Col
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Sqrt
from django.utils import timezone

from accounts.verification import campaign_may_be_matched
from candidates.models import HelpRequest
from volunteers.models import Volunteer, WorkMode

from .models import Match
from .postcodes import METRES_PER_MILE
from .scoring import PART_NAMES, MatchingConfig

# The widest travel radius a volunteer can give; it bounds the square searched for in-person work.
MAX_TRAVEL_RADIUS_MILES = 100

IN_PERSON_MODES = [WorkMode.IN_PERSON, WorkMode.BOTH]
REMOTE_MODES = [WorkMode.REMOTE, WorkMode.BOTH]


class _PerVolunteer(ExpressionWrapper):
    """A score expression grouped by the columns it reads, not by its own value.

    The active matches are counted with GROUP BY. Django would put each score
    expression into the GROUP BY as a whole, so the database would compute every
    expression for every row, then hash its value. The columns give the same
    groups, one per volunteer, and let each score be computed once per group.
    """

    def get_group_by_cols(self):
        return _columns_outside_aggregates(self.expression)


def _columns_outside_aggregates(expression) -> list:
    if isinstance(expression, Col):
        return [expression]
    if isinstance(expression, Aggregate):
        return []
    columns = []
    for source in expression.get_source_expressions():
        if source is not None and hasattr(source, "get_source_expressions"):
            columns.extend(_columns_outside_aggregates(source))
    return columns


def _float(value) -> Cast:
    # PostgreSQL reads a bare 0.5 as numeric, and arithmetic on numeric is many times
    # slower than on double precision. The cast is folded into a constant when planning.
    return Cast(Value(float(value)), output_field=FloatField())


def ranked_volunteers(help_request: HelpRequest, *, config: MatchingConfig | None = None, today: date | None = None):
    """Return a queryset of eligible volunteers annotated with each score part, best first.

    Each volunteer carries `skill_part`, `distance_part`, `availability_part`,
    `capacity_part`, `fairness_part`, `total_score` and `distance_miles_value`.
    The caller slices it; nothing is evaluated here.
    """
    config = config or MatchingConfig.from_settings()
    today = today or timezone.localdate()
    candidate = help_request.candidate

    volunteers = (
        Volunteer.objects.matchable()
        .annotate(requested_skill=FilteredRelation("skills", condition=Q(skills__area=help_request.skill_area)))
        .filter(requested_skill__isnull=False)
        .filter(available_from__lte=help_request.needed_by)
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
    )

    # Anyone already put forward for this request (in any state but a fresh suggestion),
    # or turned down for this campaign, is left out.
    already_considered = Match.objects.filter(volunteer=OuterRef("pk"), help_request=help_request).exclude(
        status=Match.Status.SUGGESTED
    )
    turned_down = Match.objects.filter(
        volunteer=OuterRef("pk"),
        help_request__candidate=candidate,
        status__in=Match.CLOSED_TO_VOLUNTEER_STATUSES,
    )
    volunteers = (
        volunteers.exclude(Exists(already_considered))
        .exclude(Exists(turned_down))
        .annotate(
            active_place=FilteredRelation("matches", condition=Q(matches__status__in=Match.ACTIVE_STATUSES)),
        )
        .annotate(active_matches=Count("active_place__id"))
        .filter(active_matches__lt=F("max_active_matches"))
    )

    volunteers = _with_distance(volunteers, help_request)
    volunteers = _filter_by_work_mode(volunteers, help_request)
    volunteers = _with_score_parts(volunteers, help_request, config, today)
    # The requests of a campaign whose account has not confirmed its email address wait.
    volunteers = volunteers.filter(campaign_may_be_matched(candidate))

    return volunteers.order_by("-total_score", "id")


def _with_distance(volunteers, help_request: HelpRequest):
    if help_request.candidate.easting is None:
        return volunteers.annotate(distance_miles_value=Value(None, output_field=FloatField()))

    dx = Cast(F("easting"), FloatField()) - _float(help_request.candidate.easting)
    dy = Cast(F("northing"), FloatField()) - _float(help_request.candidate.northing)
    # dx * dx rather than POWER(dx, 2): the same exact value, since both are whole
    # numbers of metres, without a function call (a Python one on SQLite) per row.
    return volunteers.annotate(
        distance_miles_value=_PerVolunteer(Sqrt(dx * dx + dy * dy) / _float(METRES_PER_MILE), FloatField()),
    )


def _in_person_condition(help_request: HelpRequest) -> Q:
    """Volunteers who will travel to this campaign: in the square, then within their own radius."""
    candidate = help_request.candidate
    if help_request.work_mode == HelpRequest.WorkMode.REMOTE or candidate.easting is None:
        return Q(pk__in=[])

    reach = int(MAX_TRAVEL_RADIUS_MILES * METRES_PER_MILE) + 1
    return Q(
        work_mode__in=IN_PERSON_MODES,
        easting__gte=candidate.easting - reach,
        easting__lte=candidate.easting + reach,
        northing__gte=candidate.northing - reach,
        northing__lte=candidate.northing + reach,
        travel_radius_miles__gte=1,
        distance_miles_value__lte=F("travel_radius_miles"),
    )


def _remote_condition(help_request: HelpRequest) -> Q:
    if help_request.work_mode == HelpRequest.WorkMode.IN_PERSON:
        return Q(pk__in=[])
    return Q(work_mode__in=REMOTE_MODES)


def _filter_by_work_mode(volunteers, help_request: HelpRequest):
    return volunteers.filter(_in_person_condition(help_request) | _remote_condition(help_request))


def _distance_part(help_request: HelpRequest, in_person_part, remote_part):
    """Choose the distance part for rows that already passed the work mode filter.

    The filter has settled how each volunteer can take the work, so only an
    "either" request needs to test it again, and then only once per row.
    """
    if help_request.work_mode == HelpRequest.WorkMode.REMOTE or help_request.candidate.easting is None:
        return remote_part
    if help_request.work_mode == HelpRequest.WorkMode.IN_PERSON:
        return in_person_part

    in_person_or_better = Case(
        When(work_mode=WorkMode.BOTH, then=Greatest(in_person_part, remote_part)),
        default=in_person_part,
        output_field=FloatField(),
    )
    return Case(
        When(_in_person_condition(help_request), then=in_person_or_better),
        default=remote_part,
        output_field=FloatField(),
    )


def _with_score_parts(volunteers, help_request: HelpRequest, config: MatchingConfig, today: date):
    level_cases = [
        When(requested_skill__level=level, then=_float(factor)) for level, factor in config.level_factors.items()
    ]
    skill_part = Case(*level_cases, default=_float(0), output_field=FloatField())

    in_person_part = _float(1) - F("distance_miles_value") / Cast(F("travel_radius_miles"), FloatField())
    if help_request.candidate.easting is None:
        remote_part = _float(0)
    else:
        closeness = Greatest(_float(0), _float(1) - F("distance_miles_value") / _float(config.remote_locality_miles))
        remote_part = _float(config.remote_locality_share) * Coalesce(closeness, _float(0))

    distance_part = _distance_part(help_request, in_person_part, remote_part)

    availability_part = Least(_float(1), Cast(F("hours_per_week"), FloatField()) / _float(help_request.estimated_hours))
    capacity_part = _float(1) - Cast(F("active_matches"), FloatField()) / Cast(F("max_active_matches"), FloatField())

    days_waited = Cast(Value(today.toordinal()) - F("last_matched_day"), FloatField())
    fairness_part = Case(
        When(last_matched_day__isnull=True, then=_float(1)),
        default=Least(_float(1), Greatest(_float(0), days_waited / _float(config.fairness_full_after_days))),
        output_field=FloatField(),
    )

    volunteers = volunteers.annotate(
        skill_part=_PerVolunteer(skill_part, FloatField()),
        distance_part=_PerVolunteer(distance_part, FloatField()),
        availability_part=_PerVolunteer(availability_part, FloatField()),
        capacity_part=_PerVolunteer(capacity_part, FloatField()),
        fairness_part=_PerVolunteer(fairness_part, FloatField()),
    )
    total = sum(
        (_float(config.weights[name]) * F(f"{name}_part") for name in PART_NAMES),
        start=_float(0),
    )
    return volunteers.annotate(total_score=_PerVolunteer(total, FloatField()))
