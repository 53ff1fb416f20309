"""
Keep the ranking rows (`matching.models.RankingRow`) in step with the details they copy.

A volunteer's rows are rewritten from their current details whenever a change
could move their place in a ranking: their own record, their skills, their email
addresses or the status of their matches. Receivers in `matching.receivers` do
this for every save and delete; code that writes with `update()` or
`bulk_create()`, which send no signals, calls `rebuild_for_volunteers` itself.

Ranking checks the rows of the volunteers it returns against their records and
rebuilds any that fell behind, and `rebuild_ranking_rows` rewrites them all.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Count

from volunteers.models import Volunteer, VolunteerSkill

from .models import Match, RankingRow

logger = logging.getLogger(__name__)

# Volunteers rebuilt per round of queries: small enough for SQLite's limit on query parameters.
CHUNK_SIZE = 500

# The volunteer's own fields that rows copy, under the same names.
COPIED_FIELDS = (
    "work_mode",
    "easting",
    "northing",
    "travel_radius_miles",
    "hours_per_week",
    "available_from",
    "available_until",
    "max_active_matches",
    "last_matched_day",
)


def rebuild_for_volunteers(volunteer_ids: Iterable[int | None]) -> int:
    """Rewrite the ranking rows of these volunteers from their current details; return the rows written."""
    ids = sorted({volunteer_id for volunteer_id in volunteer_ids if volunteer_id is not None})
    written = 0
    for start in range(0, len(ids), CHUNK_SIZE):
        written += _rebuild_chunk(ids[start : start + CHUNK_SIZE])
    return written


def rebuild_now_and_after_commit(volunteer_ids: Iterable[int | None]) -> None:
    """Rewrite these volunteers' rows now, and again once the current transaction commits.

    The first rewrite serves reads later in this transaction. Another transaction
    may change the same volunteer at the same time, and neither rewrite can read the
    other's uncommitted change. The second rewrite reads only committed data, so
    whichever transaction commits last leaves rows that include both changes.
    """
    ids = [volunteer_id for volunteer_id in volunteer_ids if volunteer_id is not None]
    rebuild_for_volunteers(ids)

    # Outside a transaction the change is already committed, and on_commit would run at once.
    if transaction.get_connection().in_atomic_block:
        # robust: a failure after the commit is logged by Django and leaves the saved change alone.
        transaction.on_commit(partial(rebuild_for_volunteers, ids), robust=True)


def rebuild_all(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Rewrite every ranking row, for volunteers who may be suggested; return the rows written."""
    volunteer_ids = list(Volunteer.objects.order_by("pk").values_list("pk", flat=True))
    total = len(volunteer_ids)
    written = 0
    logger.info("Rebuilding ranking rows for %d volunteers", total)
    with transaction.atomic():
        # Rows of volunteers deleted without signals (a raw SQL delete, say) go too.
        RankingRow.objects.exclude(volunteer_id__in=Volunteer.objects.values("pk")).delete()
        for start in range(0, total, CHUNK_SIZE):
            written += _rebuild_chunk(volunteer_ids[start : start + CHUNK_SIZE])
            if progress is not None:
                progress(min(start + CHUNK_SIZE, total), total)
    logger.info("Rebuilt ranking rows: %d rows for %d volunteers", written, total)
    return written


def remove_rows_without_skill(volunteer_id: int) -> None:
    """Drop the rows whose skill the volunteer no longer has, without reading the volunteer.

    Deleting a volunteer deletes their skills first, so this must not write rows.
    It compares with the skills stored, not with the deleted skill's area, which
    an admin form may have changed in memory before deleting the skill.
    """
    remaining_areas = VolunteerSkill.objects.filter(volunteer_id=volunteer_id).values("area")
    RankingRow.objects.filter(volunteer_id=volunteer_id).exclude(area__in=remaining_areas).delete()


def rows_for(volunteer_ids: list[int]) -> list[RankingRow]:
    """Build, without saving, the rows these volunteers should have now."""
    volunteers = list(Volunteer.objects.matchable().filter(pk__in=volunteer_ids).values("pk", *COPIED_FIELDS))
    matchable_ids = [volunteer["pk"] for volunteer in volunteers]
    skills_by_volunteer: dict[int, list[tuple[str, int]]] = {}
    for volunteer_id, area, level in VolunteerSkill.objects.filter(volunteer_id__in=matchable_ids).values_list(
        "volunteer_id", "area", "level"
    ):
        skills_by_volunteer.setdefault(volunteer_id, []).append((area, level))
    active_matches = Counter(
        dict(
            Match.objects.active()
            .filter(volunteer_id__in=matchable_ids)
            .values_list("volunteer_id")
            .annotate(count=Count("pk"))
            .order_by()
        )
    )

    rows = []
    for volunteer in volunteers:
        copied = {name: volunteer[name] for name in COPIED_FIELDS}
        for area, level in skills_by_volunteer.get(volunteer["pk"], []):
            rows.append(
                RankingRow(
                    volunteer_id=volunteer["pk"],
                    area=area,
                    level=level,
                    active_matches=active_matches[volunteer["pk"]],
                    **copied,
                )
            )
    return rows


def _rebuild_chunk(volunteer_ids: list[int]) -> int:
    # Two transactions rebuilding the same volunteer may insert the same new rows, and
    # the second insert then fails on the unique constraint. The first has committed
    # by then, so a second try deletes its rows and writes current ones.
    try:
        return _replace_rows(volunteer_ids)
    except IntegrityError:
        logger.warning("Ranking rows of %d volunteers changed during a rebuild; trying again", len(volunteer_ids))
        return _replace_rows(volunteer_ids)


def _replace_rows(volunteer_ids: list[int]) -> int:
    # A savepoint of its own, so a failed insert leaves the caller's transaction usable.
    with transaction.atomic():
        RankingRow.objects.filter(volunteer_id__in=volunteer_ids).delete()
        return len(RankingRow.objects.bulk_create(rows_for(volunteer_ids)))
