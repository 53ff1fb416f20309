"""Changes to matches: keeping suggestions fresh, approving and rejecting them."""

import logging

from django.db import transaction
from django.utils import timezone

from candidates.models import HelpRequest
from volunteers.models import Volunteer

from .models import Match, MatchEvent, OutgoingEmail
from .ranking import ranked_volunteers
from .scoring import MatchingConfig

logger = logging.getLogger(__name__)


class MatchingError(Exception):
    """A change to a match that is not allowed; the message is written for organisers."""


def refresh_suggestions(*, help_request: HelpRequest, config: MatchingConfig | None = None) -> int:
    """Replace a request's suggestions with the current top volunteers; return how many are kept.

    Approved and rejected matches are left as they are: only rows still in the
    suggested state are rewritten.
    """
    config = config or MatchingConfig.from_settings()

    if help_request.status != HelpRequest.Status.OPEN:
        deleted, _ = Match.objects.suggested().filter(help_request=help_request).delete()
        logger.info("Cleared %d suggestions for closed help request %s", deleted, help_request.pk)
        return 0

    top = list(ranked_volunteers(help_request, config=config)[: config.suggestions_per_request])

    with transaction.atomic():
        existing = {
            match.volunteer_id: match
            for match in Match.objects.select_for_update().filter(help_request=help_request).suggested()
        }
        kept_ids = set()
        for rank, volunteer in enumerate(top, start=1):
            values = {
                "rank": rank,
                "total_score": volunteer.total_score,
                "skill_score": volunteer.skill_part,
                "distance_score": volunteer.distance_part,
                "availability_score": volunteer.availability_part,
                "capacity_score": volunteer.capacity_part,
                "fairness_score": volunteer.fairness_part,
                "distance_miles": volunteer.distance_miles_value,
            }
            match = existing.get(volunteer.pk)
            if match is None:
                Match.objects.create(volunteer=volunteer, help_request=help_request, **values)
            else:
                Match.objects.filter(pk=match.pk).update(**values, updated_at=timezone.now())
            kept_ids.add(volunteer.pk)

        stale_ids = [match.pk for volunteer_id, match in existing.items() if volunteer_id not in kept_ids]
        Match.objects.filter(pk__in=stale_ids).delete()
        HelpRequest.objects.filter(pk=help_request.pk).update(suggestions_updated_at=timezone.now())

    logger.info("Refreshed suggestions for help request %s: %d kept", help_request.pk, len(top))
    return len(top)


def open_requests_for_volunteer(volunteer: Volunteer):
    """Return the open requests whose suggestions may change when this volunteer changes."""
    areas = list(volunteer.skills.values_list("area", flat=True))
    touched_by_match = HelpRequest.objects.open().filter(matches__volunteer=volunteer)
    in_skill_area = HelpRequest.objects.open().filter(skill_area__in=areas)
    return (touched_by_match | in_skill_area).distinct()


def approve_match(*, match_id: int, organiser) -> Match:
    """Approve a suggested match and queue the two introduction emails after commit.

    Raise MatchingError when the match is no longer a suggestion or the volunteer
    has no free place left.
    """
    from . import tasks

    with transaction.atomic():
        # Lock the volunteer first, then the match: two organisers approving at once
        # for the same volunteer queue behind each other, so the capacity check holds.
        volunteer_id = Match.objects.values_list("volunteer_id", flat=True).get(pk=match_id)
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer_id)
        match = Match.objects.select_for_update().select_related("help_request").get(pk=match_id)

        if match.status != Match.Status.SUGGESTED:
            raise MatchingError(f"Match #{match.pk} is already {match.get_status_display().lower()}.")
        if match.help_request.status != HelpRequest.Status.OPEN:
            raise MatchingError(f"Help request #{match.help_request_id} is no longer open.")

        active = Match.objects.active().filter(volunteer=volunteer).count()
        if active >= volunteer.max_active_matches:
            raise MatchingError(
                f"Volunteer #{volunteer.pk} is already helping {active} campaign(s), their limit. "
                "Choose another suggestion."
            )

        now = timezone.now()
        match.status = Match.Status.APPROVED
        match.decided_by = organiser
        match.decided_at = now
        match.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        MatchEvent.objects.create(match=match, action="match.approved", actor=organiser)

        Volunteer.objects.filter(pk=volunteer.pk).update(last_matched_day=timezone.localdate().toordinal())
        HelpRequest.objects.filter(pk=match.help_request_id).update(status=HelpRequest.Status.MATCHED)
        # The request is met: its other suggestions are no longer needed.
        Match.objects.suggested().filter(help_request_id=match.help_request_id).delete()

        emails = [
            OutgoingEmail.objects.create(match=match, kind=kind)
            for kind in (OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER, OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE)
        ]
        for email in emails:
            tasks.send_outgoing_email.delay_on_commit(email.pk)

    logger.info("Match %s approved by user %s", match.pk, getattr(organiser, "pk", None))
    return match


def reject_match(*, match_id: int, organiser, note: str = "") -> Match:
    """Reject a suggested match, so the volunteer is not suggested to this campaign again."""
    with transaction.atomic():
        match = Match.objects.select_for_update().get(pk=match_id)
        if match.status != Match.Status.SUGGESTED:
            raise MatchingError(f"Match #{match.pk} is already {match.get_status_display().lower()}.")

        match.status = Match.Status.REJECTED
        match.decided_by = organiser
        match.decided_at = timezone.now()
        match.rank = None
        match.save(update_fields=["status", "decided_by", "decided_at", "rank", "updated_at"])
        MatchEvent.objects.create(match=match, action="match.rejected", actor=organiser, note=note[:500])

    logger.info("Match %s rejected by user %s", match.pk, getattr(organiser, "pk", None))
    return match
