"""The reference scorer, one rule at a time, on hand-built facts."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from matching.scoring import MatchingConfig, NotEligible, RequestFacts, Score, VolunteerFacts, rank, score_volunteer

TODAY = date(2026, 12, 4)

# Real British National Grid points: Birmingham B1 1AY, Solihull (about 8 miles away), London SW1A 1AA.
BIRMINGHAM = (406523, 286448)
SOLIHULL = (415000, 279000)
LONDON = (529090, 179645)

CONFIG = MatchingConfig(
    weights={"skill": 40.0, "distance": 25.0, "availability": 20.0, "capacity": 5.0, "fairness": 10.0},
    level_factors={1: 0.5, 2: 0.8, 3: 1.0},
    remote_locality_share=0.1,
    remote_locality_miles=200,
    fairness_full_after_days=90,
    suggestions_per_request=10,
)


def make_volunteer(**overrides) -> VolunteerFacts:
    values = {
        "id": 1,
        "skill_levels": {"video": 3},
        "work_mode": "both",
        "easting": BIRMINGHAM[0],
        "northing": BIRMINGHAM[1],
        "travel_radius_miles": 20,
        "hours_per_week": 10,
        "available_from": TODAY,
        "available_until": None,
        "active_matches": 0,
        "max_active_matches": 1,
    }
    values.update(overrides)
    return VolunteerFacts(**values)


def make_request(**overrides) -> RequestFacts:
    values = {
        "id": 1,
        "skill_area": "video",
        "work_mode": "in_person",
        "easting": BIRMINGHAM[0],
        "northing": BIRMINGHAM[1],
        "estimated_hours": 5,
        "needed_by": TODAY + timedelta(days=30),
    }
    values.update(overrides)
    return RequestFacts(**values)


def score(volunteer, request):
    return score_volunteer(volunteer, request, config=CONFIG, today=TODAY)


@pytest.mark.parametrize(("level", "expected"), [(1, 0.5), (2, 0.8), (3, 1.0)])
def test_skill_part_follows_level(level, expected):
    result = score(make_volunteer(skill_levels={"video": level}), make_request())
    assert result.skill == expected


def test_volunteer_without_requested_skill_is_not_eligible():
    result = score(make_volunteer(skill_levels={"data": 3}), make_request())
    assert isinstance(result, NotEligible)
    assert "skill" in result.reason


def test_same_postcode_gives_full_distance_part():
    result = score(make_volunteer(), make_request())
    assert result.distance_miles == 0
    assert result.distance == 1.0


def test_distance_part_falls_towards_radius():
    result = score(make_volunteer(easting=SOLIHULL[0], northing=SOLIHULL[1]), make_request())
    assert 7 < result.distance_miles < 8
    assert result.distance == pytest.approx(1 - result.distance_miles / 20)


def test_in_person_beyond_radius_is_not_eligible():
    volunteer = make_volunteer(easting=LONDON[0], northing=LONDON[1], travel_radius_miles=50)
    assert isinstance(score(volunteer, make_request()), NotEligible)


def test_remote_only_volunteer_cannot_take_in_person_work():
    assert isinstance(score(make_volunteer(work_mode="remote"), make_request()), NotEligible)


def test_remote_work_uses_locality_only_to_break_ties():
    near = score(make_volunteer(work_mode="remote"), make_request(work_mode="remote"))
    far = score(
        make_volunteer(work_mode="remote", easting=LONDON[0], northing=LONDON[1]), make_request(work_mode="remote")
    )
    assert near.distance == pytest.approx(0.1)
    assert 0 < far.distance < near.distance
    assert near.total - far.total < CONFIG.weights["distance"] * 0.1 + 1e-9


def test_remote_volunteer_without_location_scores_zero_distance():
    volunteer = make_volunteer(work_mode="remote", easting=None, northing=None)
    result = score(volunteer, make_request(work_mode="remote"))
    assert result.distance_miles is None
    assert result.distance == 0.0


def test_either_request_takes_the_better_option():
    volunteer = make_volunteer(work_mode="both")
    result = score(volunteer, make_request(work_mode="either"))
    assert result.distance == 1.0

    far_volunteer = make_volunteer(work_mode="both", easting=LONDON[0], northing=LONDON[1])
    far_result = score(far_volunteer, make_request(work_mode="either"))
    assert 0 < far_result.distance < 0.1


def test_availability_gives_partial_credit_for_fewer_hours():
    assert score(make_volunteer(hours_per_week=10), make_request(estimated_hours=5)).availability == 1.0
    assert score(make_volunteer(hours_per_week=2), make_request(estimated_hours=8)).availability == 0.25


def test_volunteer_free_only_after_needed_by_is_not_eligible():
    request = make_request()
    volunteer = make_volunteer(available_from=request.needed_by + timedelta(days=1))
    assert isinstance(score(volunteer, request), NotEligible)


def test_volunteer_whose_availability_ended_is_not_eligible():
    volunteer = make_volunteer(available_from=TODAY - timedelta(days=30), available_until=TODAY - timedelta(days=1))
    assert isinstance(score(volunteer, make_request()), NotEligible)


def test_capacity_part_and_limit():
    assert score(make_volunteer(max_active_matches=2, active_matches=1), make_request()).capacity == 0.5
    assert isinstance(score(make_volunteer(max_active_matches=1, active_matches=1), make_request()), NotEligible)


def test_fairness_rises_with_days_since_last_match():
    never = score(make_volunteer(last_matched_day=None), make_request())
    recent = score(make_volunteer(last_matched_day=TODAY.toordinal() - 9), make_request())
    long_ago = score(make_volunteer(last_matched_day=TODAY.toordinal() - 400), make_request())
    assert never.fairness == 1.0
    assert recent.fairness == pytest.approx(0.1)
    assert long_ago.fairness == 1.0


@pytest.mark.parametrize("overrides", [{"is_paused": True}, {"email_verified": False}, {"turned_down": True}])
def test_exclusions(overrides):
    assert isinstance(score(make_volunteer(**overrides), make_request()), NotEligible)


def test_total_is_weighted_sum():
    result = score(make_volunteer(), make_request())
    assert isinstance(result, Score)
    expected = 40 * 1.0 + 25 * 1.0 + 20 * 1.0 + 5 * 1.0 + 10 * 1.0
    assert result.total == pytest.approx(expected)


def test_birmingham_video_request_ranking():
    request = make_request()
    birmingham_expert = make_volunteer(id=1)
    london_expert = make_volunteer(id=2, easting=LONDON[0], northing=LONDON[1], travel_radius_miles=150)
    birmingham_without_video = make_volunteer(id=3, skill_levels={"data": 3})
    birmingham_at_capacity = make_volunteer(id=4, active_matches=1)

    ranked = rank(
        [london_expert, birmingham_without_video, birmingham_at_capacity, birmingham_expert],
        request,
        config=CONFIG,
        today=TODAY,
    )

    assert [volunteer.id for volunteer, _ in ranked] == [1, 2]


def test_ties_break_by_lowest_id():
    ranked = rank([make_volunteer(id=7), make_volunteer(id=3)], make_request(), config=CONFIG, today=TODAY)
    assert [volunteer.id for volunteer, _ in ranked] == [3, 7]


def test_rank_keeps_the_configured_number():
    volunteers = [make_volunteer(id=number) for number in range(1, 15)]
    config = replace(CONFIG, suggestions_per_request=10)
    assert len(rank(volunteers, make_request(), config=config, today=TODAY)) == 10
