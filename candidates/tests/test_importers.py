"""Imports of Democracy Club's candidates file and of a plain ballots file: all rows or none."""

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from candidates.importers import ImportFailed, import_ballots, import_democracy_club_candidates
from candidates.models import Candidate, Election
from candidates.tests.factories import CandidateFactory, ElectionFactory

POLL = date(2030, 5, 2)
TODAY = date(2030, 3, 1)

DC_HEADER = (
    "person_id,person_name,election_id,ballot_paper_id,election_date,party_name,post_label,"
    "organisation_name,email,elected,gss,seats_contested\n"
)


def dc_file(*rows: str) -> io.BytesIO:
    return io.BytesIO((DC_HEADER + "\n".join(rows) + "\n").encode("utf-8"))


def dc_row(
    person_id="101",
    name="Asha Patel",
    ballot="local.birmingham.acocks-green.2030-05-02",
    election_date="2030-05-02",
    party="Labour Party",
    post="Acocks Green",
    organisation="Birmingham City Council",
    email="",
    elected="",
    gss="E05011118",
    seats="3",
) -> str:
    election_id = ".".join(ballot.split(".")[:2] + [election_date])
    return ",".join(
        [person_id, name, election_id, ballot, election_date, party, post, organisation, email, elected, gss, seats]
    )


@pytest.mark.django_db
def test_import_keeps_only_party_candidates():
    file = dc_file(
        dc_row(person_id="101", name="Asha Patel"),
        dc_row(person_id="102", name="Ben Ode", party="Labour and Co-operative Party"),
        dc_row(person_id="103", name="Carla Green", party="Green Party"),
        dc_row(person_id="104", name="Dan Blue", party="Conservative and Unionist Party"),
    )

    result = import_democracy_club_candidates(file, today=TODAY)

    assert sorted(Candidate.objects.values_list("full_name", flat=True)) == ["Asha Patel", "Ben Ode"]
    assert result.candidates_created == 2
    assert result.rows_other_parties == 2
    election = Election.objects.get()
    assert election.ballot_id == "local.birmingham.acocks-green.2030-05-02"
    assert election.council == "Birmingham City Council"
    assert election.ward == "Acocks Green"
    assert election.seats_contested == 3
    assert election.is_confirmed
    assert election.source == Election.Source.DEMOCRACY_CLUB
    assert election.close_of_nominations is not None


@pytest.mark.django_db
def test_imported_candidates_have_no_account():
    import_democracy_club_candidates(dc_file(dc_row(email="asha@example.org")), today=TODAY)

    candidate = Candidate.objects.get()
    assert candidate.user is None
    assert candidate.democracy_club_person_id == 101
    assert candidate.invitation_email == "asha@example.org"
    assert candidate.postcode == ""


@pytest.mark.django_db
def test_import_takes_every_ballot_even_without_party():
    file = dc_file(
        dc_row(party="Green Party", ballot="local.leeds.armley.2030-05-02", post="Armley", organisation="Leeds"),
    )

    import_democracy_club_candidates(file, today=TODAY)

    assert Election.objects.get().ballot_id == "local.leeds.armley.2030-05-02"
    assert Candidate.objects.count() == 0


@pytest.mark.django_db
def test_by_election_and_country_from_file():
    file = dc_file(
        dc_row(ballot="local.cardiff.cathays.by.2030-05-02", post="Cathays", organisation="Cardiff", gss="W05000853"),
    )

    import_democracy_club_candidates(file, today=TODAY)

    election = Election.objects.get()
    assert election.is_by_election
    assert election.country == Election.Country.WALES


@pytest.mark.django_db
def test_northern_ireland_rows_are_skipped():
    file = dc_file(
        dc_row(ballot="nia.belfast-east.2030-05-02", gss="N06000001"),
        dc_row(ballot="parl.belfast-south.2030-05-02", gss="N05000002"),
    )

    result = import_democracy_club_candidates(file, today=TODAY)

    assert result.rows_not_covered == 2
    assert Election.objects.count() == 0


@pytest.mark.django_db
def test_bad_rows_import_nothing():
    file = dc_file(
        dc_row(person_id="101"),
        dc_row(person_id="abc"),
        dc_row(ballot="local.birmingham.2030-05-02"),
        dc_row(election_date="2030-05-03"),
        dc_row(person_id="105", elected="maybe"),
        dc_row(person_id="106", email="not-an-address"),
        dc_row(person_id="107", name=""),
    )

    with pytest.raises(ImportFailed) as failure:
        import_democracy_club_candidates(file, today=TODAY)

    problems = {(error.row, error.column) for error in failure.value.errors}
    assert problems == {
        (3, "person_id"),
        (4, "ballot_paper_id"),
        (5, "election_date"),
        (6, "elected"),
        (7, "email"),
        (8, "person_name"),
    }
    assert Election.objects.count() == 0
    assert Candidate.objects.count() == 0


@pytest.mark.django_db
def test_missing_column_is_reported():
    file = io.BytesIO(b"person_name,ballot_paper_id\nAsha,local.x.y.2030-05-02\n")

    with pytest.raises(ImportFailed) as failure:
        import_democracy_club_candidates(file, today=TODAY)

    assert "election_date, party_name, person_id" in str(failure.value.errors[0])


@pytest.mark.django_db
def test_file_not_utf8_is_reported():
    with pytest.raises(ImportFailed) as failure:
        import_democracy_club_candidates(io.BytesIO("person_name\nSiobhán\n".encode("cp1252")), today=TODAY)

    assert "UTF-8" in str(failure.value.errors[0])


