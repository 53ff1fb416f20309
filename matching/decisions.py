"""
What a bulk decision on suggestions would do, worked out before an organiser confirms it.

The admin shows these plans on its confirmation page. They repeat the checks of
`matching.services` (status, open request, the volunteer's free places) without
changing anything. The services check again when the organiser confirms, so a
match that changed in between is reported then instead of approved by mistake.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from candidates.models import HelpRequest

from . import lifecycle
from .models import Match
from .services import MAX_SHORTLIST

Status = Match.Status


@dataclass(frozen=True)
class PlannedStep:
    match_id: int
    description: str
    will_happen: bool


def _with_context(matches: QuerySet) -> list[Match]:
    return list(
        matches.select_related("volunteer", "help_request__candidate__election")
        .annotate(
            volunteer_active=Count(
                "volunteer__matches", filter=Q(volunteer__matches__status__in=Match.ACTIVE_STATUSES), distinct=True
            )
        )
        .order_by("help_request_id", "rank", "id")
    )


def _label(match: Match) -> str:
    election = match.help_request.candidate.election
    volunteer = match.volunteer.full_name if match.volunteer else "an erased volunteer"
    return (
        f"Match #{match.pk}: {volunteer} for {match.help_request.get_skill_area_display().lower()} "
        f"in {election.ward}, {election.council}"
    )


def _approval_problem(match: Match) -> str:
    """Return why approving this match would fail, or an empty string."""
    if not lifecycle.can_move(match.status, Status.APPROVED):
        return f"cannot be approved: it is {match.get_status_display().lower()}"
    if match.help_request.status != HelpRequest.Status.OPEN:
        return f"cannot be approved: the request is {match.help_request.get_status_display().lower()}"
    volunteer = match.volunteer
    if volunteer is None:
        return "cannot be approved: the volunteer's details have been erased"
    if volunteer.is_paused:
        return "cannot be approved: the volunteer has paused"
    if match.volunteer_active >= volunteer.max_active_matches:
        return f"cannot be approved: the volunteer is already helping {match.volunteer_active} campaign(s), their limit"
    return ""


def plan_approvals(matches: QuerySet) -> list[PlannedStep]:
    """Describe, for each match, the offer an approval would send or why it would not."""
    steps = []
    offered_requests = set()
    for match in _with_context(matches):
        problem = _approval_problem(match)
        if not problem and match.help_request_id in offered_requests:
            problem = "cannot be approved: another selected suggestion for the same request is offered first"
        if problem:
            steps.append(PlannedStep(match.pk, f"{_label(match)} {problem}.", False))
            continue
        offered_requests.add(match.help_request_id)
        steps.append(PlannedStep(match.pk, f"{_label(match)}: the volunteer is sent an offer by email.", True))
    return steps


def plan_rejections(matches: QuerySet) -> list[PlannedStep]:
    """Describe, for each match, whether a rejection would go through."""
    steps = []
    for match in _with_context(matches):
        if lifecycle.can_move(match.status, Status.REJECTED):
            text = f"{_label(match)}: rejected, and not suggested to this campaign again."
            steps.append(PlannedStep(match.pk, text, True))
        else:
            text = f"{_label(match)} cannot be rejected: it is {match.get_status_display().lower()}."
            steps.append(PlannedStep(match.pk, text, False))
    return steps


def plan_shortlist(matches: QuerySet) -> tuple[list[PlannedStep], str]:
    """Describe a shortlist of the selected matches, best ranked first, and any reason it cannot be made.

    The second value is empty when the shortlist can be made.
    """
    ordered = _with_context(matches)
    if not 1 <= len(ordered) <= MAX_SHORTLIST:
        return [], f"Choose from 1 to {MAX_SHORTLIST} suggestions for a shortlist; you chose {len(ordered)}."
    if len({match.help_request_id for match in ordered}) != 1:
        return [], "A shortlist must be for one help request. Choose suggestions for the same request."

    ordered.sort(key=lambda match: (match.rank is None, match.rank or 0, match.pk))
    first, rest = ordered[0], ordered[1:]
    problem = _approval_problem(first)
    if problem:
        return [PlannedStep(first.pk, f"{_label(first)} {problem}.", False)], f"Match #{first.pk} {problem}."

    steps = [PlannedStep(first.pk, f"{_label(first)}: offered first, by email.", True)]
    for position, match in enumerate(rest, start=2):
        if not lifecycle.can_move(match.status, Status.SHORTLISTED):
            reason = f"Match #{match.pk} cannot be shortlisted: it is {match.get_status_display().lower()}."
            return [*steps, PlannedStep(match.pk, reason, False)], reason
        text = f"{_label(match)}: number {position} on the shortlist, offered if those before say no."
        steps.append(PlannedStep(match.pk, text, True))
    return steps, ""
