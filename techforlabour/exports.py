"""
CSV exports of volunteers, help requests and matches for organisers.

Every cell that a spreadsheet would read as a formula (one starting with =, +,
-, @, a tab or a carriage return) is prefixed with an apostrophe, so a name
such as "=HYPERLINK(...)" typed into a signup form stays text when the file is
opened. Each export is recorded as a DataTransfer row with the user and the
number of rows, before the file is streamed.
"""

import csv
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from matching.local_authorities import local_authority_name
from matching.models import Match
from volunteers.models import DataTransfer, Volunteer, VolunteerSkill

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched from the database at a time while streaming, so 100,000 volunteers never sit in memory at once.
CHUNK_SIZE = 2_000


def escape_cell(value) -> str:
    """Return the value as text that a spreadsheet shows as typed instead of running it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]


@dataclass(frozen=True)
class Dataset:
    """The columns of one export, the loading of its rows and the kind it is recorded as."""

    kind: str
    filename: str
    columns: tuple[Column, ...]
    prepare: Callable[[QuerySet], QuerySet]


def _date(value):
    return value.isoformat() if value else ""


def _local_datetime(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _skills(volunteer: Volunteer) -> str:
    return "; ".join(f"{skill.get_area_display()} ({skill.get_level_display()})" for skill in volunteer.skills.all())


def _prepare_volunteers(queryset: QuerySet) -> QuerySet:
    verified = EmailAddress.objects.filter(user=OuterRef("user"), verified=True)
    return (
        queryset.filter(anonymised_at__isnull=True)
        .select_related("user")
        # Drop the prefetches the caller's queryset carries, such as the admin list's, so this one applies.
        .prefetch_related(None)
        .prefetch_related(Prefetch("skills", queryset=VolunteerSkill.objects.order_by("area")))
        .annotate(email_verified=Exists(verified))
        .order_by("pk")
    )


# The relationship to the party is special category data held only with consent
# for the volunteer's own record, so no export includes it.
VOLUNTEERS = Dataset(
    kind=DataTransfer.Kind.VOLUNTEER_EXPORT,
    filename="volunteers",
    columns=(
        Column("Volunteer ID", lambda v: v.pk),
        Column("Full name", lambda v: v.full_name),
        Column("Email", lambda v: v.user.email if v.user else ""),
        Column("Email confirmed", lambda v: v.email_verified),
        Column("Postcode", lambda v: v.postcode),
        Column("Council", lambda v: local_authority_name(v.local_authority_code) or v.local_authority_code),
        Column("Skills", _skills),
        Column("How they help", lambda v: v.get_work_mode_display()),
        Column("Travel radius (miles)", lambda v: v.travel_radius_miles),
        Column("Hours a week", lambda v: v.hours_per_week),
        Column("Available from", lambda v: _date(v.available_from)),
        Column("Available until", lambda v: _date(v.available_until)),
        Column("Campaigns at once", lambda v: v.max_active_matches),
        Column("Paused", lambda v: v.is_paused),
        Column("Short bio", lambda v: v.bio),
        Column("Imported", lambda v: _local_datetime(v.imported_at)),
        Column("Signed up", lambda v: _local_datetime(v.created_at)),
    ),
    prepare=_prepare_volunteers,
)


def _prepare_help_requests(queryset: QuerySet) -> QuerySet:
    return (
        queryset.select_related("candidate__election")
        .annotate(waiting_suggestions=Count("matches", filter=Q(matches__status=Match.Status.SUGGESTED)))
        .order_by("pk")
    )


HELP_REQUESTS = Dataset(
    kind=DataTransfer.Kind.HELP_REQUEST_EXPORT,
    filename="help-requests",
    columns=(
        Column("Help request ID", lambda r: r.pk),
        Column("Candidate", lambda r: r.candidate.full_name),
        Column("Council", lambda r: r.candidate.election.council),
        Column("Ward", lambda r: r.candidate.election.ward),
        Column("Polling day", lambda r: _date(r.candidate.election.polling_day)),
        Column("Skill area", lambda r: r.get_skill_area_display()),
        Column("What is needed", lambda r: r.description),
        Column("Hours a week", lambda r: r.estimated_hours),
        Column("Needed by", lambda r: _date(r.needed_by)),
        Column("In person or remote", lambda r: r.get_work_mode_display()),
        Column("Status", lambda r: r.get_status_display()),
        Column("Suggestions waiting", lambda r: r.waiting_suggestions),
        Column("Asked on", lambda r: _local_datetime(r.created_at)),
    ),
    prepare=_prepare_help_requests,
)


def _prepare_matches(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("volunteer", "help_request__candidate__election").order_by("pk")


MATCHES = Dataset(
    kind=DataTransfer.Kind.MATCH_EXPORT,
    filename="matches",
    columns=(
        Column("Match ID", lambda m: m.pk),
        Column("Volunteer ID", lambda m: m.volunteer_id),
        Column("Volunteer", lambda m: m.volunteer.full_name if m.volunteer else "(erased)"),
        Column("Help request ID", lambda m: m.help_request_id),
        Column("Skill area", lambda m: m.help_request.get_skill_area_display()),
        Column("Candidate", lambda m: m.help_request.candidate.full_name),
        Column("Council", lambda m: m.help_request.candidate.election.council),
        Column("Ward", lambda m: m.help_request.candidate.election.ward),
        Column("Polling day", lambda m: _date(m.help_request.candidate.election.polling_day)),
        Column("Status", lambda m: m.get_status_display()),
        Column("Rank", lambda m: m.rank),
        Column("Score", lambda m: f"{m.total_score:.1f}"),
        Column("Distance (miles)", lambda m: "" if m.distance_miles is None else f"{m.distance_miles:.1f}"),
        Column("Decided", lambda m: _local_datetime(m.decided_at)),
        Column("Offered", lambda m: _local_datetime(m.offered_at)),
        Column("Introduced", lambda m: _local_datetime(m.introduced_at)),
        Column("Decline reason", lambda m: m.get_decline_reason_display()),
        Column("Election result", lambda m: m.get_result_display()),
    ),
    prepare=_prepare_matches,
)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer inside a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(dataset: Dataset, rows: Iterable) -> Iterator[str]:
    """Yield the CSV text of the header and each row, every cell escaped."""
    writer = csv.writer(_Echo())
    # A byte-order mark makes Excel read the file as UTF-8, so names such as Siobhán survive.
    yield "\ufeff" + writer.writerow([column.header for column in dataset.columns])
    for row in rows:
        yield writer.writerow([escape_cell(column.value(row)) for column in dataset.columns])


def export_csv(*, dataset: Dataset, queryset: QuerySet, user) -> StreamingHttpResponse:
    """Record the export, then stream the rows of the queryset as a CSV download."""
    rows = dataset.prepare(queryset)
    row_count = rows.count()
    DataTransfer.objects.create(kind=dataset.kind, row_count=row_count, user=user)
    logger.info("User %s exported %d rows of %s", getattr(user, "pk", None), row_count, dataset.filename)

    filename = f"{dataset.filename}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        csv_lines(dataset, rows.iterator(chunk_size=CHUNK_SIZE)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The file contains personal details, so no cache on the way may keep a copy.
    response["Cache-Control"] = "no-store"
    return response
