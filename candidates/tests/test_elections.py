"""Ballot identifiers, legal timetables and urgency, checked against the packages they come from."""

from datetime import date, timedelta

import pytest
from uk_election_ids.election_ids import IdBuilder
from uk_election_timetables.calendars import Country
from uk_election_timetables.elections import LocalElection

from candidates.elections import (
    BallotIdError,
    Timetable,
    build_ballot_id,
    infer_country,
    organisation_slug,
    parse_ballot_id,
    suggested_needed_by,
    timetable,
    urgency_days,
)
from candidates.tests.factories import ElectionFactory

POLL = date(2026, 5, 7)

BALLOTS = [
    (
        {"election_type": "local", "organisation": "Birmingham", "division": "Acocks Green"},
        "local.birmingham.acocks-green.2026-05-07",
    ),
    (
        {"election_type": "local", "organisation": "Birmingham", "division": "Acocks Green", "is_by_election": True},
        "local.birmingham.acocks-green.by.2026-05-07",
    ),
    ({"election_type": "mayor", "organisation": "West Midlands"}, "mayor.west-midlands.2026-05-07"),
    ({"election_type": "senedd", "division": "Caerdydd Penarth"}, "senedd.caerdydd-penarth.2026-05-07"),
    ({"election_type": "sp", "subtype": "c", "division": "Glasgow Kelvin"}, "sp.c.glasgow-kelvin.2026-05-07"),
    ({"election_type": "sp", "subtype": "r", "division": "Glasgow"}, "sp.r.glasgow.2026-05-07"),
    ({"election_type": "gla", "subtype": "c", "division": "Barnet and Camden"}, "gla.c.barnet-and-camden.2026-05-07"),
    ({"election_type": "gla", "subtype": "a"}, "gla.a.2026-05-07"),
    ({"election_type": "parl", "division": "Birmingham Ladywood"}, "parl.birmingham-ladywood.2026-05-07"),
    ({"election_type": "pcc", "organisation": "West Midlands"}, "pcc.west-midlands.2026-05-07"),
]


@pytest.mark.parametrize(("parts", "expected"), BALLOTS)
def test_ballot_id_for_each_type(parts, expected):
    ballot_id = build_ballot_id(polling_day=POLL, **parts)

    assert ballot_id == expected
    assert IdBuilder.from_id(ballot_id).ballot_id == ballot_id, "the package reads back the same ballot"


@pytest.mark.parametrize(("parts", "expected"), BALLOTS)
def test_parse_ballot_id_round_trip(parts, expected):
    parsed = parse_ballot_id(expected)

    assert parsed.polling_day == POLL
    assert parsed.election_type == parts["election_type"]
    assert parsed.is_by_election == parts.get("is_by_election", False)
    assert parsed.subtype == parts.get("subtype", "")


def test_ballot_id_ignores_council_words():
    plain = build_ballot_id(election_type="local", polling_day=POLL, organisation="Birmingham", division="Ladywood")
    wordy = build_ballot_id(
        election_type="local", polling_day=POLL, organisation="Birmingham City Council", division="LADYWOOD"
    )

    assert plain == wordy == "local.birmingham.ladywood.2026-05-07"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("London Borough of Hackney", "hackney"),
        ("Royal Borough of Kingston upon Thames", "kingston-upon-thames"),
        ("Rhondda Cynon Taf County Borough Council", "rhondda-cynon-taf"),
        ("Wirral Metropolitan Borough Council", "wirral"),
        ("City of Edinburgh Council", "city-of-edinburgh"),
        ("Ynys Môn", "ynys-mon"),
        ("St. Helens", "st-helens"),
    ],
)
def test_organisation_slug(name, slug):
    assert organisation_slug(name) == slug


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"election_type": "local", "organisation": "Birmingham", "division": ""}, "ward"),
        ({"election_type": "local", "organisation": "张伟", "division": "Ladywood"}, "council"),
        ({"election_type": "sp", "division": "Glasgow Kelvin"}, "constituency or region"),
        ({"election_type": "nia", "division": "Belfast East"}, "not an election type"),
        ({"election_type": "gla", "subtype": "x", "division": "Barnet"}, "cannot have"),
    ],
)
def test_ballot_id_errors(parts, message):
    with pytest.raises(BallotIdError, match=message):
        build_ballot_id(polling_day=POLL, **parts)


@pytest.mark.parametrize(
    "ballot_id",
    [
        "local.birmingham.2026-05-07",
        "nia.belfast-east.2026-05-07",
        "local.birmingham.acocks-green.2026-02-30",
        "LOCAL.Birmingham.acocks-green.2026-05-07",
        "nonsense",
    ],
)
def test_parse_rejects_non_ballots(ballot_id):
    with pytest.raises(BallotIdError):
        parse_ballot_id(ballot_id)


