"""
Recompute suggestions for many help requests in one run.

Used by the `recompute_suggestions` management command (every open request) and
by the beat task that follows volunteers' changes (the requests they can affect).
Each request is refreshed in its own transaction by `services.refresh_suggestions`,
so a long run never holds locks on more than one request's matches, and a
request that fails is logged and skipped while the others carry on.
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from candidates.models import HelpRequest
from volunteers.models import Volunteer, VolunteerSkill

from .models import Match
from .ranking import top_volunteers
from .scoring import MatchingConfig
from .services import refresh_suggestions

logger = logging.getLogger(__name__)

# Requests are loaded this many at a time, so memory does not grow with the number of open requests.
CHUNK_SIZE = 500

# The beat task remembers when it last looked at volunteers under this cache key.
RECENT_VOLUNTEERS_MARK_KEY = "matching:recent-volunteers:checked-at"
# With no mark in the cache (first run, or Redis emptied), look back this far.
# It is twice the beat interval, so one missed run loses no change.
RECENT_VOLUNTEERS_LOOKBACK = timedelta(minutes=10)
# Each run also looks this far behind the mark. A volunteer's updated_at is set in
# Python before their transaction commits, so a save that commits just after a run
# reads the table can carry a time earlier than the mark that run stores.
RECENT_VOLUNTEERS_OVERLAP = timedelta(minutes=1)

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class BatchResult:
    requests: int
    suggestions: int
    failed: int
    seconds: float


def recompute_open_suggestions(
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    config: MatchingConfig | None = None,
) -> BatchResult:
    """Rank every open help request again and keep its top suggestions.

    With `dry_run`, each request is ranked but nothing is written.
    `progress(done, total)` is called after each request.
    """
    request_ids = list(HelpRequest.objects.open().order_by("pk").values_list("pk", flat=True))
    return refresh_requests(request_ids=request_ids, dry_run=dry_run, progress=progress, config=config)


def refresh_requests(
    *,
    request_ids: list[int],
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    config: MatchingConfig | None = None,
) -> BatchResult:
    """Refresh the suggestions of the given requests that are still open, each once, in id order."""
    config = config or MatchingConfig.from_settings()
    request_ids = sorted(set(request_ids))
    total = len(request_ids)
    started = time.perf_counter()
    done = suggestions = failed = 0

    logger.info("Refreshing suggestions for %d help requests (dry run: %s)", total, dry_run)
    for help_request in _open_requests_in_chunks(request_ids):
        try:
            if dry_run:
                suggestions += len(top_volunteers(help_request, limit=config.suggestions_per_request, config=config))
            else:
                suggestions += refresh_suggestions(help_request=help_request, config=config)
        except DatabaseError:
            # Most likely a concurrent refresh of the same request inserted the same
            # suggestion first. Its result is kept, and the next run tries this request again.
            logger.exception("Failed to refresh suggestions for help request %s", help_request.pk)
            failed += 1
        done += 1
        if progress is not None:
            progress(done, total)

    seconds = time.perf_counter() - started
    logger.info(
        "Refreshed %d help requests in %.1f s: %d suggestions kept, %d failed", done, seconds, suggestions, failed
    )
    return BatchResult(requests=done, suggestions=suggestions, failed=failed, seconds=seconds)


def _open_requests_in_chunks(request_ids: list[int]) -> Iterable[HelpRequest]:
    # A request that stopped being open after the ids were read is skipped. The
    # change of status that closed or offered it decides what happens to its suggestions.
    for start in range(0, len(request_ids), CHUNK_SIZE):
        chunk = request_ids[start : start + CHUNK_SIZE]
        yield from HelpRequest.objects.open().filter(pk__in=chunk).select_related("candidate").order_by("pk")


def open_request_ids_for_volunteers(volunteer_ids: list[int]) -> list[int]:
    """Return the open requests whose suggestions these volunteers can change.

    These are the requests in any of their skill areas, which they may now rank
    for, and those they are suggested for now, which they may drop out of (a
    volunteer who removed a skill, paused or was erased).
    """
    if not volunteer_ids:
        return []

    areas = VolunteerSkill.objects.filter(volunteer_id__in=volunteer_ids).values("area")
    suggested_for = Match.objects.suggested().filter(volunteer_id__in=volunteer_ids).values("help_request_id")
    requests = HelpRequest.objects.open().filter(Q(skill_area__in=areas) | Q(pk__in=suggested_for))
    return list(requests.order_by("pk").values_list("pk", flat=True))


def refresh_for_recent_volunteers(*, now: datetime | None = None) -> BatchResult:
    """Refresh the open requests that volunteers changed since the last run can affect.

    The time of each run is kept in the cache as the next run's starting point.
    Refreshing a request twice gives the same suggestions, so looking back too
    far costs time but never changes the result.
    """
    now = now or timezone.now()
    checked_at = cache.get(RECENT_VOLUNTEERS_MARK_KEY)
    since = (checked_at - RECENT_VOLUNTEERS_OVERLAP) if checked_at else (now - RECENT_VOLUNTEERS_LOOKBACK)

    volunteer_ids = list(Volunteer.objects.filter(updated_at__gt=since).values_list("pk", flat=True))
    request_ids = open_request_ids_for_volunteers(volunteer_ids)
    logger.info(
        "%d volunteers changed since %s; refreshing %d open help requests",
        len(volunteer_ids),
        since.isoformat(),
        len(request_ids),
    )
    result = refresh_requests(request_ids=request_ids)

    # Stored only after the work is done: a run that crashes is covered by the next one.
    # No expiry: after a long stop of beat, the next run still starts where the last one ended.
    cache.set(RECENT_VOLUNTEERS_MARK_KEY, now, timeout=None)
    return result
