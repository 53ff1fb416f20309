"""Changes to matches: keeping suggestions fresh, offers and the replies to them, introductions and outcomes."""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Consent
from candidates.models import HelpRequest
from volunteers.models import Volunteer

from . import lifecycle
from .lifecycle import InvalidTransition, MatchingError
from .models import Match, OutgoingEmail
from .ranking import top_volunteers
from .scoring import MatchingConfig

logger = logging.getLogger(__name__)

__all__ = ["InvalidTransition", "MatchingError"]

MAX_SHORTLIST = 3
Status = Match.Status


def refresh_suggestions(*, help_request: HelpRequest, config: MatchingConfig | None = None) -> int:
    """Replace an open request's suggestions with the current top volunteers; return how many are kept.

    Only rows still in the suggested state are rewritten. A request that is not
    open keeps what it has, so the organisers' next choice is ready if an offer
    is declined; a closed request loses its suggestions.
    """
    config = config or MatchingConfig.from_settings()

    if help_request.status == HelpRequest.Status.CLOSED:
        deleted, _ = Match.objects.suggested().filter(help_request=help_request).delete()
        logger.info("Cleared %d suggestions for closed help request %s", deleted, help_request.pk)
        return 0
    if help_request.status != HelpRequest.Status.OPEN:
        return Match.objects.suggested().filter(help_request=help_request).count()

    top = top_volunteers(help_request, limit=config.suggestions_per_request, config=config)

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


def queue_email(match: Match, kind: str) -> OutgoingEmail | None:
    """Write an email to the outbox, once per match and kind, and send it after commit.

    Return None when that email was already written: scheduled emails call this
    every time they run, and the unique constraint keeps each to one.
    """
    from . import tasks

    email, created = OutgoingEmail.objects.get_or_create(match=match, kind=kind)
    if not created:
        return None
    transaction.on_commit(partial(tasks.enqueue_email, email.pk))
    return email


def _lock_match(match_id: int) -> tuple[Match, Volunteer | None]:
    """Lock the volunteer, then the match, always in that order so that two approvals cannot deadlock."""
    volunteer_id = Match.objects.values_list("volunteer_id", flat=True).get(pk=match_id)
    volunteer = Volunteer.objects.select_for_update().filter(pk=volunteer_id).first()
    match = Match.objects.select_for_update().select_related("help_request").get(pk=match_id)
    return match, volunteer


def _check_capacity(volunteer: Volunteer | None) -> None:
    if volunteer is None:
        raise MatchingError("This volunteer's details have been erased.")
    if volunteer.is_paused:
        raise MatchingError(f"Volunteer #{volunteer.pk} has paused, so they cannot be offered work now.")
    active = Match.objects.active().filter(volunteer=volunteer).count()
    if active >= volunteer.max_active_matches:
        raise MatchingError(
            f"Volunteer #{volunteer.pk} is already helping {active} campaign(s), their limit. "
            "Choose another suggestion."
        )


def _send_offer(match: Match, volunteer: Volunteer, *, actor) -> Match:
    """Offer the work to the volunteer; the caller holds the locks."""
    now = timezone.now()
    # Before the move, so that its rewrite of the volunteer's ranking rows copies the new day.
    Volunteer.objects.filter(pk=volunteer.pk).update(last_matched_day=timezone.localdate().toordinal())
    lifecycle.move(
        match,
        Status.APPROVED,
        actor=actor,
        decided_by=actor,
        decided_at=now,
        offered_at=now,
        offer_expires_at=now + timedelta(days=settings.OFFER_ANSWER_DAYS),
        shortlist_position=None,
    )
    HelpRequest.objects.filter(pk=match.help_request_id).update(status=HelpRequest.Status.OFFERED)
    queue_email(match, OutgoingEmail.Kind.OFFER)
    return match


