"""
Imports of ballots and candidates from CSV files, all or nothing.

Two files are read:

- Democracy Club's candidates file (candidates.democracyclub.org.uk), one row
  per person standing in a ballot. Every ballot in it is imported, so that
  candidates can find theirs in the search; only the candidates of the parties
  in settings.IMPORT_PARTY_NAMES are kept. Booleans are ``t`` or ``f``.
- A plain ballots file with the columns type, council, ward and polling_day
  (optionally by_election, subtype and country), for ballots Democracy Club
  does not list yet.

Every row is checked before anything is written. A file with any bad row
imports nothing and returns every row's errors, so an organiser can fix the
file and upload it again.
"""

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .elections import ELECTION_TYPE_LABELS, BallotIdError, build_ballot_id, infer_country, parse_ballot_id
from .models import Candidate, Election

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
# Democracy Club election types outside the network: Northern Ireland's Assembly,
# the old National Assembly for Wales, the European Parliament and referendums.
TYPES_NOT_COVERED = {"nia", "naw", "europarl", "ref"}
TRUE_VALUES = {"t", "true", "yes", "y", "1"}
FALSE_VALUES = {"f", "false", "no", "n", "0"}
CHUNK_SIZE = 500

DEMOCRACY_CLUB_REQUIRED = ["ballot_paper_id", "election_date", "party_name", "person_name", "person_id"]
BALLOTS_REQUIRED = ["type", "council", "ward", "polling_day"]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        where = f"Row {self.row}" if self.row else "The file"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class ImportFailed(Exception):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


@dataclass
class ImportResult:
    ballots_created: int = 0
    ballots_updated: int = 0
    candidates_created: int = 0
    candidates_updated: int = 0
    rows_other_parties: int = 0
    rows_not_covered: int = 0

    def summary(self) -> str:
        return (
            f"{self.ballots_created} ballot(s) added and {self.ballots_updated} updated; "
            f"{self.candidates_created} candidate(s) added and {self.candidates_updated} updated. "
            f"{self.rows_other_parties} row(s) of other parties and {self.rows_not_covered} row(s) "
            "outside the network's elections were skipped."
        )


@dataclass
class BallotRow:
    ballot_id: str
    election_type: str
    subtype: str
    council: str
    ward: str
    polling_day: date
    is_by_election: bool
    country: str
    seats_contested: int | None = None


@dataclass
class CandidateRow:
    ballot_id: str
    person_id: int
    full_name: str
    email: str
    result: str


@dataclass
class _Parsed:
    ballots: dict[str, BallotRow] = field(default_factory=dict)
    candidates: dict[tuple[str, int], CandidateRow] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    result: ImportResult = field(default_factory=ImportResult)


def read_rows(file, required: list[str]) -> list[dict[str, str]]:
    """Return the rows of an uploaded CSV file as dictionaries with stripped values.

    Raise ImportFailed when the file is not UTF-8 text, is empty, lacks a
    required column, or has more than MAX_ROWS rows.
    """
    raw = file.read()
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ImportFailed(
            [RowError(0, "", "it is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")]
        ) from None

    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise ImportFailed([RowError(0, "", "it is empty.")])
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportFailed(
            [RowError(0, "", f"it has no {', '.join(missing)} column. The first row must name the columns.")]
        )

    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ImportFailed([RowError(0, "", f"it has more than {MAX_ROWS:,} rows. Split it and upload each part.")])
        rows.append({key: (value or "").strip() for key, value in row.items() if key is not None})
    return rows


def parse_boolean(value: str) -> bool | None:
    """Return True or False for t/f (and yes/no, true/false, 1/0), None for empty; raise ValueError otherwise."""
    lowered = value.strip().lower()
    if not lowered:
        return None
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise ValueError(value)


