"""The audit trail of exports and erasures of a person's data."""

import logging

from .models import PrivacyAuditEntry

logger = logging.getLogger(__name__)

Action = PrivacyAuditEntry.Action
RequestedBy = PrivacyAuditEntry.RequestedBy


def record_privacy_action(
    *, action: str, requested_by: str, actor=None, subject_user_id: int | None, target: str = "", row_count=None
) -> PrivacyAuditEntry:
    """Store who exported or erased whose data, and log it with ids only."""
    entry = PrivacyAuditEntry.objects.create(
        action=action,
        requested_by=requested_by,
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject_user_id=subject_user_id,
        target=target[:200],
        row_count=row_count,
    )
    logger.info(
        "Privacy action %s (%s) on user %s by user %s, %s rows",
        action,
        requested_by,
        subject_user_id,
        getattr(actor, "pk", None),
        row_count,
    )
    return entry