def approve_match(*, match_id: int, organiser) -> Match:
    """Approve a suggestion: the volunteer is sent an offer, without anyone's contact details.

    Raise MatchingError when the match is no longer a suggestion, the request is
    not open, or the volunteer has no free place left.
    """
    with transaction.atomic():
        match, volunteer = _lock_match(match_id)
        # Lock the request last, after the volunteer and the match, so a request being closed
        # at this moment either rejects this approval or finds its offer and withdraws it.
        match.help_request = HelpRequest.objects.select_for_update().get(pk=match.help_request_id)
        if match.status not in {Status.SUGGESTED, Status.SHORTLISTED}:
            raise MatchingError(
                f"Match #{match.pk} is no longer a suggestion: its status is “{match.get_status_display()}”."
            )
        if match.help_request.status != HelpRequest.Status.OPEN:
            raise MatchingError(
                f"Help request #{match.help_request_id} is {match.help_request.get_status_display().lower()}, "
                "so no new offer can be sent."
            )
        _check_capacity(volunteer)
        _send_offer(match, volunteer, actor=organiser)

    logger.info("Match %s approved by user %s; offer queued", match.pk, getattr(organiser, "pk", None))
    return match


def approve_shortlist(*, match_ids: list[int], organiser) -> Match:
    """Offer the work to the first volunteer and keep up to two more, in order, in case the first declines."""
    if not 1 <= len(match_ids) <= MAX_SHORTLIST:
        raise MatchingError(f"Choose from 1 to {MAX_SHORTLIST} suggestions for a shortlist.")

    with transaction.atomic():
        matches = list(Match.objects.filter(pk__in=match_ids).select_related("help_request"))
        if len({match.help_request_id for match in matches}) != 1:
            raise MatchingError("A shortlist must be for one help request. Choose suggestions for the same request.")
        by_id = {match.pk: match for match in matches}
        first = approve_match(match_id=match_ids[0], organiser=organiser)
        for position, match_id in enumerate(match_ids[1:], start=2):
            lifecycle.move(by_id[match_id], Status.SHORTLISTED, actor=organiser, shortlist_position=position)
    logger.info("Shortlist of %d approved for help request %s", len(match_ids), first.help_request_id)
    return first


def reject_match(*, match_id: int, organiser, note: str = "") -> Match:
    """Reject a suggestion, so the volunteer is not suggested to this campaign again."""
    with transaction.atomic():
        match = Match.objects.select_for_update().get(pk=match_id)
        lifecycle.move(
            match,
            Status.REJECTED,
            actor=organiser,
            note=note,
            decided_by=organiser,
            decided_at=timezone.now(),
            rank=None,
        )
    logger.info("Match %s rejected by user %s", match.pk, getattr(organiser, "pk", None))
    return match


def accept_offer(*, match_id: int, actor=None) -> Match:
    """Accept an offer for the volunteer and introduce both sides with each other's contact details.

    The acceptance is recorded as the volunteer's consent to share their details
    with this campaign alone.
    """
    with transaction.atomic():
        match, volunteer = _lock_match(match_id)
        now = timezone.now()
        lifecycle.move(match, Status.ACCEPTED, actor=actor, answered_at=now, introduced_at=now)
        HelpRequest.objects.filter(pk=match.help_request_id).update(status=HelpRequest.Status.MATCHED)

        for waiting in Match.objects.shortlisted().filter(help_request_id=match.help_request_id):
            lifecycle.move(waiting, Status.CANCELLED, note="Another volunteer accepted the offer.")
        Match.objects.suggested().filter(help_request_id=match.help_request_id).delete()

        if volunteer is not None and volunteer.user_id:
            Consent.objects.create(
                user_id=volunteer.user_id,
                purpose=Consent.Purpose.SHARE_WITH_CAMPAIGN,
                notice_version=settings.PRIVACY_NOTICE_VERSION,
                method=Consent.Method.OFFER_LINK,
                match=match,
            )
        queue_email(match, OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER)
        queue_email(match, OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE)

    logger.info("Match %s accepted; introductions queued", match.pk)
    return match


def decline_offer(*, match_id: int, reason: str = "", actor=None) -> Match:
    """Decline an offer for the volunteer, then offer the work to the next on the shortlist or reopen the request."""
    if reason and reason not in Match.DeclineReason.values:
        raise MatchingError("Choose one of the reasons given, or none.")
    with transaction.atomic():
        match, _ = _lock_match(match_id)
        lifecycle.move(match, Status.DECLINED, actor=actor, answered_at=timezone.now(), decline_reason=reason)
        _offer_to_next(match.help_request)
    logger.info("Match %s declined", match.pk)
    return match


def lapse_offer(*, match_id: int) -> Match:
    """Lapse an offer that was not accepted or declined in time, as if it were declined without a reason."""
    with transaction.atomic():
        match, _ = _lock_match(match_id)
        if match.offer_expires_at is None or match.offer_expires_at > timezone.now():
            raise MatchingError(f"The offer of match #{match.pk} has not expired yet.")
        lifecycle.move(match, Status.LAPSED, note="No answer before the offer expired.")
        _offer_to_next(match.help_request)
    logger.info("Offer of match %s lapsed", match.pk)
    return match


