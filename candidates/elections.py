"""
Ballots, their legal timetables, and how urgent a help request is.

Plain functions with no database access, so each rule is tested on its own.

Ballot identifiers are Democracy Club's, built and parsed with the
`uk-election-ids` package, such as ``local.birmingham.acocks-green.2026-05-07``
or ``local.birmingham.acocks-green.by.2026-05-07`` for a by-election. Key dates
come from the `uk-election-timetables` package, which counts working days back
from polling day under each country's rules and bank holidays.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

from uk_election_ids.election_ids import RULES, IdBuilder
from uk_election_ids.slugger import slugify
from uk_election_timetables.calendars import Country as TimetableCountry
from uk_election_timetables.election_ids import from_election_id

# Democracy Club's election types that the network covers, with their labels.
ELECTION_TYPE_LABELS = {
    "local": "Local",
    "mayor": "Mayoral",
    "senedd": "Senedd",
    "sp": "Scottish Parliament",
    "gla": "London Assembly",
    "parl": "UK Parliament",
    "pcc": "Police and crime commissioner",
}

# Types whose ballots only happen in one country.
COUNTRY_OF_TYPE = {"senedd": "wales", "sp": "scotland", "gla": "england", "mayor": "england"}

TIMETABLE_COUNTRIES = {
    "england": TimetableCountry.ENGLAND,
    "wales": TimetableCountry.WALES,
    "scotland": TimetableCountry.SCOTLAND,
}

# Principal councils outside England, by the slug of their name. Every other council
# is taken to be English. Scottish and Welsh elections have their own timetables.
WELSH_COUNCILS = {
    "blaenau-gwent",
    "bridgend",
    "caerphilly",
    "cardiff",
    "carmarthenshire",
    "ceredigion",
    "conwy",
    "denbighshire",
    "flintshire",
    "gwynedd",
    "isle-of-anglesey",
    "ynys-mon",
    "anglesey",
    "merthyr-tydfil",
    "monmouthshire",
    "neath-port-talbot",
    "newport",
    "pembrokeshire",
    "powys",
    "rhondda-cynon-taf",
    "swansea",
    "torfaen",
    "vale-of-glamorgan",
    "the-vale-of-glamorgan",
    "wrexham",
    # Police areas, for police and crime commissioner ballots.
    "dyfed-powys",
    "gwent",
    "north-wales",
    "south-wales",
}
SCOTTISH_COUNCILS = {
    "aberdeen-city",
    "aberdeen",
    "aberdeenshire",
    "angus",
    "argyll-and-bute",
    "city-of-edinburgh",
    "edinburgh",
    "clackmannanshire",
    "dumfries-and-galloway",
    "dundee-city",
    "dundee",
    "east-ayrshire",
    "east-dunbartonshire",
    "east-lothian",
    "east-renfrewshire",
    "falkirk",
    "fife",
    "glasgow-city",
    "glasgow",
    "highland",
    "inverclyde",
    "midlothian",
    "moray",
    "na-h-eileanan-siar",
    "comhairle-nan-eilean-siar",
    "eilean-siar",
    "north-ayrshire",
    "north-lanarkshire",
    "orkney-islands",
    "orkney",
    "perth-and-kinross",
    "renfrewshire",
    "scottish-borders",
    "shetland-islands",
    "shetland",
    "south-ayrshire",
    "south-lanarkshire",
    "stirling",
    "west-dunbartonshire",
    "west-lothian",
}

# Words people add to a council's name that Democracy Club leaves out of its identifiers:
# "Birmingham City Council" is "birmingham", and "London Borough of Hackney" is "hackney".
_COUNCIL_PREFIXES = re.compile(r"^(?:the-)?(?:london-borough-of|royal-borough-of|borough-of|county-of)-")
_COUNCIL_SUFFIXES = re.compile(
    r"-(?:metropolitan-borough|metropolitan-district|city-and-county|county-borough|city|borough|county|district)?"
    r"-?council$"
)


class BallotIdError(ValueError):
    """A ballot that cannot be named. The message names the part that is missing or invalid."""


@dataclass(frozen=True)
class ParsedBallot:
    """The parts of a ballot identifier."""

    ballot_id: str
    election_type: str
    subtype: str
    organisation: str
    division: str
    is_by_election: bool
    polling_day: date


@dataclass(frozen=True)
class KeyDate:
    name: str
    label: str
    day: date


@dataclass(frozen=True)
class Timetable:
    """The legal deadlines of one ballot, each counted back from polling day in working days."""

    close_of_nominations: date
    sopn_publish_deadline: date
    registration_deadline: date
    postal_vote_application_deadline: date
    polling_day: date

    LABELS = {
        "close_of_nominations": "Close of nominations",
        "sopn_publish_deadline": "Statement of persons nominated published",
        "registration_deadline": "Deadline to register to vote",
        "postal_vote_application_deadline": "Deadline to apply for a postal vote",
        "polling_day": "Polling day",
    }

    def key_dates(self) -> list[KeyDate]:
        """Return every key date, earliest first."""
        dates = [KeyDate(name, label, getattr(self, name)) for name, label in self.LABELS.items()]
        return sorted(dates, key=lambda key_date: (key_date.day, list(self.LABELS).index(key_date.name)))

    def next_key_date(self, today: date) -> KeyDate | None:
        """Return the first key date on or after today, or None once polling day has passed."""
        return next((key_date for key_date in self.key_dates() if key_date.day >= today), None)


def organisation_slug(name: str) -> str:
    """Return Democracy Club's slug for a council's name, without words such as "City Council"."""
    slug = slugify(name)
    slug = _COUNCIL_PREFIXES.sub("", slug)
    without_suffix = _COUNCIL_SUFFIXES.sub("", slug)
    return without_suffix or slug


def can_have_organisation(election_type: str) -> bool:
    return bool(RULES[election_type].can_have_orgs)


def can_have_division(election_type: str, subtype: str = "") -> bool:
    rule = RULES[election_type].can_have_divs
    if isinstance(rule, dict):
        return bool(rule.get(subtype, False))
    return bool(rule)


def subtypes_of(election_type: str) -> tuple[str, ...]:
    return RULES[election_type].subtypes or ()


def subtype_required(election_type: str) -> bool:
    return bool(RULES[election_type].subtypes_required)


def build_ballot_id(
    *,
    election_type: str,
    polling_day: date,
    organisation: str = "",
    division: str = "",
    subtype: str = "",
    is_by_election: bool = False,
) -> str:
    """Build Democracy Club's identifier of one ballot with `uk-election-ids`.

    `organisation` is the council's name or slug and `division` the ward's; each is
    used only by the types whose identifiers have that part. Raise BallotIdError
    with a message for the person who typed the names.
    """
    if election_type not in ELECTION_TYPE_LABELS:
        raise BallotIdError(f"“{election_type}” is not an election type the network covers.")

    subtypes = subtypes_of(election_type)
    if subtype and subtype not in subtypes:
        raise BallotIdError(f"A {ELECTION_TYPE_LABELS[election_type]} ballot cannot have the part “{subtype}”.")
    if not subtype and subtype_required(election_type):
        raise BallotIdError(f"Choose constituency or region for a {ELECTION_TYPE_LABELS[election_type]} ballot.")

    builder = IdBuilder(election_type, polling_day)
    if subtype:
        builder = builder.with_subtype(subtype)

    if can_have_organisation(election_type):
        slug = organisation_slug(organisation)
        if not slug:
            raise BallotIdError("Enter the council's name in letters and numbers, such as Birmingham.")
        builder = builder.with_organisation(slug)

    if can_have_division(election_type, subtype):
        slug = slugify(division)
        if not slug:
            raise BallotIdError("Enter the ward or division's name in letters and numbers, such as Acocks Green.")
        builder = builder.with_division(slug)

    if is_by_election:
        builder = builder.with_contest_type("by")

    try:
        return builder.ballot_id
    except ValueError as error:
        raise BallotIdError(f"These details do not name a ballot: {error}.") from error


def parse_ballot_id(ballot_id: str) -> ParsedBallot:
    """Split a ballot identifier into its parts; raise BallotIdError unless it names one ballot of a covered type."""
    try:
        builder = IdBuilder.from_id(ballot_id)
        rebuilt = builder.ballot_id
    except (ValueError, TypeError) as error:
        raise BallotIdError(f"“{ballot_id}” is not a Democracy Club ballot identifier ({error}).") from error
    if rebuilt != ballot_id:
        raise BallotIdError(f"“{ballot_id}” names a group of ballots, not one ballot.")
    if builder.election_type not in ELECTION_TYPE_LABELS:
        raise BallotIdError(f"“{ballot_id}” is a {builder.election_type} ballot, a type the network does not cover.")
    return ParsedBallot(
        ballot_id=ballot_id,
        election_type=builder.election_type,
        subtype=builder.subtype or "",
        organisation=builder.organisation or "",
        division=builder.division or "",
        is_by_election=builder.contest_type == "by",
        polling_day=date.fromisoformat(builder.date),
    )


def infer_country(*, election_type: str, organisation: str = "", gss_code: str = "") -> str | None:
    """Return england, wales or scotland for a ballot, or None for Northern Ireland.

    An ONS (GSS) code decides it. Otherwise the type may only happen in one
    country, or the organisation is one of the Welsh or Scottish councils.
    """
    prefix = gss_code.strip()[:1].upper()
    if prefix:
        return {"E": "england", "W": "wales", "S": "scotland"}.get(prefix)
    if election_type in COUNTRY_OF_TYPE:
        return COUNTRY_OF_TYPE[election_type]
    slug = organisation_slug(organisation)
    if slug in WELSH_COUNCILS:
        return "wales"
    if slug in SCOTTISH_COUNCILS:
        return "scotland"
    # NOTE: a UK Parliament ballot has no organisation, so without a GSS code one in
    # Wales or Scotland is taken to be English. Organisers can correct the country.
    return "england"


def timetable(*, ballot_id: str, country: str, polling_day: date | None = None) -> Timetable:
    """Return the ballot's key dates from `uk-election-timetables`, under its country's rules.

    `polling_day` overrides the date in the identifier, for a poll that was moved.

    NOTE: the package's bank holidays (version 5.0.2) end in 2028, so dates for later
    polling days skip weekends but not bank holidays.
    """
    parsed = parse_ballot_id(ballot_id)
    # The package picks its rules from the type, except for the two bodies it names:
    # the Mayor of London follows the London Assembly, and the City of London has its own.
    rules = parsed.election_type
    if ballot_id.startswith(("mayor.london.", "local.city-of-london.")):
        rules = f"{parsed.election_type}.{parsed.organisation}"
    return _timetable(rules, country, polling_day or parsed.polling_day)


@functools.lru_cache(maxsize=4096)
def _timetable(rules: str, country: str, polling_day: date) -> Timetable:
    # Cached because an import computes the same few polling days for thousands of ballots.
    election = from_election_id(f"{rules}.{polling_day.isoformat()}", country=TIMETABLE_COUNTRIES[country])
    return Timetable(
        close_of_nominations=election.close_of_nominations,
        sopn_publish_deadline=election.sopn_publish_deadline,
        registration_deadline=election.registration_deadline,
        postal_vote_application_deadline=election.postal_vote_application_deadline,
        polling_day=election.poll_date,
    )


# The key date by which each kind of help is worth most. A website must be up
# before postal voters can no longer apply, because postal ballots go out soon
# after. Social media pushes people to register before the registration deadline.
# Data work feeds canvassing, which is planned once nominations close. Video is
# shared in the weeks before postal votes are cast.
SUGGESTED_KEY_DATE = {
    "engineering": "postal_vote_application_deadline",
    "social_media": "registration_deadline",
    "data": "close_of_nominations",
    "video": "postal_vote_application_deadline",
}


def suggested_needed_by(schedule: Timetable, skill_area: str, *, today: date) -> KeyDate:
    """Return the date to suggest for a help request's needed-by, with the key date it comes from.

    A suggested key date already past falls back to the next key date, so the
    suggestion is never before today.
    """
    name = SUGGESTED_KEY_DATE.get(skill_area, "postal_vote_application_deadline")
    suggested = KeyDate(name, Timetable.LABELS[name], getattr(schedule, name))
    if suggested.day >= today:
        return suggested
    upcoming = schedule.next_key_date(today)
    return upcoming or KeyDate("polling_day", Timetable.LABELS["polling_day"], schedule.polling_day)


def urgency_date(*, needed_by: date, schedule: Timetable | None, today: date) -> date:
    """Return the earlier of the needed-by date and the ballot's next key date from today."""
    upcoming = schedule.next_key_date(today) if schedule is not None else None
    if upcoming is None:
        return needed_by
    return min(needed_by, upcoming.day)


def urgency_days(*, needed_by: date, schedule: Timetable | None, today: date) -> int:
    """Return how many days are left before the request's needed-by date or the next key date, whichever is first.

    Negative once that date has passed.
    """
    return (urgency_date(needed_by=needed_by, schedule=schedule, today=today) - today).days