def parse_day(value: str) -> date:
    """Read a date written as 2026-05-07 or 07/05/2026 (day first, as in UK spreadsheets)."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def _row_number(index: int) -> int:
    # Row 1 of the file is the header, so the first data row is row 2, as a spreadsheet numbers it.
    return index + 2


def import_democracy_club_candidates(file, *, party_names: list[str] | None = None, today: date | None = None):
    """Import the ballots and the party's candidates in a Democracy Club candidates file.

    Return an ImportResult; raise ImportFailed, having written nothing, when any row is bad.
    """
    today = today or timezone.localdate()
    kept_parties = {name.casefold() for name in (party_names or settings.IMPORT_PARTY_NAMES)}
    parsed = _Parsed()
    for index, row in enumerate(read_rows(file, DEMOCRACY_CLUB_REQUIRED)):
        _parse_democracy_club_row(row, _row_number(index), parsed, kept_parties)
    if parsed.errors:
        raise ImportFailed(parsed.errors)
    return _save(parsed, source=Election.Source.DEMOCRACY_CLUB, today=today)


def _parse_democracy_club_row(row: dict, number: int, parsed: _Parsed, kept_parties: set[str]) -> None:
    errors = parsed.errors
    ballot_id = row.get("ballot_paper_id", "")
    if ballot_id.split(".", 1)[0] in TYPES_NOT_COVERED:
        parsed.result.rows_not_covered += 1
        return
    try:
        ballot = parse_ballot_id(ballot_id)
    except BallotIdError as error:
        errors.append(RowError(number, "ballot_paper_id", str(error)))
        return

    try:
        election_date = date.fromisoformat(row.get("election_date", ""))
    except ValueError:
        errors.append(
            RowError(number, "election_date", f"“{row.get('election_date', '')}” is not a date like 2026-05-07.")
        )
        return
    if election_date != ballot.polling_day:
        errors.append(
            RowError(
                number, "election_date", f"{election_date} is not the date in the ballot's identifier {ballot_id}."
            )
        )
        return

    country = infer_country(
        election_type=ballot.election_type, organisation=ballot.organisation, gss_code=row.get("gss", "")
    )
    if country is None:
        parsed.result.rows_not_covered += 1
        return

    seats = None
    if row.get("seats_contested"):
        try:
            seats = int(row["seats_contested"])
            if seats < 1:
                raise ValueError(seats)
        except ValueError:
            errors.append(
                RowError(number, "seats_contested", f"“{row['seats_contested']}” is not a whole number of seats.")
            )
            return

    if ballot_id not in parsed.ballots:
        parsed.ballots[ballot_id] = BallotRow(
            ballot_id=ballot_id,
            election_type=ballot.election_type,
            subtype=ballot.subtype,
            council=(row.get("organisation_name") or ballot.organisation.replace("-", " ").title())[:150],
            ward=(row.get("post_label") or ballot.division.replace("-", " ").title())[:150],
            polling_day=ballot.polling_day,
            is_by_election=ballot.is_by_election,
            country=country,
            seats_contested=seats,
        )

    if row.get("party_name", "").casefold() not in kept_parties:
        parsed.result.rows_other_parties += 1
        return
    _parse_candidate(row, number, ballot_id, parsed)


def _parse_candidate(row: dict, number: int, ballot_id: str, parsed: _Parsed) -> None:
    errors = parsed.errors
    before = len(errors)
    try:
        person_id = int(row.get("person_id", ""))
        if person_id < 1:
            raise ValueError(person_id)
    except ValueError:
        errors.append(RowError(number, "person_id", f"“{row.get('person_id', '')}” is not a Democracy Club person id."))
        person_id = 0

    full_name = row.get("person_name", "")
    if not full_name:
        errors.append(RowError(number, "person_name", "The candidate's name is missing."))
    elif len(full_name) > 150:
        errors.append(RowError(number, "person_name", "The name is longer than 150 characters."))

    email = row.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(RowError(number, "email", f"“{email}” is not an email address."))

    try:
        elected = parse_boolean(row.get("elected", ""))
    except ValueError:
        errors.append(RowError(number, "elected", f"“{row.get('elected')}” is not t or f."))
        elected = None

    if len(errors) == before:
        result = ""
        if elected is True:
            result = Candidate.Result.WON
        elif elected is False:
            result = Candidate.Result.LOST
        parsed.candidates[(ballot_id, person_id)] = CandidateRow(ballot_id, person_id, full_name, email.lower(), result)


def import_ballots(file, *, today: date | None = None) -> ImportResult:
    """Import a plain ballots file (type, council, ward, polling_day; optionally by_election, subtype, country).

    Return an ImportResult; raise ImportFailed, having written nothing, when any row is bad.
    """
    today = today or timezone.localdate()
    parsed = _Parsed()
    for index, row in enumerate(read_rows(file, BALLOTS_REQUIRED)):
        _parse_ballots_row(row, _row_number(index), parsed, today)
    if parsed.errors:
        raise ImportFailed(parsed.errors)
    return _save(parsed, source=Election.Source.BALLOTS_FILE, today=today)


TYPE_BY_NAME = {
    **{slug: slug for slug in ELECTION_TYPE_LABELS},
    **{label.casefold(): slug for slug, label in ELECTION_TYPE_LABELS.items()},
}
SUBTYPE_BY_NAME = {
    **{value: value for value, _ in Election.Subtype.choices},
    **{label.casefold(): value for value, label in Election.Subtype.choices},
}
COUNTRY_BY_NAME = {label.casefold(): value for value, label in Election.Country.choices}


def _parse_ballots_row(row: dict, number: int, parsed: _Parsed, today: date) -> None:
    errors = parsed.errors
    before = len(errors)

    election_type = TYPE_BY_NAME.get(row.get("type", "").casefold())
    if election_type is None:
        known = ", ".join(label for label in ELECTION_TYPE_LABELS.values())
        errors.append(RowError(number, "type", f"“{row.get('type', '')}” is not one of: {known}."))

    try:
        polling_day = parse_day(row.get("polling_day", ""))
        if polling_day < today:
            errors.append(RowError(number, "polling_day", f"Polling day {polling_day:%-d %B %Y} has passed."))
    except ValueError:
        errors.append(RowError(number, "polling_day", f"“{row.get('polling_day', '')}” is not a date like 2026-05-07."))
        polling_day = None

    try:
        is_by_election = bool(parse_boolean(row.get("by_election", "")))
    except ValueError:
        errors.append(RowError(number, "by_election", f"“{row.get('by_election')}” is not t or f."))
        is_by_election = False

    subtype = SUBTYPE_BY_NAME.get(row.get("subtype", "").casefold(), None) if row.get("subtype") else ""
    if subtype is None:
        errors.append(RowError(number, "subtype", f"“{row['subtype']}” is not constituency, region or a."))

    council, ward = row.get("council", ""), row.get("ward", "")
    for column, value in (("council", council), ("ward", ward)):
        if len(value) > 150:
            errors.append(RowError(number, column, "It is longer than 150 characters."))

    country = None
    if row.get("country"):
        country = COUNTRY_BY_NAME.get(row["country"].casefold())
        if country is None:
            errors.append(RowError(number, "country", f"“{row['country']}” is not England, Wales or Scotland."))
    if len(errors) > before:
        return

    try:
        ballot_id = build_ballot_id(
            election_type=election_type,
            polling_day=polling_day,
            organisation=council,
            division=ward,
            subtype=subtype,
            is_by_election=is_by_election,
        )
    except BallotIdError as error:
        errors.append(RowError(number, "", str(error)))
        return

    parsed.ballots.setdefault(
        ballot_id,
        BallotRow(
            ballot_id=ballot_id,
            election_type=election_type,
            subtype=subtype,
            council=council,
            ward=ward,
            polling_day=polling_day,
            is_by_election=is_by_election,
            country=country or infer_country(election_type=election_type, organisation=council) or "england",
        ),
    )


def _chunks(items: list, size: int = CHUNK_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def _save(parsed: _Parsed, *, source: str, today: date) -> ImportResult:
    result = parsed.result
    elections = _save_ballots(list(parsed.ballots.values()), source, result)
    _save_candidates(list(parsed.candidates.values()), elections, result, today)
    logger.info(
        "Import from %s: %d ballots added, %d updated, %d candidates added, %d updated",
        source,
        result.ballots_created,
        result.ballots_updated,
        result.candidates_created,
        result.candidates_updated,
    )
    return result


def _save_ballots(rows: list[BallotRow], source: str, result: ImportResult) -> dict[str, Election]:
    existing: dict[str, Election] = {}
    for chunk in _chunks([row.ballot_id for row in rows]):
        existing.update({election.ballot_id: election for election in Election.objects.filter(ballot_id__in=chunk)})

    new, changed = [], []
    for row in rows:
        election = existing.get(row.ballot_id)
        if election is None:
            election = Election(
                ballot_id=row.ballot_id,
                election_type=row.election_type,
                subtype=row.subtype,
                council=row.council,
                ward=row.ward,
                polling_day=row.polling_day,
                is_by_election=row.is_by_election,
                country=row.country,
                seats_contested=row.seats_contested,
                source=source,
                is_confirmed=True,
            )
            # bulk_create skips save(), which fills in the key dates.
            election.refresh_key_dates()
            new.append(election)
            continue
        # A file from Democracy Club names the ballot in its own words. A ballot named
        # by a candidate keeps theirs, but appearing in any file confirms it.
        if source == Election.Source.DEMOCRACY_CLUB:
            election.council, election.ward = row.council, row.ward
            election.seats_contested = row.seats_contested or election.seats_contested
        election.is_confirmed = True
        changed.append(election)

    Election.objects.bulk_create(new, batch_size=CHUNK_SIZE)
    Election.objects.bulk_update(changed, ["council", "ward", "seats_contested", "is_confirmed"], batch_size=CHUNK_SIZE)
    result.ballots_created += len(new)
    result.ballots_updated += len(changed)

    saved = {}
    for chunk in _chunks([row.ballot_id for row in rows]):
        saved.update({election.ballot_id: election for election in Election.objects.filter(ballot_id__in=chunk)})
    return saved


def _save_candidates(rows: list[CandidateRow], elections: dict[str, Election], result: ImportResult, today) -> None:
    if not rows:
        return
    election_ids = sorted({elections[row.ballot_id].pk for row in rows})
    by_person: dict[tuple[int, int], Candidate] = {}
    unlinked: dict[tuple[int, str], Candidate] = {}
    for chunk in _chunks(election_ids):
        for candidate in Candidate.objects.filter(election_id__in=chunk):
            if candidate.democracy_club_person_id is not None:
                by_person[(candidate.election_id, candidate.democracy_club_person_id)] = candidate
            elif candidate.anonymised_at is None:
                # Someone who asked for help before the import: matched to the imported row by name.
                unlinked.setdefault((candidate.election_id, candidate.full_name.casefold()), candidate)

    new, changed = [], []
    for row in rows:
        election = elections[row.ballot_id]
        result_value = row.result
        if result_value == Candidate.Result.LOST and election.polling_day >= today:
            # Before the count, "not elected" only means no result yet.
            result_value = ""
        candidate = by_person.get((election.pk, row.person_id)) or unlinked.pop(
            (election.pk, row.full_name.casefold()), None
        )
        if candidate is None:
            new.append(
                Candidate(
                    election=election,
                    democracy_club_person_id=row.person_id,
                    full_name=row.full_name,
                    invitation_email=row.email,
                    result=result_value,
                )
            )
            continue
        candidate.democracy_club_person_id = row.person_id
        if candidate.user_id is None:
            candidate.full_name = row.full_name
        candidate.invitation_email = candidate.invitation_email or row.email
        candidate.result = result_value or candidate.result
        candidate.updated_at = timezone.now()
        changed.append(candidate)

    Candidate.objects.bulk_create(new, batch_size=CHUNK_SIZE)
    Candidate.objects.bulk_update(
        changed,
        ["democracy_club_person_id", "full_name", "invitation_email", "result", "updated_at"],
        batch_size=CHUNK_SIZE,
    )
    result.candidates_created += len(new)
    result.candidates_updated += len(changed)