@pytest.mark.django_db
def test_import_twice_updates_in_place():
    import_democracy_club_candidates(dc_file(dc_row()), today=TODAY)

    result = import_democracy_club_candidates(dc_file(dc_row(name="Asha K. Patel")), today=TODAY)

    assert result.candidates_created == 0
    assert result.candidates_updated == 1
    assert result.ballots_updated == 1
    assert Candidate.objects.get().full_name == "Asha K. Patel"


@pytest.mark.django_db
def test_import_links_candidate_who_signed_up_first():
    election = ElectionFactory(
        ballot_id="local.birmingham.acocks-green.2030-05-02",
        council="Birmingham",
        ward="Acocks Green",
        polling_day=POLL,
        is_confirmed=False,
    )
    signed_up = CandidateFactory(election=election, full_name="asha patel")

    import_democracy_club_candidates(dc_file(dc_row()), today=TODAY)

    signed_up.refresh_from_db()
    assert Candidate.objects.count() == 1
    assert signed_up.democracy_club_person_id == 101
    assert signed_up.full_name == "asha patel", "a signed-up candidate keeps the name they typed"
    election.refresh_from_db()
    assert election.is_confirmed


@pytest.mark.django_db
def test_results_recorded_after_polling_day():
    after_poll = POLL + timedelta(days=1)
    file = dc_file(dc_row(person_id="101", elected="t"), dc_row(person_id="102", name="Ben Ode", elected="f"))

    import_democracy_club_candidates(file, today=after_poll)

    results = dict(Candidate.objects.values_list("democracy_club_person_id", "result"))
    assert results == {101: Candidate.Result.WON, 102: Candidate.Result.LOST}


@pytest.mark.django_db
def test_not_elected_before_the_count_is_no_result():
    import_democracy_club_candidates(dc_file(dc_row(elected="f")), today=TODAY)

    assert Candidate.objects.get().result == ""


@pytest.mark.django_db
def test_party_setting_decides_who_is_kept(settings):
    settings.IMPORT_PARTY_NAMES = ["Green Party"]
    file = dc_file(dc_row(person_id="101"), dc_row(person_id="103", name="Carla Green", party="Green Party"))

    import_democracy_club_candidates(file, today=TODAY)

    assert list(Candidate.objects.values_list("full_name", flat=True)) == ["Carla Green"]


BALLOTS_HEADER = "type,council,ward,polling_day,by_election,country\n"


def ballots_file(*rows: str) -> io.BytesIO:
    return io.BytesIO((BALLOTS_HEADER + "\n".join(rows) + "\n").encode("utf-8"))


@pytest.mark.django_db
def test_ballots_file_imports_each_type():
    file = ballots_file(
        "Local,Birmingham,Acocks Green,2030-05-02,f,",
        "local,Fife,Buckhaven,02/05/2030,t,",
        "Mayoral,West Midlands,,2030-05-02,,",
        "UK Parliament,,Birmingham Ladywood,2030-05-02,,England",
    )

    result = import_ballots(file, today=TODAY)

    assert result.ballots_created == 4
    assert set(Election.objects.values_list("ballot_id", "country")) == {
        ("local.birmingham.acocks-green.2030-05-02", "england"),
        ("local.fife.buckhaven.by.2030-05-02", "scotland"),
        ("mayor.west-midlands.2030-05-02", "england"),
        ("parl.birmingham-ladywood.2030-05-02", "england"),
    }
    assert set(Election.objects.values_list("source", flat=True)) == {Election.Source.BALLOTS_FILE}


@pytest.mark.django_db
def test_ballots_file_errors_name_row_and_column():
    file = ballots_file(
        "Local,Birmingham,Acocks Green,2030-05-02,,",
        "Parish,Birmingham,Acocks Green,2030-05-02,,",
        "Local,Birmingham,,2030-05-02,,",
        "Local,Birmingham,Ladywood,2020-05-07,,",
        "Local,Birmingham,Ladywood,31/02/2030,,",
        "Local,Birmingham,Ladywood,2030-05-02,perhaps,",
        "Local,Birmingham,Ladywood,2030-05-02,,Northern Ireland",
    )

    with pytest.raises(ImportFailed) as failure:
        import_ballots(file, today=TODAY)

    messages = {error.row: str(error) for error in failure.value.errors}
    assert "is not one of" in messages[3]
    assert "ward" in messages[4]
    assert "has passed" in messages[5]
    assert "not a date" in messages[6]
    assert "not t or f" in messages[7]
    assert "not England, Wales or Scotland" in messages[8]
    assert Election.objects.count() == 0


@pytest.mark.django_db
def test_ballots_file_confirms_a_named_ballot():
    named = ElectionFactory(council="Birmingham", ward="Acocks Green", polling_day=POLL, is_confirmed=False)

    result = import_ballots(ballots_file("Local,Birmingham,Acocks Green,2030-05-02,,"), today=TODAY)

    named.refresh_from_db()
    assert result.ballots_updated == 1
    assert named.is_confirmed


@pytest.mark.django_db
def test_ballot_dates_default_to_today():
    poll = timezone.localdate() + timedelta(days=40)
    import_ballots(ballots_file(f"Local,Leeds,Armley,{poll.isoformat()},,"))

    assert Election.objects.get().polling_day == poll