def _offer_to_next(help_request: HelpRequest) -> Match | None:
    """Offer the work to the next shortlisted volunteer who is free, or reopen the request."""
    for candidate_match in Match.objects.shortlisted().filter(help_request=help_request):
        _, volunteer = _lock_match(candidate_match.pk)
        candidate_match.refresh_from_db()
        try:
            _check_capacity(volunteer)
        except MatchingError:
            lifecycle.move(candidate_match, Status.CANCELLED, note="No free place when their turn came.")
            continue
        logger.info("Offering help request %s to the next on its shortlist", help_request.pk)
        return _send_offer(candidate_match, volunteer, actor=None)

    from . import tasks

    HelpRequest.objects.filter(pk=help_request.pk).update(status=HelpRequest.Status.OPEN)
    tasks.refresh_suggestions_for_request.delay_on_commit(help_request.pk)
    logger.info("Help request %s is back in the organisers' queue", help_request.pk)
    return None


def mark_not_a_fit(*, match_id: int, note: str = "", actor=None) -> Match:
    """Cancel an introduction the campaign reports is not a fit, and put the request back in the queue."""
    with transaction.atomic():
        match, _ = _lock_match(match_id)
        lifecycle.move(match, Status.CANCELLED, actor=actor, note=note or "The campaign said it was not a fit.")
        HelpRequest.objects.filter(pk=match.help_request_id).update(status=HelpRequest.Status.OPEN)
        from . import tasks

        tasks.refresh_suggestions_for_request.delay_on_commit(match.help_request_id)
    logger.info("Match %s cancelled as not a fit", match.pk)
    return match


def record_result(*, match_id: int, result: str, feedback: str = "", actor=None) -> Match:
    """Record the election result and the campaign's feedback; an introduced match is then completed."""
    if result not in Match.Result.values:
        raise MatchingError("Choose won or lost.")
    with transaction.atomic():
        match = Match.objects.select_for_update().get(pk=match_id)
        if match.status not in {Status.ACCEPTED, Status.COMPLETED}:
            raise MatchingError(f"Match #{match.pk} is {match.get_status_display().lower()}, so it has no result.")
        if match.status == Status.ACCEPTED:
            lifecycle.move(match, Status.COMPLETED, actor=actor, result=result, feedback=feedback[:2000])
        else:
            Match.objects.filter(pk=match.pk).update(result=result, feedback=feedback[:2000])
    logger.info("Result recorded for match %s", match.pk)
    return match


def close_help_request(*, help_request_id: int, note: str) -> int:
    """Close a request that no longer needs a volunteer, such as after polling day; return offers withdrawn.

    The request is closed first, in its own transaction, so an approval that
    starts afterwards is rejected. Then every unanswered offer and the shortlist
    behind it are cancelled with `note`, including an offer made by an approval
    that held the request's lock while it was being closed. A request already
    matched or closed is left as it is.
    """
    with transaction.atomic():
        closed = HelpRequest.objects.filter(
            pk=help_request_id, status__in=[HelpRequest.Status.OPEN, HelpRequest.Status.OFFERED]
        ).update(status=HelpRequest.Status.CLOSED, updated_at=timezone.now())

    withdrawn = 0
    with transaction.atomic():
        # Volunteer, then match: the order approve_match takes its locks in.
        live = Match.objects.filter(
            help_request_id=help_request_id, status__in=[Status.APPROVED, Status.SHORTLISTED]
        ).order_by("pk")
        for match_id in list(live.values_list("pk", flat=True)):
            match, _ = _lock_match(match_id)
            if match.status not in {Status.APPROVED, Status.SHORTLISTED}:
                continue
            was_offer = match.status == Status.APPROVED
            lifecycle.move(match, Status.CANCELLED, note=note)
            if was_offer:
                queue_email(match, OutgoingEmail.Kind.OFFER_WITHDRAWN)
                withdrawn += 1
        Match.objects.suggested().filter(help_request_id=help_request_id).delete()
    logger.info("Help request %s closed=%s; %d offers withdrawn", help_request_id, bool(closed), withdrawn)
    return withdrawn
