"""
Import volunteers from a spreadsheet that organisers already hold.

The usual sources are a Google Forms responses sheet (a `Timestamp` column,
then one column per question), a NationBuilder people export (`first_name`,
`email1`, `primary_zip`, `tag_list`) and an Action Network export (`zip_code`,
`can2_phone`), as CSV or XLSX. The steps are:

1. `read_table` decodes the file (UTF-8 with or without a byte-order mark,
   UTF-16 from Excel's "Unicode text", or Windows-1252) into a header row and
   text cells, with Excel's leading apostrophes and stray spaces removed.
2. `suggest_mapping` proposes a field for each column from its header; the
   organiser confirms or changes it.
3. `build_plan` checks every row with the signup form's own rules and lists
   each problem with its row number, the column and the value.
4. `import_volunteers` creates every volunteer in one transaction, or none.

Imported people have not consented to anything: they get no Consent rows and
an unverified email address, so matching never suggests them. Each is sent an
invitation to confirm their address; confirming it is their agreement to join.
"""

import codecs
import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User

from .forms import VolunteerProfileFields, skill_field_name
from .models import DataTransfer, SkillArea, SkillLevel, Volunteer, VolunteerLink, VolunteerSkill, WorkMode

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000


class ImportFileError(ValueError):
    """A file that cannot be read as a table; the message is written for the organiser."""


class ImportBlocked(Exception):
    """An import that must not run, because a row has a problem; nothing was saved."""


# Reading the file


@dataclass
class Table:
    """The cells of a spreadsheet as text: a header row and the rows under it."""

    headers: list[str]
    # (row number in the spreadsheet, cells), one cell per header; blank rows are left out.
    rows: list[tuple[int, list[str]]]
    encoding: str

    def to_session(self) -> dict:
        return {"headers": self.headers, "rows": self.rows, "encoding": self.encoding}

    @classmethod
    def from_session(cls, data: dict) -> "Table":
        rows = [(number, cells) for number, cells in data["rows"]]
        return cls(headers=data["headers"], rows=rows, encoding=data["encoding"])


def read_table(filename: str, content: bytes) -> Table:
    """Read an uploaded CSV or XLSX file into a Table.

    Raise ImportFileError, with what to do about it, for anything that is not a
    readable table of at most MAX_ROWS rows.
    """
    if not content:
        raise ImportFileError("The file is empty. Choose the spreadsheet file again.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is {len(content) / 2**20:.1f} MB; the largest that can be imported is "
            f"{MAX_UPLOAD_BYTES // 2**20} MB. Split it into smaller files."
        )

    name = filename.lower()
    if content.startswith(b"PK\x03\x04"):
        cells, encoding = _read_xlsx(content), "Excel workbook (XLSX)"
    elif name.endswith((".xls", ".numbers", ".ods")) or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "This is not a CSV or XLSX file. Save the spreadsheet as “Excel workbook (.xlsx)” or “CSV UTF-8” "
            "and upload that."
        )
    else:
        text, encoding = decode_text(content)
        cells = _read_csv(text)

    return _table_from_cells(cells, encoding)


def decode_text(content: bytes) -> tuple[str, str]:
    """Return the text of a CSV file and the name of the encoding it was read in.

    UTF-8 is tried first because a file that decodes as UTF-8 is almost never
    meant as anything else; Windows-1252 (what Excel on Windows saves as "CSV")
    comes next. Five bytes have no meaning in Windows-1252, so a file holding
    them is reported instead of guessed at.
    """
    if content.startswith(codecs.BOM_UTF8):
        return _decode(content[len(codecs.BOM_UTF8) :], "utf-8", "UTF-8 with a byte-order mark")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(content, "utf-16", "UTF-16")
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    return _decode(content, "cp1252", "Windows-1252")


def _decode(content: bytes, codec: str, label: str) -> tuple[str, str]:
    try:
        return content.decode(codec), label
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not valid {label} text (byte {error.start + 1} cannot be read). "
            "Save it again as “CSV UTF-8” and upload it again."
        ) from error


