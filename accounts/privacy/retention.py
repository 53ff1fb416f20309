"""
Retention: personal data is kept only as long as the network needs it.

- A volunteer with no sign-in, profile change or answer to an offer for
  RETENTION_VOLUNTEER_INACTIVE_MONTHS is erased.
- A campaign's personal data is erased RETENTION_CANDIDATE_MONTHS_AFTER_POLLING_DAY
  months after its polling day.

Erased means the same as when the person deletes their account (see
erasure.py). When the account also serves a role that has not expired (a
volunteer who later stood as a candidate, or a member of staff), only the
expired profile is anonymised and the account stays.
"""

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..audit import Action, RequestedBy, record_privacy_action
from .erasure import anonymise_candidate, anonymise_volunteer, erase_person

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionResult:
    volunteers: int
    candidates: int
    failed: int


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same day and time `months` calendar months earlier, or that month's last day if it is shorter."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def inactive_volunteers(*, now: datetime):
    """Volunteers not yet anonymised whose sign-in, profile changes and answers to offers all predate the cutoff."""
    from matching.models import Match
    from volunteers.models import Volunteer

    cutoff = months_before(now, settings.RETENTION_VOLUNTEER_INACTIVE_MONTHS)
    recent_answer = Match.objects.filter(volunteer=OuterRef("pk"), answered_at__gte=cutoff)
    account_inactive = Q(user__isnull=True) | (
        Q(user__date_joined__lt=cutoff) & (Q(user__last_login__isnull=True) | Q(user__last_login__lt=cutoff))
    )
    return (
        Volunteer.objects.filter(anonymised_at__isnull=True, created_at__lt=cutoff, updated_at__lt=cutoff)
        .filter(account_inactive)
        .exclude(Exists(recent_answer))
        .select_related("user")
    )


def expired_candidates(*, now: datetime):
    """Campaigns not yet anonymised whose polling day was at least the retention period ago."""
    from candidates.models import Candidate

    cutoff = months_before(now, settings.RETENTION_CANDIDATE_MONTHS_AFTER_POLLING_DAY)
    return Candidate.objects.filter(
        anonymised_at__isnull=True, election__polling_day__lte=timezone.localdate(cutoff)
    ).select_related("user", "election")


def apply_retention(*, now: datetime | None = None) -> RetentionResult:
    """Erase every volunteer and campaign past its retention period; log and return counts only.

    Each person is erased in a transaction of their own, so one failure is
    logged and skipped while the others carry on.
    """
    now = now or timezone.now()
    volunteers = candidates = failed = 0

    for volunteer_id in list(inactive_volunteers(now=now).values_list("pk", flat=True)):
        try:
            _expire_volunteer(volunteer_id, now=now)
            volunteers += 1
        except Exception:
            failed += 1
            logger.exception("Retention could not anonymise volunteer %s", volunteer_id)

    for candidate_id in list(expired_candidates(now=now).values_list("pk", flat=True)):
        try:
            _expire_candidate(candidate_id, now=now)
            candidates += 1
        except Exception:
            failed += 1
            logger.exception("Retention could not anonymise candidate %s", candidate_id)

    logger.info("Retention anonymised %d volunteers and %d campaigns; %d failed", volunteers, candidates, failed)
    return RetentionResult(volunteers=volunteers, candidates=candidates, failed=failed)


def _keeps_account(user, *, now: datetime, expiring: str) -> bool:
    """True when the account still serves a role that has not expired, so only one profile goes."""
    if user.is_staff or user.is_superuser:
        return True
    if expiring == "volunteer":
        other = getattr(user, "candidate", None)
        return (
            other is not None
            and other.anonymised_at is None
            and not expired_candidates(now=now).filter(pk=other.pk).exists()
        )
    other = getattr(user, "volunteer", None)
    return (
        other is not None
        and other.anonymised_at is None
        and not inactive_volunteers(now=now).filter(pk=other.pk).exists()
    )


def _expire_volunteer(volunteer_id: int, *, now: datetime) -> None:
    from volunteers.models import Volunteer

    with transaction.atomic():
        # of=("self",): PostgreSQL cannot lock the empty side of the outer join to a missing account.
        volunteer = Volunteer.objects.select_for_update(of=("self",)).select_related("user").get(pk=volunteer_id)
        if volunteer.anonymised_at is not None:
            return
        user = volunteer.user
        if user is not None and not _keeps_account(user, now=now, expiring="volunteer"):
            erase_person(user=user, requested_by=RequestedBy.SCHEDULE)
            return
        anonymise_volunteer(volunteer)
        record_privacy_action(
            action=Action.RETENTION,
            requested_by=RequestedBy.SCHEDULE,
            subject_user_id=getattr(user, "pk", None),
            target=f"Volunteer #{volunteer.pk}",
            row_count=1,
        )


def _expire_candidate(candidate_id: int, *, now: datetime) -> None:
    from candidates.models import Candidate

    with transaction.atomic():
        candidate = (
            Candidate.objects.select_for_update(of=("self",)).select_related("user", "election").get(pk=candidate_id)
        )
        if candidate.anonymised_at is not None:
            return
        user = candidate.user
        if user is not None and not _keeps_account(user, now=now, expiring="candidate"):
            erase_person(user=user, requested_by=RequestedBy.SCHEDULE)
            return
        anonymise_candidate(candidate)
        record_privacy_action(
            action=Action.RETENTION,
            requested_by=RequestedBy.SCHEDULE,
            subject_user_id=getattr(user, "pk", None),
            target=f"Candidate #{candidate.pk}",
            row_count=1,
        )
