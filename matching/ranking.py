"""
Rank volunteers for a help request in the database.

The rules are those of `matching.scoring`, written as ORM expressions that run on
SQLite and PostgreSQL alike. They read `RankingRow`, one narrow row per volunteer
and skill, so one query over the rows of the requested skill area returns the top
suggestions whatever the number of volunteers. In-person work is first narrowed
to a square around the campaign on the indexed easting and northing columns.
"""

import logging
from datetime import date

from django.db.models import Case, Count, Exists, F, FloatField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Sqrt
from django.utils import timezone

from accounts.verification import campaign_may_be_matched
from candidates.models import HelpRequest
from volunteers.models import Volunteer, VolunteerSkill, WorkMode

from . import ranking_rows
from .models import Match, RankingRow
from .postcodes import METRES_PER_MILE
from .scoring import PART_NAMES, MatchingConfig

logger = logging.getLogger(__name__)

# The widest travel radius a volunteer can give; it bounds the square searched for in-person work.
MAX_TRAVEL_RADIUS_MILES = 100

IN_PERSON_MODES = [WorkMode.IN_PERSON, WorkMode.BOTH]
REMOTE_MODES = [WorkMode.REMOTE, WorkMode.BOTH]

# Names of the score annotations on each row, which each ranked volunteer carries too.
SCORE_ATTRIBUTES = (*(f"{name}_part" for name in PART_NAMES), "total_score", "distance_miles_value")


def _float(value) -> Cast:
    # PostgreSQL reads a bare 0.5 as numeric, and arithmetic on numeric is many times
    # slower than on double precision. The cast is folded into a constant when planning.
    return Cast(Value(float(value)), output_field=FloatField())


def ranked_rows(help_request: HelpRequest, *, config: MatchingConfig | None = None, today: date | None = None):
    """Return a queryset of the eligible ranking rows for this request, with each score part, best first.

    Each row carries the annotations named in SCORE_ATTRIBUTES. The caller
    slices it; nothing is evaluated here.
    """
    config = config or MatchingConfig.from_settings()
    today = today or timezone.localdate()
    candidate = help_request.candidate

    # Only volunteers who may be suggested have rows, so pauses, erasure and
    # unverified addresses need no test here.
    rows = (
        RankingRow.objects.filter(area=help_request.skill_area, available_from__lte=help_request.needed_by)
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
        .filter(active_matches__lt=F("max_active_matches"))
    )

    # Anyone already put forward for this request (in any state but a fresh suggestion),
    # or turned down for this campaign, is left out.
    already_considered = Match.objects.filter(volunteer=OuterRef("volunteer_id"), help_request=help_request).exclude(
        status=Match.Status.SUGGESTED
    )
    turned_down = Match.objects.filter(
        volunteer=OuterRef("volunteer_id"),
        help_request__candidate=candidate,
        status__in=Match.CLOSED_TO_VOLUNTEER_STATUSES,
    )
    rows = rows.exclude(Exists(already_considered)).exclude(Exists(turned_down))

    rows = _with_distance(rows, help_request)
    rows = _filter_by_work_mode(rows, help_request)
    rows = _with_score_parts(rows, help_request, config, today)
    # The requests of a campaign whose account has not confirmed its email address wait.
    rows = rows.filter(campaign_may_be_matched(candidate))

    return rows.order_by("-total_score", "volunteer_id")


def top_volunteers(
    help_request: HelpRequest, *, limit: int, config: MatchingConfig | None = None, today: date | None = None
) -> list[Volunteer]:
    """Return the best `limit` volunteers for this request, best first, each with the score parts of its row.

    A second query checks the chosen rows against the volunteers' own records.
    Rows that fell behind (after a change made without signals) are rebuilt and
    the ranking runs once more, so no volunteer is suggested from an old copy
    of their details.
    """
    config = config or MatchingConfig.from_settings()
    today = today or timezone.localdate()

    for attempt in range(1, 3):
        rows = list(ranked_rows(help_request, config=config, today=today)[:limit])
        volunteers = _current_volunteers(help_request, [row.volunteer_id for row in rows])
        stale_ids = {row.volunteer_id for row in rows if not _row_is_current(row, volunteers.get(row.volunteer_id))}
        if not stale_ids:
            break
        logger.warning(
            "Ranking rows of %d volunteers were out of date for help request %s (attempt %d); rebuilt them",
            len(stale_ids),
            help_request.pk,
            attempt,
        )
        ranking_rows.rebuild_for_volunteers(stale_ids)

    # After two rebuilds, rows still behind belong to volunteers changing at this
    # moment; leaving them out gives a shorter list, never a wrong one.
    return [_with_scores(volunteers[row.volunteer_id], row) for row in rows if row.volunteer_id not in stale_ids]


def _current_volunteers(help_request: HelpRequest, volunteer_ids: list[int]) -> dict[int, Volunteer]:
    """Load the chosen volunteers from their own records, with the level and place count that rows copy."""
    if not volunteer_ids:
        return {}
    requested_level = VolunteerSkill.objects.filter(volunteer=OuterRef("pk"), area=help_request.skill_area)
    active_count = (
        Match.objects.active()
        .filter(volunteer=OuterRef("pk"))
        .order_by()
        .values("volunteer")
        .annotate(count=Count("pk"))
    )
    return (
        Volunteer.objects.matchable()
        .filter(pk__in=volunteer_ids)
        .annotate(
            requested_level=Subquery(requested_level.values("level")[:1]),
            active_count=Coalesce(Subquery(active_count.values("count")), 0),
        )
        .in_bulk()
    )


def _row_is_current(row: RankingRow, volunteer: Volunteer | None) -> bool:
    if volunteer is None:
        return False
    if row.level != volunteer.requested_level or row.active_matches != volunteer.active_count:
        return False
    return all(getattr(row, name) == getattr(volunteer, name) for name in ranking_rows.COPIED_FIELDS)


def _with_scores(volunteer: Volunteer, row: RankingRow) -> Volunteer:
    for name in SCORE_ATTRIBUTES:
        setattr(volunteer, name, getattr(row, name))
    return volunteer


def _with_distance(rows, help_request: HelpRequest):
    if help_request.candidate.easting is None:
        return rows.annotate(distance_miles_value=Value(None, output_field=FloatField()))

    dx = Cast(F("easting"), FloatField()) - _float(help_request.candidate.easting)
    dy = Cast(F("northing"), FloatField()) - _float(help_request.candidate.northing)
    # dx * dx rather than POWER(dx, 2): the same exact value, since both are whole
    # numbers of metres, without a function call (a Python one on SQLite) per row.
    return rows.annotate(distance_miles_value=Sqrt(dx * dx + dy * dy) / _float(METRES_PER_MILE))


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


def _filter_by_work_mode(rows, help_request: HelpRequest):
    return rows.filter(_in_person_condition(help_request) | _remote_condition(help_request))


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


def _with_score_parts(rows, help_request: HelpRequest, config: MatchingConfig, today: date):
    level_cases = [When(level=level, then=_float(factor)) for level, factor in config.level_factors.items()]
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

    rows = rows.annotate(
        skill_part=skill_part,
        distance_part=distance_part,
        availability_part=availability_part,
        capacity_part=capacity_part,
        fairness_part=fairness_part,
    )
    total = sum(
        (_float(config.weights[name]) * F(f"{name}_part") for name in PART_NAMES),
        start=_float(0),
    )
    return rows.annotate(total_score=total)
