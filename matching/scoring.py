"""
The matching rules, stated once in plain Python.

This module is the reference: `matching.ranking` computes the same scores in
SQL for speed, and the tests check that both agree. Nothing here touches the
database, so every rule can be tested on hand-built facts.

A volunteer either is not eligible for a request (with the reason) or gets five
parts between 0 and 1, which the weights in settings.MATCHING turn into a total:

- skill: the volunteer's level in the requested area (no skill in it: not eligible);
- distance: for in-person work, 1 at the campaign falling to 0 at the volunteer's
  travel radius (beyond it: not eligible for in-person work); for remote work,
  closeness only breaks ties; an "either" request takes the better of the two;
- availability: hours offered a week against hours needed, capped at 1; a volunteer
  not free before the needed-by date, or no longer free, is not eligible;
- capacity: the share of the volunteer's places still free (none: not eligible);
- fairness: 1 for a volunteer never matched, rising from 0 to 1 over the days since
  their last approved match, so the same few people do not get every request.

Paused volunteers, unverified email addresses and volunteers already turned down
for this request or this campaign are not eligible. The volunteer's relationship
to the party is not an input: it must never change a score.
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings

from .postcodes import distance_miles

IN_PERSON_MODES = {"in_person", "both"}
REMOTE_MODES = {"remote", "both"}
PART_NAMES = ("skill", "distance", "availability", "capacity", "fairness")


@dataclass(frozen=True)
class MatchingConfig:
    weights: dict[str, float]
    level_factors: dict[int, float]
    remote_locality_share: float
    remote_locality_miles: float
    fairness_full_after_days: int
    suggestions_per_request: int

    @classmethod
    def from_settings(cls) -> "MatchingConfig":
        values = settings.MATCHING
        return cls(
            weights=dict(values["WEIGHTS"]),
            level_factors={int(level): factor for level, factor in values["LEVEL_FACTORS"].items()},
            remote_locality_share=values["REMOTE_LOCALITY_SHARE"],
            remote_locality_miles=values["REMOTE_LOCALITY_MILES"],
            fairness_full_after_days=values["FAIRNESS_FULL_AFTER_DAYS"],
            suggestions_per_request=values["SUGGESTIONS_PER_REQUEST"],
        )


@dataclass(frozen=True)
class VolunteerFacts:
    id: int
    skill_levels: dict[str, int]
    work_mode: str
    easting: int | None
    northing: int | None
    travel_radius_miles: int | None
    hours_per_week: int
    available_from: date
    available_until: date | None
    active_matches: int
    max_active_matches: int
    last_matched_day: int | None = None
    is_paused: bool = False
    email_verified: bool = True
    turned_down: bool = False


@dataclass(frozen=True)
class RequestFacts:
    id: int
    skill_area: str
    work_mode: str
    easting: int | None
    northing: int | None
    estimated_hours: int
    needed_by: date


@dataclass(frozen=True)
class Score:
    skill: float
    distance: float
    availability: float
    capacity: float
    fairness: float
    distance_miles: float | None
    weights: dict[str, float] = field(repr=False, compare=False)

    @property
    def total(self) -> float:
        return sum(self.weights[name] * getattr(self, name) for name in PART_NAMES)


@dataclass(frozen=True)
class NotEligible:
    reason: str


def score_volunteer(
    volunteer: VolunteerFacts, request: RequestFacts, *, config: MatchingConfig, today: date
) -> Score | NotEligible:
    """Score one volunteer for one request, or return the reason they cannot be suggested."""
    if volunteer.is_paused:
        return NotEligible("paused")
    if not volunteer.email_verified:
        return NotEligible("email address not verified")
    if volunteer.turned_down:
        return NotEligible("already declined or rejected for this campaign")

    level = volunteer.skill_levels.get(request.skill_area)
    if level is None:
        return NotEligible("no skill in the requested area")

    if volunteer.active_matches >= volunteer.max_active_matches:
        return NotEligible("already helping as many campaigns as they offered")

    if volunteer.available_from > request.needed_by:
        return NotEligible("not free before the needed-by date")
    if volunteer.available_until is not None and volunteer.available_until < today:
        return NotEligible("no longer available")

    miles = None
    if _has_location(volunteer.easting) and _has_location(request.easting):
        miles = distance_miles(volunteer.easting, volunteer.northing, request.easting, request.northing)

    distance_part = _distance_part(volunteer, request, miles, config)
    if distance_part is None:
        return NotEligible("cannot work in the way the request needs, or lives too far away")

    return Score(
        skill=config.level_factors[level],
        distance=distance_part,
        availability=min(1.0, volunteer.hours_per_week / request.estimated_hours),
        capacity=1.0 - volunteer.active_matches / volunteer.max_active_matches,
        fairness=_fairness_part(volunteer.last_matched_day, today, config),
        distance_miles=miles,
        weights=config.weights,
    )


def rank(
    volunteers: list[VolunteerFacts], request: RequestFacts, *, config: MatchingConfig, today: date
) -> list[tuple[VolunteerFacts, Score]]:
    """Return the eligible volunteers with their scores, best first, ties broken by lowest id."""
    scored = []
    for volunteer in volunteers:
        result = score_volunteer(volunteer, request, config=config, today=today)
        if isinstance(result, Score):
            scored.append((volunteer, result))
    scored.sort(key=lambda pair: (-pair[1].total, pair[0].id))
    return scored[: config.suggestions_per_request]


def _has_location(easting: int | None) -> bool:
    return easting is not None


def _distance_part(
    volunteer: VolunteerFacts, request: RequestFacts, miles: float | None, config: MatchingConfig
) -> float | None:
    """Return the distance part, or None when the volunteer cannot take the work at all."""
    options = []

    if request.work_mode in {"in_person", "either"} and volunteer.work_mode in IN_PERSON_MODES:
        radius = volunteer.travel_radius_miles
        if miles is not None and radius and miles <= radius:
            options.append(1.0 - miles / radius)

    if request.work_mode in {"remote", "either"} and volunteer.work_mode in REMOTE_MODES:
        closeness = 0.0 if miles is None else max(0.0, 1.0 - miles / config.remote_locality_miles)
        options.append(config.remote_locality_share * closeness)

    return max(options) if options else None


def _fairness_part(last_matched_day: int | None, today: date, config: MatchingConfig) -> float:
    if last_matched_day is None:
        return 1.0
    days_waited = today.toordinal() - last_matched_day
    return min(1.0, max(0.0, days_waited / config.fairness_full_after_days))


def describe_score(parts: dict[str, float], distance: float | None, config: MatchingConfig) -> list[str]:
    """Explain each part of a stored score in words, for organisers."""
    weights = config.weights
    lines = [
        f"Skill {parts['skill'] * weights['skill']:.1f} of {weights['skill']:.0f}",
        f"Distance {parts['distance'] * weights['distance']:.1f} of {weights['distance']:.0f}"
        + (f" ({distance:.1f} miles)" if distance is not None else " (no location)"),
        f"Availability {parts['availability'] * weights['availability']:.1f} of {weights['availability']:.0f}",
        f"Capacity {parts['capacity'] * weights['capacity']:.1f} of {weights['capacity']:.0f}",
        f"Fairness {parts['fairness'] * weights['fairness']:.1f} of {weights['fairness']:.0f}",
    ]
    return lines
