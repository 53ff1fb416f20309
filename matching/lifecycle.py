"""
The states of a match and the only code that moves a match between them.

    suggested ──> shortlisted ──> approved (offer sent) ──> accepted (introduced) ──> completed
        │              │               │                         │
        └─> rejected   └─> rejected    ├─> declined              ├─> cancelled (not a fit)
                                       ├─> lapsed                └─> withdrawn
                                       ├─> withdrawn
                                       └─> cancelled

Every change is a conditional UPDATE from the status the caller saw, so when two
people act on one match at once (two organisers approving, or a volunteer
accepting while the offer lapses) exactly one change wins and the other gets
InvalidTransition. Each change writes a MatchEvent with who, when and why.
"""

from django.db import transaction
from django.utils import timezone

from . import ranking_rows
from .models import Match, MatchEvent

Status = Match.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.SUGGESTED: {Status.SHORTLISTED, Status.APPROVED, Status.REJECTED},
    Status.SHORTLISTED: {Status.APPROVED, Status.REJECTED, Status.CANCELLED},
    Status.APPROVED: {Status.ACCEPTED, Status.DECLINED, Status.LAPSED, Status.WITHDRAWN, Status.CANCELLED},
    Status.ACCEPTED: {Status.COMPLETED, Status.CANCELLED, Status.WITHDRAWN},
}

EVENT_ACTIONS = {
    Status.SHORTLISTED: "match.shortlisted",
    Status.APPROVED: "match.approved",
    Status.REJECTED: "match.rejected",
    Status.ACCEPTED: "match.accepted",
    Status.DECLINED: "match.declined",
    Status.LAPSED: "match.lapsed",
    Status.WITHDRAWN: "match.withdrawn",
    Status.CANCELLED: "match.cancelled",
    Status.COMPLETED: "match.completed",
}


class MatchingError(Exception):
    """A change to a match that is not allowed; the message is written for the person who asked."""


class InvalidTransition(MatchingError):
    def __init__(self, message: str, *, current_status: str):
        super().__init__(message)
        self.current_status = current_status


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, set())


def move(match: Match, to_status: str, *, actor=None, note: str = "", **fields) -> Match:
    """Move a match from the status it had when loaded to `to_status`, and record the event.

    Raise InvalidTransition when the change is not allowed, or when someone else
    changed the match after it was loaded.
    """
    from_status = match.status
    if not can_move(from_status, to_status):
        raise InvalidTransition(
            f"Match #{match.pk} is {Status(from_status).label.lower()}, so it cannot become "
            f"{Status(to_status).label.lower()}.",
            current_status=from_status,
        )

    now = timezone.now()
    with transaction.atomic():
        updated = Match.objects.filter(pk=match.pk, status=from_status).update(
            status=to_status, updated_at=now, **fields
        )
        if updated != 1:
            current = Match.objects.filter(pk=match.pk).values_list("status", flat=True).first() or ""
            raise InvalidTransition(
                f"Match #{match.pk} changed while you were looking at it: it is now "
                f"{Status(current).label.lower() if current else 'deleted'}.",
                current_status=current,
            )
        MatchEvent.objects.create(match_id=match.pk, action=EVENT_ACTIONS[to_status], actor=actor, note=note[:500])
        if (from_status in Match.ACTIVE_STATUSES) != (to_status in Match.ACTIVE_STATUSES):
            # The volunteer took up or gave back a place, which ranking reads from their rows.
            ranking_rows.rebuild_for_volunteers([match.volunteer_id])

    match.status = to_status
    match.updated_at = now
    for name, value in fields.items():
        setattr(match, name, value)
    return match