def _read_csv(text: str) -> list[list[str]]:
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise ImportFileError(
            f"The file could not be read as CSV: {error}. Check it opens in a spreadsheet."
        ) from error


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportFileError(
            "The file could not be opened as an Excel workbook. Save it again as “Excel workbook (.xlsx)”."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_xlsx_text(value) for value in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _xlsx_text(value) -> str:
    """Turn a typed Excel cell into the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        # Only dates are imported, and a form's Timestamp column is never imported.
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def clean_cell(value: str) -> str:
    """Strip spaces (including non-breaking ones) and one leading apostrophe, Excel's mark for text."""
    text = value.replace("\u00a0", " ").strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text


def _table_from_cells(cells: list[list[str]], encoding: str) -> Table:
    numbered = [(number, row) for number, row in enumerate(cells, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise ImportFileError("The file has no rows. Check you chose the right file.")

    header_number, header_row = numbered[0]
    if header_number != 1:
        logger.info("Spreadsheet headers found on row %d", header_number)
    headers = [cell.replace("\u00a0", " ").strip() for cell in header_row]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError("The first row must hold the column headers, such as Name, Email and Postcode.")

    rows = []
    for number, row in numbered[1:]:
        padded = [clean_cell(cell) for cell in row[: len(headers)]]
        padded += [""] * (len(headers) - len(padded))
        if any(padded):
            rows.append((number, padded))
    if not rows:
        raise ImportFileError("The file has headers but no volunteers under them.")
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.")
    return Table(headers=headers, rows=rows, encoding=encoding)


# Recognising columns


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    # Several columns may feed the same list, such as two skills questions.
    many: bool = False


TARGETS = [
    Target("full_name", "Full name"),
    Target("first_name", "First name"),
    Target("last_name", "Last name"),
    Target("email", "Email address"),
    Target("postcode", "Postcode"),
    Target("skills", "Skills: answers joined with commas, each must be recognised", many=True),
    Target("tags", "Tags: skill tags recognised, other tags ignored", many=True),
    Target("work_mode", "How they help: in person, remotely or both"),
    Target("in_person", "Can help in person: yes or no"),
    Target("remote", "Can help remotely: yes or no"),
    Target("travel_radius_miles", "Travel radius in miles"),
    Target("hours_per_week", "Hours a week"),
    Target("available_from", "Available from"),
    Target("available_until", "Available until"),
    Target("max_active_matches", "Campaigns at once"),
    Target("bio", "Short bio"),
    Target("links", "Links: web addresses joined with commas or spaces", many=True),
    Target("is_paused", "Paused: yes or no"),
]
TARGETS_BY_NAME = {target.name: target for target in TARGETS}
IGNORE = ""

# Columns recognised on purpose and never imported, with the reason shown to the organiser.
NOT_IMPORTED = {
    "phone": "Not imported: the network does not hold volunteers' phone numbers.",
    "party": (
        "Not imported: a relationship to the Labour Party is held only with the volunteer's own explicit "
        "consent, given on the site."
    ),
    "consent": "Not imported: consent given to someone else does not carry over; volunteers confirm by email.",
    "timestamp": "Not imported: when the form was answered.",
}

# Headers as the tools write them, after normalise_header.
EXACT_HEADERS = {
    "name": "full_name",
    "full name": "full_name",
    "fullname": "full_name",
    "first name": "first_name",
    "firstname": "first_name",
    "given name": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family name": "last_name",
    "email": "email",
    "email1": "email",
    "email address": "email",
    "e mail": "email",
    "primary email": "email",
    "primary zip": "postcode",
    "zip code": "postcode",
    "zip": "postcode",
    "postcode": "postcode",
    "post code": "postcode",
    "postal code": "postcode",
    "tag list": "tags",
    "tags": "tags",
    "can2 user tags": "tags",
    "skills": "skills",
    "bio": "bio",
    "paused": "is_paused",
    "timestamp": "timestamp",
}

# Headers about someone or something other than the volunteer, such as NationBuilder's
# middle_name or point_person_name_or_email: never guessed, though the organiser may choose them.
OTHER_PEOPLE_WORDS = (
    "middle",
    "nick",
    "point person",
    "recruiter",
    "employer",
    "organisation",
    "organization",
    "company",
    "user name",
    "username",
    "prefix",
    "suffix",
    "emergency",
    "parent",
    "partner",
)

# Words in a longer header, such as a Google Forms question, tried in this order.
HEADER_KEYWORDS = [
    (("phone", "mobile", "telephone"), "phone"),
    (("labour", "party", "member", "membership"), "party"),
    (("consent", "opt in", "subscription", "subscribed"), "consent"),
    (("email",), "email"),
    (("postcode", "post code", "zip"), "postcode"),
    (("first name", "given name", "forename"), "first_name"),
    (("last name", "surname", "family name"), "last_name"),
    (("skill", "skills", "help with", "good at"), "skills"),
    (("in person or remote", "in person or remotely", "remotely or in person", "how can you help"), "work_mode"),
    (("remote", "remotely"), "remote"),
    (("in person",), "in_person"),
    (("travel", "miles"), "travel_radius_miles"),
    (("hours",), "hours_per_week"),
    (("until", "end date", "last day"), "available_until"),
    (("available from", "start date", "from when", "when can you start"), "available_from"),
    (("campaigns at once", "how many campaigns"), "max_active_matches"),
    (("bio", "about you", "about yourself"), "bio"),
    (("link", "portfolio", "website", "linkedin", "github"), "links"),
    (("name",), "full_name"),
]


def normalise_header(header: str) -> str:
    """Lower-case a header and turn every run of punctuation, underscores and spaces into one space."""
    return re.sub(r"[^a-z0-9]+", " ", header.casefold()).strip()


def recognise_header(header: str) -> tuple[str, bool]:
    """Return the field or NOT_IMPORTED key a header names (IGNORE when none), and whether the name is exact.

    Exact names are the tools' own headers, such as `email1` or `primary_zip`.
    The rest are guesses from words in the header, such as a form's question.
    """
    normalised = normalise_header(header)
    if normalised in EXACT_HEADERS:
        return EXACT_HEADERS[normalised], True
    padded = f" {normalised} "
    if re.fullmatch(r"email[2-9]", normalised) or any(f" {word} " in padded for word in OTHER_PEOPLE_WORDS):
        return IGNORE, False
    if normalised.endswith(" zip"):
        return "postcode", False
    for keywords, name in HEADER_KEYWORDS:
        if any(f" {keyword} " in padded for keyword in keywords):
            return name, False
    return IGNORE, False


def detect_source(headers: list[str]) -> str:
    """Name the tool that most likely made the file, from its headers, or return an empty string."""
    normalised = [normalise_header(header) for header in headers]
    names = set(normalised)
    if "nationbuilder id" in names or {"email1", "primary zip"} & names:
        return "a NationBuilder people export"
    if any(name.startswith("can2 ") for name in names) or {"zip code", "uuid"} <= names:
        return "an Action Network export"
    if normalised and normalised[0] == "timestamp":
        return "a Google Forms responses sheet"
    return ""


@dataclass(frozen=True)
class ColumnGuess:
    index: int
    header: str
    target: str
    note: str


def suggest_mapping(table: Table) -> list[ColumnGuess]:
    """Propose a field for each column; a single field goes to one column only.

    Exact headers are placed first, so NationBuilder's `primary_zip` wins over
    its `billing_zip` wherever each sits. A header that appears twice (after
    trimming and ignoring letter case) is mapped once, and the note on the other
    copy names the column used.
    """
    recognised = [recognise_header(header) if header else (IGNORE, False) for header in table.headers]
    targets = [IGNORE] * len(table.headers)
    notes = [""] * len(table.headers)

    first_with_header: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        normalised = normalise_header(header)
        if normalised in first_with_header:
            earlier = column_letter(first_with_header[normalised])
            notes[index] = f"The header “{header}” appears more than once; column {earlier} is used."
            recognised[index] = (IGNORE, False)
        elif normalised:
            first_with_header[normalised] = index
        name = recognised[index][0]
        if name in NOT_IMPORTED:
            notes[index] = NOT_IMPORTED[name]

    used: dict[str, int] = {}
    for exact_pass in (True, False):
        for index, (name, exact) in enumerate(recognised):
            target = TARGETS_BY_NAME.get(name)
            if target is None or exact != exact_pass:
                continue
            # A column named only "name" or a question such as "Your name" is not taken over first and last names.
            if name == "full_name" and not exact and "first_name" in used:
                continue
            if not target.many and name in used:
                notes[index] = notes[index] or (
                    f"Column {column_letter(used[name])} is already used for {target.label.lower()}."
                )
                continue
            used.setdefault(name, index)
            targets[index] = name

    return [ColumnGuess(index, header, targets[index], notes[index]) for index, header in enumerate(table.headers)]


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a column numbered from 0: A, B, …, Z, AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def duplicated_fields(mapping: list[str]) -> dict[str, list[int]]:
    """Return each single-column field chosen for more than one column, with those columns."""
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(mapping):
        if name and not TARGETS_BY_NAME[name].many:
            columns.setdefault(name, []).append(index)
    return {name: indexes for name, indexes in columns.items() if len(indexes) > 1}


def missing_fields(mapping: list[str]) -> list[str]:
    """Return a message for each field that every import needs and no column is chosen for."""
    chosen = set(mapping)
    problems = []
    if not {"full_name", "first_name"} & chosen:
        problems.append("Choose the column with the volunteer's full name, or their first name.")
    if "email" not in chosen:
        problems.append("Choose the column with the email address.")
    if "postcode" not in chosen:
        problems.append("Choose the column with the postcode.")
    if not {"skills", "tags"} & chosen:
        problems.append("Choose a column with skills or tags: every volunteer needs at least one skill.")
    return problems


# Reading values


TRUE_WORDS = {"yes", "y", "true", "t", "1", "x", "✓", "✔", "ticked", "checked", "on"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "off", "unchecked"}

SKILL_WORDS = {
    SkillArea.SOCIAL_MEDIA: ("social media", "social", "marketing", "comms", "communications", "content"),
    SkillArea.DATA: ("data", "analytics", "analysis", "analyst", "spreadsheets", "statistics", "sql"),
    SkillArea.ENGINEERING: (
        "engineering",
        "engineer",
        "web",
        "website",
        "websites",
        "landing page",
        "landing pages",
        "developer",
        "development",
        "coding",
        "software",
        "programming",
    ),
    SkillArea.VIDEO: ("video", "videos", "filming", "film", "animation", "editing"),
}

WORK_MODE_WORDS = [
    (("both", "either", "in person or remotely", "remote or in person", "hybrid"), WorkMode.BOTH),
    (("remote", "remotely", "online", "from home"), WorkMode.REMOTE),
    (("in person", "in_person", "face to face", "locally"), WorkMode.IN_PERSON),
]


def parse_bool(value: str) -> bool | None:
    """Read yes or no in the ways spreadsheets and forms spell it; None for an empty cell.

    Raise ValueError for anything else.
    """
    word = value.strip().casefold().rstrip(".")
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"“{value}” is not yes or no")


def split_answers(value: str) -> list[str]:
    """Split a cell of several answers joined with commas or semicolons, as Google Forms and tags are."""
    return [part.strip() for part in re.split(r"[,;\n]", value) if part.strip()]


def skill_area_of(answer: str) -> str | None:
    padded = f" {normalise_header(answer)} "
    for area, words in SKILL_WORDS.items():
        if any(f" {word} " in padded for word in words):
            return area
    return None


def parse_work_mode(value: str) -> str:
    padded = f" {normalise_header(value)} "
    for words, mode in WORK_MODE_WORDS:
        if any(f" {normalise_header(word)} " in padded for word in words):
            return mode
    raise ValueError(f"“{value}” is not in person, remotely or both")


def parse_whole_number(value: str) -> str:
    """Take the number out of answers such as "10 miles" or "4.0"; other text is passed on to fail validation."""
    found = re.fullmatch(r"\s*(\d+)(?:\.0+)?\s*(?:[a-z ]*)\s*", value.casefold())
    return found.group(1) if found else value


# Day first, as in the UK: 05/01/2026 is 5 January.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d")


def parse_date_text(value: str) -> str:
    """Return a date written in a common UK way as YYYY-MM-DD; other text is passed on to fail validation."""
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", value.strip().rstrip("."), flags=re.IGNORECASE)
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text, date_format).date().isoformat()
        except ValueError:
            continue
    return value


def looks_garbled(text: str) -> bool:
    """Tell whether text was decoded in the wrong encoding somewhere before it reached us.

    UTF-8 read as Windows-1252 turns "á" into "Ã¡", and turning such text back
    gives different text. Text that was right fails to turn back or stays the same.
    """
    if "\ufffd" in text:
        return True
    try:
        repaired = text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return repaired != text


# Checking rows


@dataclass(frozen=True)
class Defaults:
    """Values for fields the spreadsheet does not give, chosen by the organiser."""

    work_mode: str = WorkMode.REMOTE
    travel_radius_miles: int = 10
    hours_per_week: int = 2
    available_from: date | None = None
    max_active_matches: int = 1
    skill_level: int = SkillLevel.SOME_EXPERIENCE

    def to_session(self) -> dict:
        data = self.__dict__.copy()
        data["available_from"] = self.available_from.isoformat() if self.available_from else None
        return data

    @classmethod
    def from_session(cls, data: dict) -> "Defaults":
        values = dict(data)
        values["available_from"] = date.fromisoformat(values["available_from"]) if values["available_from"] else None
        return cls(**values)


@dataclass
class RowResult:
    number: int
    name: str = ""
    email: str = ""
    errors: list[str] = field(default_factory=list)
    # Someone with this email address already has an account: the row is skipped, not an error.
    already_registered: bool = False
    data: dict | None = None


@dataclass
class ImportPlan:
    rows: list[RowResult]
    ignored_tags: list[str]

    @property
    def errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def skipped(self) -> list[RowResult]:
        return [row for row in self.rows if row.already_registered and not row.errors]

    @property
    def to_create(self) -> list[RowResult]:
        return [row for row in self.rows if row.data is not None and not row.errors and not row.already_registered]


FORM_FIELD_TARGETS = {
    "full_name": "full_name",
    "postcode": "postcode",
    "work_mode": "work_mode",
    "travel_radius_miles": "travel_radius_miles",
    "hours_per_week": "hours_per_week",
    "available_from": "available_from",
    "available_until": "available_until",
    "max_active_matches": "max_active_matches",
    "bio": "bio",
    "links": "links",
}


def build_plan(table: Table, mapping: list[str], defaults: Defaults) -> ImportPlan:
    """Check every row and return what an import would do, with every problem found."""
    registered = _registered_emails(table, mapping)
    first_row_by_email: dict[str, int] = {}
    ignored_tags: dict[str, None] = {}
    rows = []
    for number, cells in table.rows:
        row = _check_row(number, cells, table.headers, mapping, defaults, ignored_tags)
        if row.email:
            earlier = first_row_by_email.setdefault(row.email, number)
            if earlier != number:
                row.errors.append(f"Email address: the same address as row {earlier}, in any letter case.")
            elif row.email in registered:
                row.already_registered = True
        rows.append(row)
    return ImportPlan(rows=rows, ignored_tags=sorted(ignored_tags)[:50])


def _registered_emails(table: Table, mapping: list[str]) -> set[str]:
    columns = [index for index, target in enumerate(mapping) if target == "email"]
    emails = {clean_cell(cells[index]).lower() for _number, cells in table.rows for index in columns}
    emails.discard("")
    found = set()
    ordered = sorted(emails)
    # In slices, so a large file never sends one enormous IN list to the database.
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for model in (User, EmailAddress):
            lowered = model.objects.annotate(lower=Lower("email")).filter(lower__in=chunk)
            found.update(lowered.values_list("lower", flat=True))
    return found


def _column_label(index: int, headers: list[str]) -> str:
    return f"Column {column_letter(index)} (“{headers[index]}”)"


def _check_row(
    number: int, cells: list[str], headers: list[str], mapping: list[str], defaults: Defaults, ignored_tags: dict
) -> RowResult:
    row = RowResult(number=number)
    values: dict[str, list[tuple[int, str]]] = {}
    for index, target in enumerate(mapping):
        if target and index < len(cells) and cells[index]:
            values.setdefault(target, []).append((index, cells[index]))

    for found in values.values():
        for index, value in found:
            if looks_garbled(value):
                row.errors.append(
                    f"{_column_label(index, headers)}: “{value[:60]}” looks garbled. The file may have "
                    "been saved in one encoding and opened in another; save it again as “CSV UTF-8”."
                )
    if row.errors:
        return row

    def first(target: str) -> str:
        return values.get(target, [(None, "")])[0][1]

    def column_of(target: str) -> str:
        index = values.get(target, [(None, "")])[0][0]
        return _column_label(index, headers) if index is not None else TARGETS_BY_NAME[target].label

    name = first("full_name") or " ".join(part for part in (first("first_name"), first("last_name")) if part)
    row.name = name

    # Lower case, as accounts.models.User stores every address.
    email = first("email").lower()
    row.email = email
    if not email:
        row.errors.append("Email address: missing. Every volunteer needs one, to confirm they want to join.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            row.errors.append(f"{column_of('email')}: “{first('email')}” is not a valid email address.")
    if len(email) > 254:
        row.errors.append("Email address: longer than 254 characters.")

    form_data = {"full_name": name, "postcode": first("postcode")}
    errors_before_skills = len(row.errors)
    skills = _row_skills(values, headers, defaults, row, ignored_tags)
    skill_answers_rejected = len(row.errors) > errors_before_skills
    for area, level in skills.items():
        form_data[skill_field_name(area)] = str(level)

    work_mode = _row_work_mode(values, headers, defaults, row)
    form_data["work_mode"] = work_mode

    radius = first("travel_radius_miles")
    if work_mode in {WorkMode.IN_PERSON, WorkMode.BOTH}:
        form_data["travel_radius_miles"] = parse_whole_number(radius) if radius else str(defaults.travel_radius_miles)
    hours = first("hours_per_week")
    form_data["hours_per_week"] = parse_whole_number(hours) if hours else str(defaults.hours_per_week)
    campaigns = first("max_active_matches")
    form_data["max_active_matches"] = parse_whole_number(campaigns) if campaigns else str(defaults.max_active_matches)
    available_from = defaults.available_from or timezone.localdate()
    form_data["available_from"] = parse_date_text(first("available_from")) or available_from.isoformat()
    form_data["available_until"] = parse_date_text(first("available_until"))
    form_data["bio"] = first("bio")
    links = [link for _index, value in values.get("links", []) for link in re.split(r"[\s,;]+", value) if link]
    form_data["links"] = "\n".join(links)

    is_paused = False
    if "is_paused" in values:
        try:
            is_paused = bool(parse_bool(first("is_paused")))
        except ValueError as error:
            row.errors.append(f"{column_of('is_paused')}: {error}.")

    form = VolunteerProfileFields(data=form_data)
    if not form.is_valid():
        for field_name, messages in form.errors.items():
            # An answer already reported as not a skill explains why no skill was found.
            if field_name.startswith("skill_") and skill_answers_rejected:
                continue
            for message in messages:
                row.errors.append(_form_error(field_name, message, form_data, column_of))
        return row
    if row.errors:
        return row

    row.data = {
        **form.cleaned_data,
        "email": email,
        "is_paused": is_paused,
    }
    return row


def _form_error(field_name: str, message: str, form_data: dict, column_of) -> str:
    if field_name.startswith("skill_"):
        return "Skills: no skill the network uses was found. Map a skills or tags column, or fix the answers."
    target = next((name for name, form_field in FORM_FIELD_TARGETS.items() if form_field == field_name), None)
    if target is None:
        return message
    label = column_of(target)
    value = form_data.get(field_name, "")
    if field_name == "full_name" and not value:
        return "Name: missing. Every volunteer needs a name."
    if not value:
        return f"{label}: missing."
    if field_name in {"postcode", "links", "available_until"}:
        return f"{label}: {message}"
    return f"{label}: {message} The file has “{str(value)[:60]}”."


def _row_skills(values: dict, headers: list[str], defaults: Defaults, row: RowResult, ignored_tags: dict) -> dict:
    skills = {}
    for index, value in values.get("skills", []):
        for answer in split_answers(value):
            area = skill_area_of(answer)
            if area is None:
                row.errors.append(
                    f"{_column_label(index, headers)}: “{answer[:60]}” is not a skill the network uses "
                    "(social media and marketing, data and analytics, engineering, video)."
                )
            else:
                skills[area] = defaults.skill_level
    for _index, value in values.get("tags", []):
        for tag in split_answers(value):
            area = skill_area_of(tag)
            if area is None:
                ignored_tags[tag[:40]] = None
            else:
                skills[area] = defaults.skill_level
    return skills


def _row_work_mode(values: dict, headers: list[str], defaults: Defaults, row: RowResult) -> str:
    if "work_mode" in values:
        index, value = values["work_mode"][0]
        try:
            return parse_work_mode(value)
        except ValueError as error:
            row.errors.append(f"{_column_label(index, headers)}: {error}.")
            return defaults.work_mode

    answers = {}
    for target in ("in_person", "remote"):
        if target in values:
            index, value = values[target][0]
            try:
                answers[target] = parse_bool(value)
            except ValueError as error:
                row.errors.append(f"{_column_label(index, headers)}: {error}.")
    in_person, remote = answers.get("in_person"), answers.get("remote")
    if in_person is None and remote is None:
        return defaults.work_mode
    if in_person and remote:
        return WorkMode.BOTH
    if in_person:
        return WorkMode.IN_PERSON
    if remote:
        return WorkMode.REMOTE
    if in_person is False and remote is False:
        row.errors.append("How they help: the row says neither in person nor remotely.")
    # Only one of the two questions was answered, with no: take the other way of helping.
    return WorkMode.REMOTE if in_person is False else WorkMode.IN_PERSON


# Importing


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int


def import_volunteers(*, table: Table, mapping: list[str], defaults: Defaults, organiser) -> ImportResult:
    """Create a volunteer for every row, or none when any row has a problem.

    Raise ImportBlocked when the rows have problems, or when one of the email
    addresses signed up in the meantime. Each new volunteer is sent an
    invitation to confirm their address once the transaction commits.
    """
    from .tasks import send_import_invitation

    if duplicated_fields(mapping) or missing_fields(mapping):
        raise ImportBlocked("The columns are not matched to fields yet, so nothing was imported.")
    plan = build_plan(table, mapping, defaults)
    if plan.errors:
        raise ImportBlocked(f"{len(plan.errors)} row(s) have problems, so nothing was imported.")
    rows = plan.to_create
    if not rows:
        raise ImportBlocked("Every person in the file already has an account, so there is nobody to import.")

    try:
        with transaction.atomic():
            volunteers = _create_volunteers([row.data for row in rows])
            DataTransfer.objects.create(kind=DataTransfer.Kind.VOLUNTEER_IMPORT, row_count=len(rows), user=organiser)
            for volunteer in volunteers:
                send_import_invitation.delay_on_commit(volunteer.pk)
    except IntegrityError as error:
        raise ImportBlocked(
            "Someone in the file signed up while you were importing, so nothing was imported. Check the preview again."
        ) from error

    logger.info(
        "User %s imported %d volunteers (%d already registered)",
        getattr(organiser, "pk", None),
        len(volunteers),
        len(plan.skipped),
    )
    return ImportResult(created=len(volunteers), skipped=len(plan.skipped))


def _create_volunteers(rows: list[dict]) -> list[Volunteer]:
    """Create the accounts, addresses, profiles, skills and links of every row in a few bulk inserts.

    A file of 5,000 rows would otherwise take some 25,000 single inserts, longer
    than a web request may last.
    """
    now = timezone.now()
    # No password: the volunteer sets one after confirming, through "forgot your password".
    no_password = make_password(None)
    users = User.objects.bulk_create(
        User(email=data["email"], password=no_password, first_name=data["full_name"][:150]) for data in rows
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, primary=True, verified=False) for user in users
    )
    volunteers = Volunteer.objects.bulk_create(
        _volunteer(user, data, now) for user, data in zip(users, rows, strict=True)
    )
    VolunteerSkill.objects.bulk_create(
        VolunteerSkill(volunteer=volunteer, area=area, level=level)
        for volunteer, data in zip(volunteers, rows, strict=True)
        for area, level in data["skills"].items()
    )
    VolunteerLink.objects.bulk_create(
        VolunteerLink(volunteer=volunteer, url=url)
        for volunteer, data in zip(volunteers, rows, strict=True)
        for url in data["links"]
    )
    return volunteers


def _volunteer(user, data: dict, now) -> Volunteer:
    location = data["postcode"]
    return Volunteer(
        user=user,
        full_name=data["full_name"],
        postcode=location.postcode,
        grid=location.grid if location.has_coordinates else "",
        easting=location.easting if location.has_coordinates else None,
        northing=location.northing if location.has_coordinates else None,
        local_authority_code=location.local_authority_code,
        work_mode=data["work_mode"],
        travel_radius_miles=data["travel_radius_miles"],
        hours_per_week=data["hours_per_week"],
        available_from=data["available_from"],
        available_until=data["available_until"],
        bio=data["bio"],
        max_active_matches=data["max_active_matches"],
        is_paused=data["is_paused"],
        imported_at=now,
    )


# Inviting


def send_invitation(volunteer: Volunteer) -> bool:
    """Email an imported volunteer a link that confirms their address, and so their wish to join.

    Return False, sending nothing, when they have already confirmed or their
    details were erased. The link is allauth's own confirmation link, so it
    expires after ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS like any other.
    """
    from allauth.account import app_settings as allauth_settings
    from allauth.account.models import EmailConfirmationHMAC
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse

    if volunteer.user is None or volunteer.anonymised_at:
        return False
    address = EmailAddress.objects.filter(user=volunteer.user, primary=True).first()
    if address is None or address.verified:
        return False

    key = EmailConfirmationHMAC(address).key
    context = {
        "volunteer": volunteer,
        "skills": list(volunteer.skills.all()),
        "confirm_url": settings.SITE_URL + reverse("account_confirm_email", args=[key]),
        "password_url": settings.SITE_URL + reverse("account_reset_password"),
        "privacy_url": settings.SITE_URL + reverse("privacy_notice"),
        "expire_days": allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject="Tech for Labour: please confirm you'd like to join",
        body=render_to_string("emails/volunteer_invitation.txt", context),
        to=[address.email],
    )
    message.attach_alternative(render_to_string("emails/volunteer_invitation.html", context), "text/html")
    message.send()
    logger.info("Invitation sent to imported volunteer %s", volunteer.pk)
    return True
