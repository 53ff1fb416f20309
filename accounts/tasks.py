"""Celery tasks for accounts. They take no personal data as arguments: the broker stores message bodies."""

from celery import shared_task

from .privacy import apply_retention as apply_retention_rules


@shared_task
def apply_retention() -> dict:
    """Erase the volunteers and campaigns past their retention period; return the counts."""
    result = apply_retention_rules()
    return {"volunteers": result.volunteers, "candidates": result.candidates, "failed": result.failed}
