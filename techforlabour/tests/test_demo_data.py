"""The load_demo_data command and the demo module behind it."""

from datetime import date
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Consent, User
from candidates.models import Candidate, Election, HelpRequest
from matching.local_authorities import local_authority_name
from matching.models import Match
from matching.postcodes import lookup_postcode, postcodes_in_local_authority
from techforlabour import demo
from volunteers.models import Volunteer, VolunteerSkill

# Enough for every council to get a campaign, and quick to create.
SMALL = ["--volunteers", "40", "--candidates", "12"]
DEMO_CODES = {area.code for area in demo.DEMO_AREAS}


def load(*args: str) -> str:
    """Run the command as the test settings need it (DEBUG is off) and return what it printed."""
    out = StringIO()
    call_command("load_demo_data", "--force", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = [User, EmailAddress, Consent, Volunteer, VolunteerSkill, Candidate, Election, HelpRequest, Match]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_defaults_loaded_twice_create_nothing_new():
    output = load()
    counts = row_counts()

    assert counts["Volunteer"] == 200
    assert counts["Candidate"] == 30
    assert counts["HelpRequest"] >= 30
    assert User.objects.filter(is_staff=True).count() == 1
    assert "Created the organiser, 200 volunteers, 30 campaigns" in output

    second_output = load()

    assert row_counts() == counts
    assert "Demo data already loaded: nothing to create." in second_output


@pytest.mark.django_db
def test_defaults_pause_about_one_in_ten():
    load()

    paused = Volunteer.objects.filter(is_paused=True).count()
    assert 8 <= paused <= 35


@pytest.mark.django_db
def test_second_run_creates_nothing():
    load(*SMALL)
    counts = row_counts()

    load(*SMALL)

    assert row_counts() == counts


@pytest.mark.django_db
def test_larger_count_adds_only_missing_volunteers():
    load(*SMALL)
    first_names = dict(Volunteer.objects.values_list("user__email", "full_name"))

    output = load("--volunteers", "45", "--candidates", "12")

    assert Volunteer.objects.count() == 45
    assert Candidate.objects.count() == 12
    assert "Skipped 52 demo accounts that already existed." in output
    names = dict(Volunteer.objects.values_list("user__email", "full_name"))
    assert {email: names[email] for email in first_names} == first_names


@pytest.mark.django_db
def test_every_volunteer_has_a_skill():
    load(*SMALL)

    assert not Volunteer.objects.filter(skills__isnull=True).exists()
    for volunteer in Volunteer.objects.prefetch_related("skills"):
        assert 1 <= volunteer.skills.count() <= 2


@pytest.mark.django_db
def test_every_postcode_geocodes_to_stored_place():
    load(*SMALL)

    people = list(Volunteer.objects.all()) + list(Candidate.objects.all())
    for person in people:
        location = lookup_postcode(person.postcode)
        assert location.has_coordinates, person.postcode
        assert (location.easting, location.northing) == (person.easting, person.northing)
        assert location.local_authority_code == person.local_authority_code
        assert person.local_authority_code in DEMO_CODES


@pytest.mark.django_db
def test_every_account_is_verified():
    load(*SMALL)

    assert not EmailAddress.objects.filter(verified=False).exists()
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == User.objects.count()
    assert Volunteer.objects.matchable().count() == Volunteer.objects.filter(is_paused=False).count()


@pytest.mark.django_db
def test_open_requests_get_suggestions():
    output = load(*SMALL)

    open_requests = HelpRequest.objects.open()
    assert open_requests.filter(matches__status=Match.Status.SUGGESTED).exists()
    assert not open_requests.filter(suggestions_updated_at__isnull=True).exists()
    assert "Ranked" in output


@pytest.mark.django_db
def test_suggestions_leave_out_paused_volunteers():
    load(*SMALL)

    assert not Match.objects.filter(volunteer__is_paused=True).exists()


@pytest.mark.django_db
def test_help_requests_fit_the_campaign():
    load(*SMALL)
    today = timezone.localdate()

    for candidate in Candidate.objects.prefetch_related("help_requests").select_related("election"):
        areas = [request.skill_area for request in candidate.help_requests.all()]
        assert 1 <= len(areas) <= 3
        assert len(set(areas)) == len(areas)
        for request in candidate.help_requests.all():
            assert today <= request.needed_by <= candidate.election.polling_day


@pytest.mark.django_db
def test_elections_in_demo_councils_on_polling_day():
    load(*SMALL)
    polling_day = demo.next_polling_day(timezone.localdate())
    council_names = {local_authority_name(code) for code in DEMO_CODES}

    assert set(Election.objects.values_list("polling_day", flat=True)) == {polling_day}
    assert set(Election.objects.values_list("council", flat=True)) == council_names


@pytest.mark.django_db
def test_organiser_is_superuser_with_default_password():
    output = load(*SMALL)

    organiser = User.objects.get(email=demo.ORGANISER_EMAIL)
    assert organiser.is_staff
    assert organiser.is_superuser
    assert organiser.check_password(demo.DEFAULT_ORGANISER_PASSWORD)
    assert EmailAddress.objects.get(user=organiser).verified
    assert f"http://testserver/admin/ as {demo.ORGANISER_EMAIL} with password demo-organiser-2026" in output


@pytest.mark.django_db
def test_organiser_password_option():
    load(*SMALL, "--organiser-password", "another-long-password")

    organiser = User.objects.get(email=demo.ORGANISER_EMAIL)
    assert organiser.check_password("another-long-password")


@pytest.mark.django_db
def test_existing_organiser_keeps_password():
    load(*SMALL)

    output = load(*SMALL, "--organiser-password", "another-long-password")

    organiser = User.objects.get(email=demo.ORGANISER_EMAIL)
    assert organiser.check_password(demo.DEFAULT_ORGANISER_PASSWORD)
    assert "the password it already had" in output


@pytest.mark.django_db
def test_demo_accounts_share_user_password():
    load(*SMALL, "--user-password", "volunteer-password")

    volunteer = User.objects.get(email="volunteer001@example.org")
    candidate = User.objects.get(email="candidate001@example.org")
    assert volunteer.check_password("volunteer-password")
    assert candidate.check_password("volunteer-password")


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    output = load(*SMALL, "--dry-run")

    assert all(count == 0 for count in row_counts().values()), row_counts()
    assert "Dry run: would create the organiser, 40 volunteers, 12 campaigns" in output
    assert "Nothing was written." in output


@pytest.mark.django_db
def test_dry_run_after_load_finds_nothing():
    load(*SMALL)
    counts = row_counts()

    output = load(*SMALL, "--dry-run")

    assert row_counts() == counts
    assert "would create 0 volunteers, 0 campaigns" in output


@pytest.mark.django_db
def test_verbosity_zero_prints_nothing():
    assert load(*SMALL, "--verbosity", "0") == ""
    assert Volunteer.objects.count() == 40


@pytest.mark.django_db
def test_raises_without_debug_or_force():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo_data", *SMALL, stdout=StringIO())

    assert User.objects.count() == 0


@pytest.mark.django_db
def test_rejects_empty_password():
    with pytest.raises(CommandError, match="--organiser-password is empty"):
        load(*SMALL, "--organiser-password", "")

    assert User.objects.count() == 0


def test_rejects_negative_count():
    with pytest.raises(CommandError, match="must be 0 or more"):
        load("--volunteers", "-1")


def test_same_seed_gives_same_plan():
    today = date(2026, 12, 4)

    first = demo.build_plan(volunteers=20, candidates=5, seed=7, today=today, progress=demo.Progress())
    second = demo.build_plan(volunteers=20, candidates=5, seed=7, today=today, progress=demo.Progress())
    other = demo.build_plan(volunteers=20, candidates=5, seed=8, today=today, progress=demo.Progress())

    assert first == second
    assert first != other


def test_campaigns_ignore_volunteer_count():
    today = date(2026, 12, 4)

    few = demo.build_plan(volunteers=5, candidates=6, seed=7, today=today, progress=demo.Progress())
    many = demo.build_plan(volunteers=50, candidates=6, seed=7, today=today, progress=demo.Progress())

    assert few.candidates == many.candidates
    assert few.volunteers == many.volunteers[:5]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 4), date(2027, 5, 6)),
        (date(2027, 1, 1), date(2027, 5, 6)),
        (date(2027, 5, 5), date(2027, 5, 6)),
        (date(2027, 5, 6), date(2028, 5, 4)),
        (date(2028, 1, 10), date(2028, 5, 4)),
        # 1 May 2031 is itself a Thursday.
        (date(2031, 4, 30), date(2031, 5, 1)),
    ],
)
def test_next_polling_day(today, expected):
    assert demo.next_polling_day(today) == expected


def test_help_request_due_before_close_polling_day():
    today = date(2027, 5, 3)

    plan = demo.build_plan(volunteers=0, candidates=12, seed=7, today=today, progress=demo.Progress())

    for candidate in plan.candidates:
        for request in candidate.help_requests:
            assert today <= request.needed_by <= plan.polling_day


def test_plausible_addresses_drops_invalid_and_coarse():
    # W1N closed long ago and fails today's format. CF1 1AA has a 100-metre grid reference.
    usable = demo.plausible_addresses(["W1N 0BS", "CF1 1AA", "B1 1AY"])

    assert [location.postcode for location in usable] == ["B1 1AY"]


def test_plausible_addresses_drops_po_boxes():
    bristol = postcodes_in_local_authority("E06000023", "B")
    po_boxes = [postcode for postcode in bristol if postcode.startswith("BS99 ")]

    usable = demo.plausible_addresses(bristol)

    assert len(po_boxes) > 100
    assert sum(location.postcode.startswith("BS99 ") for location in usable) < len(po_boxes) / 100
