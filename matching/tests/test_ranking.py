"""The database ranking: the same answers as the reference scorer, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from candidates.tests.factories import CandidateFactory, HelpRequestFactory
from matching import ranking_rows
from matching.models import Match
from matching.ranking import ranked_rows, top_volunteers
from matching.reference import reference_ranking
from matching.scoring import MatchingConfig
from matching.services import refresh_suggestions
from matching.tests.factories import MatchFactory
from volunteers.models import Volunteer, VolunteerSkill
from volunteers.tests.factories import UserFactory, VolunteerFactory

# Real British National Grid points from the postcode directory.
PLACES = {
    "birmingham": (406523, 286448),  # B1 1AY
    "solihull": (415000, 279000),
    "coventry": (434108, 278707),  # CV1 5FB
    "london": (529090, 179645),  # SW1A 1AA
    "manchester": (384756, 398553),  # M1 1AE
}


def at(place: str) -> dict:
    easting, northing = PLACES[place]
    return {"easting": easting, "northing": northing, "grid": "gb"}


def top_ids(help_request, limit=10):
    return [volunteer.pk for volunteer in top_volunteers(help_request, limit=limit)]


@pytest.mark.django_db
def test_birmingham_video_request_ranks_local_expert_first():
    help_request = HelpRequestFactory(skill_area="video", work_mode="in_person")
    birmingham_expert = VolunteerFactory(skills={"video": 3}, travel_radius_miles=20, **at("birmingham"))
    london_expert = VolunteerFactory(skills={"video": 3}, travel_radius_miles=100, **at("london"))
    VolunteerFactory(skills={"data": 3}, **at("birmingham"))
    at_capacity = VolunteerFactory(skills={"video": 3}, **at("birmingham"))
    MatchFactory(volunteer=at_capacity, status=Match.Status.APPROVED)

    # London is about 101 miles away, beyond the widest radius; allow it remotely to compare.
    help_request.work_mode = "either"
    help_request.save()

    assert top_ids(help_request) == [birmingham_expert.pk, london_expert.pk]


@pytest.mark.django_db
def test_in_person_request_leaves_out_volunteers_beyond_their_radius():
    help_request = HelpRequestFactory(skill_area="video", work_mode="in_person")
    near = VolunteerFactory(skills={"video": 1}, travel_radius_miles=10, **at("solihull"))
    VolunteerFactory(skills={"video": 3}, travel_radius_miles=10, **at("coventry"))

    assert top_ids(help_request) == [near.pk]


@pytest.mark.django_db
def test_exclusions_paused_unverified_and_turned_down():
    help_request = HelpRequestFactory(skill_area="data", work_mode="remote")
    eligible = VolunteerFactory(skills={"data": 2})
    VolunteerFactory(skills={"data": 3}, is_paused=True)
    VolunteerFactory(skills={"data": 3}, user=UserFactory(verified=False))
    rejected = VolunteerFactory(skills={"data": 3})
    other_request_same_campaign = HelpRequestFactory(candidate=help_request.candidate, skill_area="data")
    MatchFactory(volunteer=rejected, help_request=other_request_same_campaign, status=Match.Status.REJECTED)

    assert top_ids(help_request) == [eligible.pk]


@pytest.mark.django_db
def test_party_relationship_changes_no_score():
    help_request = HelpRequestFactory(skill_area="engineering")
    volunteer = VolunteerFactory(skills={"engineering": 2})
    scores = []
    for relationship in ["", "member", "supporter", "voter"]:
        Volunteer.objects.filter(pk=volunteer.pk).update(party_relationship=relationship)
        ranked = ranked_rows(help_request).get(volunteer=volunteer)
        scores.append(ranked.total_score)
    assert len(set(scores)) == 1


@pytest.mark.django_db
def test_weights_from_settings_change_the_ranking(settings):
    help_request = HelpRequestFactory(skill_area="engineering", work_mode="in_person")
    skilled_far = VolunteerFactory(skills={"engineering": 3}, travel_radius_miles=30, **at("coventry"))
    less_skilled_near = VolunteerFactory(skills={"engineering": 1}, travel_radius_miles=30, **at("birmingham"))

    settings.MATCHING = {**settings.MATCHING, "WEIGHTS": {**settings.MATCHING["WEIGHTS"], "skill": 100.0}}
    assert top_ids(help_request) == [skilled_far.pk, less_skilled_near.pk]

    settings.MATCHING = {**settings.MATCHING, "WEIGHTS": {**settings.MATCHING["WEIGHTS"], "skill": 1.0}}
    assert top_ids(help_request) == [less_skilled_near.pk, skilled_far.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("volunteer_count", [10, 1000])
def test_suggestions_take_constant_queries(volunteer_count, django_assert_max_num_queries):
    help_request = HelpRequestFactory(skill_area="engineering", work_mode="either")
    users = UserFactory.create_batch(volunteer_count)
    volunteers = Volunteer.objects.bulk_create(
        Volunteer(
            user=user,
            full_name="Volunteer",
            postcode="B1 1AY",
            work_mode="both",
            travel_radius_miles=10 + number % 20,
            hours_per_week=1 + number % 10,
            available_from=timezone.localdate(),
            **at("birmingham"),
        )
        for number, user in enumerate(users)
    )
    VolunteerSkill.objects.bulk_create(
        VolunteerSkill(volunteer=volunteer, area="engineering", level=1 + number % 3)
        for number, volunteer in enumerate(volunteers)
    )

    # bulk_create sends no signals, so the rows are built as the bulk importers build them.
    ranking_rows.rebuild_for_volunteers(volunteer.pk for volunteer in volunteers)

    # One query ranks the rows, and one checks the ten chosen against the volunteers' records.
    with CaptureQueriesContext(connection) as ranking_queries:
        assert len(top_ids(help_request)) == 10
    assert len(ranking_queries) == 2

    # Refreshing reads the ranking, locks and rewrites ten rows: bounded, whatever the volunteer count.
    with django_assert_max_num_queries(20):
        refresh_suggestions(help_request=help_request)
    assert Match.objects.filter(help_request=help_request, status=Match.Status.SUGGESTED).count() == 10


volunteer_strategy = st.fixed_dictionaries(
    {
        "skills": st.dictionaries(st.sampled_from(["data", "video"]), st.integers(1, 3), min_size=1, max_size=2),
        "work_mode": st.sampled_from(["in_person", "remote", "both"]),
        "place": st.sampled_from([*PLACES, None]),
        "radius": st.integers(1, 100),
        "hours": st.integers(1, 20),
        "from_offset": st.integers(-30, 20),
        "until_offset": st.one_of(st.none(), st.integers(-10, 90)),
        "max_active": st.integers(1, 3),
        "active": st.integers(0, 2),
        "last_matched_days_ago": st.one_of(st.none(), st.integers(0, 200)),
        # Mostly eligible volunteers, so that most examples rank several people.
        "paused": st.sampled_from([False, False, False, True]),
        "verified": st.sampled_from([True, True, True, False]),
    }
)
request_strategy = st.fixed_dictionaries(
    {
        # Two skill areas only, so that most volunteers have the one requested.
        "skill_area": st.sampled_from(["data", "video"]),
        "work_mode": st.sampled_from(["in_person", "remote", "either"]),
        "place": st.sampled_from([*PLACES, None]),
        "hours": st.integers(1, 20),
        "needed_in_days": st.integers(0, 59),
    }
)


def build_case(volunteer_specs, request_spec):
    today = timezone.localdate()
    place = request_spec["place"]
    location = at(place) if place else {"easting": None, "northing": None, "grid": ""}
    candidate = CandidateFactory(**location)
    help_request = HelpRequestFactory(
        candidate=candidate,
        skill_area=request_spec["skill_area"],
        work_mode=request_spec["work_mode"],
        estimated_hours=request_spec["hours"],
        needed_by=today + timedelta(days=request_spec["needed_in_days"]),
    )
    others = HelpRequestFactory.create_batch(2)

    for spec in volunteer_specs:
        available_from = today + timedelta(days=spec["from_offset"])
        available_until = None
        if spec["until_offset"] is not None:
            available_until = max(available_from, today + timedelta(days=spec["until_offset"]))
        volunteer_location = at(spec["place"]) if spec["place"] else {"easting": None, "northing": None, "grid": ""}
        volunteer = VolunteerFactory(
            user=UserFactory(verified=spec["verified"]),
            skills=spec["skills"],
            work_mode=spec["work_mode"],
            travel_radius_miles=spec["radius"],
            hours_per_week=spec["hours"],
            available_from=available_from,
            available_until=available_until,
            max_active_matches=spec["max_active"],
            is_paused=spec["paused"],
            last_matched_day=(
                None if spec["last_matched_days_ago"] is None else today.toordinal() - spec["last_matched_days_ago"]
            ),
            **volunteer_location,
        )
        for other in others[: spec["active"]]:
            MatchFactory(volunteer=volunteer, help_request=other, status=Match.Status.APPROVED)
    return help_request


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(volunteer_specs=st.lists(volunteer_strategy, min_size=3, max_size=25), request_spec=request_strategy)
def test_database_ranking_agrees_with_reference(volunteer_specs, request_spec):
    Match.objects.all().delete()
    Volunteer.objects.all().delete()

    help_request = build_case(volunteer_specs, request_spec)
    config = MatchingConfig.from_settings()

    database_top = top_volunteers(help_request, limit=config.suggestions_per_request, config=config)
    reference_top = reference_ranking(help_request, config=config)

    event(f"{min(len(reference_top), 3)}+ volunteers ranked")
    assert [volunteer.pk for volunteer in database_top] == [facts.id for facts, _ in reference_top]
    for volunteer, (_, score) in zip(database_top, reference_top, strict=True):
        assert volunteer.total_score == pytest.approx(score.total, abs=1e-9)
        assert volunteer.distance_part == pytest.approx(score.distance, abs=1e-9)
        assert volunteer.fairness_part == pytest.approx(score.fairness, abs=1e-9)