TIMETABLE_CASES = [
    ("local.birmingham.acocks-green.2026-05-07", "england", Country.ENGLAND),
    ("local.cardiff.cathays.2026-05-07", "wales", Country.WALES),
    ("local.glasgow-city.calton.2026-05-07", "scotland", Country.SCOTLAND),
]


@pytest.mark.parametrize(("ballot_id", "country", "package_country"), TIMETABLE_CASES)
def test_local_timetable_matches_package(ballot_id, country, package_country):
    expected = LocalElection(POLL, package_country)

    schedule = timetable(ballot_id=ballot_id, country=country)

    assert schedule.close_of_nominations == expected.close_of_nominations
    assert schedule.sopn_publish_deadline == expected.sopn_publish_deadline
    assert schedule.registration_deadline == expected.registration_deadline
    assert schedule.postal_vote_application_deadline == expected.postal_vote_application_deadline
    assert schedule.polling_day == POLL


def test_scottish_nominations_close_earlier_than_english():
    english = timetable(ballot_id="local.leeds.armley.2026-05-07", country="england")
    scottish = timetable(ballot_id="local.fife.buckhaven.2026-05-07", country="scotland")

    assert scottish.close_of_nominations < english.close_of_nominations


@pytest.mark.django_db
@pytest.mark.parametrize(("ballot_id", "country", "package_country"), TIMETABLE_CASES)
def test_election_stores_package_dates(ballot_id, country, package_country):
    expected = LocalElection(POLL, package_country)
    parsed = parse_ballot_id(ballot_id)
    election = ElectionFactory(
        ballot_id=ballot_id, council=parsed.organisation, ward=parsed.division, polling_day=POLL, country=country
    )
    election.refresh_from_db()

    assert election.close_of_nominations == expected.close_of_nominations
    assert election.sopn_publish_deadline == expected.sopn_publish_deadline
    assert election.registration_deadline == expected.registration_deadline
    assert election.postal_vote_deadline == expected.postal_vote_application_deadline


@pytest.mark.django_db
def test_changing_country_recomputes_dates():
    election = ElectionFactory(ballot_id="local.fife.buckhaven.2026-05-07", polling_day=POLL, country="england")
    election.country = "scotland"
    election.save(update_fields=["country"])
    election.refresh_from_db()

    assert election.close_of_nominations == LocalElection(POLL, Country.SCOTLAND).close_of_nominations


@pytest.mark.parametrize(
    ("parts", "country"),
    [
        ({"election_type": "local", "organisation": "Cardiff"}, "wales"),
        ({"election_type": "local", "organisation": "Glasgow City Council"}, "scotland"),
        ({"election_type": "local", "organisation": "Birmingham"}, "england"),
        ({"election_type": "senedd"}, "wales"),
        ({"election_type": "sp"}, "scotland"),
        ({"election_type": "parl", "gss_code": "W07000080"}, "wales"),
        ({"election_type": "parl", "gss_code": "N06000001"}, None),
        ({"election_type": "pcc", "organisation": "Dyfed-Powys"}, "wales"),
    ],
)
def test_infer_country(parts, country):
    assert infer_country(**parts) == country


def schedule_for(poll: date) -> Timetable:
    return timetable(ballot_id=f"local.birmingham.ladywood.{poll.isoformat()}", country="england")


def test_website_suggested_before_postal_vote_deadline():
    schedule = schedule_for(POLL)

    suggestion = suggested_needed_by(schedule, "engineering", today=date(2026, 3, 1))

    assert suggestion.day == schedule.postal_vote_application_deadline
    assert suggestion.name == "postal_vote_application_deadline"


def test_past_suggestion_falls_back_to_next_key_date():
    schedule = schedule_for(POLL)
    today = schedule.close_of_nominations + timedelta(days=1)

    suggestion = suggested_needed_by(schedule, "data", today=today)

    assert suggestion.day >= today
    assert suggestion.day == schedule.next_key_date(today).day


def test_urgency_counts_to_next_key_date():
    schedule = schedule_for(POLL)
    today = schedule.close_of_nominations - timedelta(days=10)

    days = urgency_days(needed_by=POLL - timedelta(days=1), schedule=schedule, today=today)

    assert days == 10


def test_urgency_counts_to_needed_by_when_sooner():
    schedule = schedule_for(POLL)
    today = schedule.close_of_nominations - timedelta(days=10)

    days = urgency_days(needed_by=today + timedelta(days=3), schedule=schedule, today=today)

    assert days == 3


def test_urgency_without_timetable_uses_needed_by():
    assert urgency_days(needed_by=date(2026, 5, 1), schedule=None, today=date(2026, 4, 1)) == 30
