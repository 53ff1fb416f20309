"""
After polling day: close each ballot's requests still waiting for a volunteer,
withdraw offers nobody answered, and ask introduced campaigns for their result.

Help after polling day is noise, so the beat task runs this every few hours. A
ballot is closed once: `Election.closed_at` is set in the same transaction as
the closing, and ballots with it set are skipped.
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from matching.models import Match, OutgoingEmail
from matching.services import close_help_request, queue_email

from .models import Election, HelpRequest

logger = logging.getLogger(__name__)

# Recorded on the event of each withdrawn offer.
WITHDRAWN_NOTE = "Polling day has passed, so the campaign no longer needs this help. Thank you for offering it."


@dataclass
class ClosingSummary:
    ballots: int = 0
    requests_closed: int = 0
    offers_withdrawn: int = 0
    results_requested: int = 0

    def add(self, other: "ClosingSummary") -> None:
        self.ballots += other.ballots
        self.requests_closed += other.requests_closed
        self.offers_withdrawn += other.offers_withdrawn
        self.results_requested += other.results_requested


def close_ballot(election_id: int, *, today: date | None = None) -> ClosingSummary | None:
    """Close one ballot whose polling day has passed; return None when it is not due or already closed."""
    today = today or timezone.localdate()
    summary = ClosingSummary(ballots=1)
    with transaction.atomic():
        # The row lock keeps two beat runs from closing one ballot at once.
        election = Election.objects.select_for_update().filter(pk=election_id).due_to_close(today).first()
        if election is None:
            return None

        waiting = HelpRequest.objects.waiting().filter(candidate__election=election).order_by("pk")
        for help_request_id in list(waiting.values_list("pk", flat=True)):
            summary.offers_withdrawn += close_help_request(help_request_id=help_request_id, note=WITHDRAWN_NOTE)
            summary.requests_closed += 1

        introduced = Match.objects.filter(
            status=Match.Status.ACCEPTED, help_request__candidate__election=election
        ).order_by("pk")
        for match in introduced:
            if queue_email(match, OutgoingEmail.Kind.RESULT_REQUEST) is not None:
                summary.results_requested += 1

        Election.objects.filter(pk=election.pk).update(closed_at=timezone.now())

    logger.info(
        "Ballot %s closed: %d requests closed, %d offers withdrawn, %d results requested",
        election_id,
        summary.requests_closed,
        summary.offers_withdrawn,
        summary.results_requested,
    )
    return summary


def close_ballots_after_polling_day(*, today: date | None = None) -> ClosingSummary:
    """Close every ballot whose polling day has passed and that is not closed yet."""
    today = today or timezone.localdate()
    total = ClosingSummary()
    for election_id in list(Election.objects.due_to_close(today).order_by("pk").values_list("pk", flat=True)):
        summary = close_ballot(election_id, today=today)
        if summary is not None:
            total.add(summary)
    logger.info("Closed %d ballots after polling day", total.ballots)
    return total
