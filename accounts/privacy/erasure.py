"""
Erasure of a person's personal data, by their own request, an organiser's, or
the retention schedule.

The account row goes, and with it (by cascade) its email addresses, two-factor
authenticators and session records. The volunteer and campaign rows stay,
anonymised, so that matches keep counting: the name, contact details, postcode,
map position, bio, links, phone and relationship to the party are blanked, and
only what identifies nobody is kept (skills, council area, dates and outcomes).
Consent rows stay with their person removed, as evidence of how consent was
collected. Emails not yet sent to or about the person are cancelled, and admin
log entries about them are rewritten without names or addresses.
"""

import json
import logging
import re
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..audit import Action, RequestedBy, record_privacy_action
from ..models import Consent, User
from ..sessions import end_sessions, end_untracked_sessions

logger = logging.getLogger(__name__)

ERASED = "[erased]"


class ErasureRefused(Exception):
    """An account that cannot be erased this way. The message explains why and what to do next."""


@dataclass(frozen=True)
class ErasureResult:
    user_id: int
    volunteer_id: int | None
    candidate_id: int | None
    cancelled_emails: int
    scrubbed_log_entries: int
    ended_sessions: int


def erase_person(*, user, actor=None, requested_by: str | None = None) -> ErasureResult:
    """Erase everything that identifies this person, keeping anonymised rows for the network's counts.

    `requested_by` defaults to the organiser when `actor` is someone else, and
    to the person otherwise. Raise ErasureRefused for staff and superusers:
    their accounts sign admin log entries, which Django deletes with the
    account, so an administrator must first remove their staff status.
    """
    if requested_by is None:
        acted_for_someone = actor is not None and getattr(actor, "pk", None) != user.pk
        requested_by = RequestedBy.ORGANISER if acted_for_someone else RequestedBy.PERSON

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_staff or user.is_superuser:
            raise ErasureRefused(
                f"User #{user.pk} is staff. Remove their staff and superuser status first, then erase the account."
            )
        user_id = user.pk
        emails = _addresses_of(user)

        volunteer = _volunteer_of(user)
        candidate = _candidate_of(user)
        log_targets = _log_targets(user, volunteer, candidate)

        cancelled = 0
        if volunteer is not None:
            cancelled += anonymise_volunteer(volunteer)
        if candidate is not None:
            cancelled += anonymise_candidate(candidate)

        scrubbed = scrub_admin_log(log_targets, emails)
        scrub_text_mentions(emails)
        ended = end_sessions(user=user) + end_untracked_sessions(user=user, emails=emails)

        target = ", ".join(
            part
            for part in (
                f"User #{user_id}",
                f"Volunteer #{volunteer.pk}" if volunteer else "",
                f"Candidate #{candidate.pk}" if candidate else "",
            )
            if part
        )
        row_count = 1 + Consent.objects.filter(user=user).count()
        if volunteer is not None:
            row_count += 1
        if candidate is not None:
            row_count += 1
        record_privacy_action(
            action=Action.ERASURE if requested_by != RequestedBy.SCHEDULE else Action.RETENTION,
            requested_by=requested_by,
            actor=actor if actor is not None and getattr(actor, "pk", None) != user_id else None,
            subject_user_id=user_id,
            target=target,
            row_count=row_count,
        )
        # Cascades to EmailAddress, Authenticator and SignedInSession rows; Consent rows lose their person.
        user.delete()

    logger.info(
        "Erased user %s: volunteer %s, candidate %s, %d emails cancelled, %d log entries scrubbed, %d sessions ended",
        user_id,
        getattr(volunteer, "pk", None),
        getattr(candidate, "pk", None),
        cancelled,
        scrubbed,
        ended,
    )
    return ErasureResult(
        user_id=user_id,
        volunteer_id=getattr(volunteer, "pk", None),
        candidate_id=getattr(candidate, "pk", None),
        cancelled_emails=cancelled,
        scrubbed_log_entries=scrubbed,
        ended_sessions=ended,
    )


def _addresses_of(user) -> set[str]:
    addresses = {user.email} | set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return {address for address in addresses if address}


def _volunteer_of(user):
    from volunteers.models import Volunteer

    return Volunteer.objects.select_for_update().filter(user=user, anonymised_at__isnull=True).first()


def _candidate_of(user):
    from candidates.models import Candidate

    return Candidate.objects.select_for_update().filter(user=user, anonymised_at__isnull=True).first()


def _election_still_ahead(match) -> bool:
    return match.help_request.candidate.election.polling_day >= timezone.localdate()


def anonymise_volunteer(volunteer) -> int:
    """Blank a volunteer's personal fields and wind down their open work; return how many emails were cancelled.

    Suggestions are dropped, a pending offer is declined so the next
    volunteer on the shortlist is offered the work, and an introduction for an
    election still ahead is cancelled so the campaign goes back to the queue.
    Matches for past elections keep their status, for the network's counts.
    """
    from candidates.models import HelpRequest
    from matching import lifecycle, ranking_rows, services, tasks
    from matching.models import Match
    from volunteers.models import Volunteer, VolunteerLink

    matches = Match.objects.filter(volunteer=volunteer)
    _scrub_match_texts(matches)

    refresh_ids = list(
        matches.suggested()
        .filter(help_request__status=HelpRequest.Status.OPEN)
        .values_list("help_request_id", flat=True)
    )
    matches.suggested().delete()
    note = "The volunteer's details were erased."
    for match in matches.select_related("help_request__candidate__election").order_by("id"):
        try:
            if match.status == Match.Status.SHORTLISTED:
                lifecycle.move(match, Match.Status.CANCELLED, note=note)
            elif match.status == Match.Status.APPROVED:
                services.decline_offer(match_id=match.pk)
            elif match.status == Match.Status.ACCEPTED and _election_still_ahead(match):
                services.mark_not_a_fit(match_id=match.pk, note=note)
        except lifecycle.MatchingError:
            # Someone changed the match at the same moment, and their change is kept.
            logger.warning("Match %s changed during erasure of volunteer %s", match.pk, volunteer.pk)
    for help_request_id in refresh_ids:
        tasks.refresh_suggestions_for_request.delay_on_commit(help_request_id)

    cancelled = _cancel_unsent_emails(Match.objects.filter(volunteer=volunteer))
    VolunteerLink.objects.filter(volunteer=volunteer).delete()
    now = timezone.now()
    Volunteer.objects.filter(pk=volunteer.pk).update(
        user=None,
        full_name="",
        postcode="",
        grid="",
        easting=None,
        northing=None,
        bio="",
        party_relationship="",
        is_paused=True,
        anonymised_at=now,
        # Ranking refreshes follow updated_at, so the volunteer leaves every list of suggestions.
        updated_at=now,
    )
    ranking_rows.rebuild_for_volunteers([volunteer.pk])
    logger.info("Anonymised volunteer %s", volunteer.pk)
    return cancelled


def anonymise_candidate(candidate) -> int:
    """Blank a campaign's personal fields and close its requests if polling day is still ahead; return emails cancelled.

    For an election still ahead, offers and introductions are cancelled, so
    volunteers are free for other work. For a past election every match keeps
    its status, for the network's counts.
    """
    from candidates.models import Candidate, HelpRequest
    from matching import lifecycle
    from matching.models import Match

    matches = Match.objects.filter(help_request__candidate=candidate)
    _scrub_match_texts(matches)
    matches.suggested().delete()

    election_ahead = candidate.election.polling_day >= timezone.localdate()
    if election_ahead:
        note = "The campaign's details were erased."
        live = [Match.Status.SHORTLISTED, Match.Status.APPROVED, Match.Status.ACCEPTED]
        for match in matches.filter(status__in=live).order_by("id"):
            try:
                lifecycle.move(match, Match.Status.CANCELLED, note=note)
            except lifecycle.MatchingError:
                logger.warning("Match %s changed during erasure of candidate %s", match.pk, candidate.pk)
        HelpRequest.objects.filter(candidate=candidate).exclude(status=HelpRequest.Status.CLOSED).update(
            status=HelpRequest.Status.CLOSED, updated_at=timezone.now()
        )

    cancelled = _cancel_unsent_emails(Match.objects.filter(help_request__candidate=candidate))
    # The description is free text that often names people or gives a phone number.
    HelpRequest.objects.filter(candidate=candidate).update(description="", updated_at=timezone.now())
    Candidate.objects.filter(pk=candidate.pk).update(
        user=None,
        full_name="",
        contact_name="",
        phone="",
        postcode="",
        grid="",
        easting=None,
        northing=None,
        anonymised_at=timezone.now(),
    )
    logger.info("Anonymised candidate %s", candidate.pk)
    return cancelled


def _scrub_match_texts(matches) -> None:
    """Blank the free text on these matches, their events and their emails, which may name either side."""
    from matching.models import MatchEvent, OutgoingEmail

    matches.exclude(feedback="").update(feedback="")
    MatchEvent.objects.filter(match__in=matches).exclude(note="").update(note="")
    OutgoingEmail.objects.filter(match__in=matches).exclude(last_error="").update(last_error="")


def _cancel_unsent_emails(matches) -> int:
    """Cancel every email on these matches that is waiting or being sent; a cancelled email is never claimed."""
    from matching.models import OutgoingEmail

    unsent = [OutgoingEmail.Status.PENDING, OutgoingEmail.Status.SENDING]
    return OutgoingEmail.objects.filter(match__in=matches, status__in=unsent).update(
        status=OutgoingEmail.Status.CANCELLED, last_error=""
    )


def _log_targets(user, volunteer, candidate) -> Q:
    """Select the admin log entries about this person's rows, gathered before those rows change or go."""
    from candidates.models import HelpRequest
    from volunteers.models import VolunteerLink, VolunteerSkill

    targets = [(User, [user.pk])]
    targets.append((EmailAddress, list(EmailAddress.objects.filter(user=user).values_list("pk", flat=True))))
    targets.append((Authenticator, list(Authenticator.objects.filter(user=user).values_list("pk", flat=True))))
    targets.append((Consent, list(Consent.objects.filter(user=user).values_list("pk", flat=True))))
    if volunteer is not None:
        targets.append((type(volunteer), [volunteer.pk]))
        targets.append(
            (VolunteerSkill, list(VolunteerSkill.objects.filter(volunteer=volunteer).values_list("pk", flat=True)))
        )
        targets.append(
            (VolunteerLink, list(VolunteerLink.objects.filter(volunteer=volunteer).values_list("pk", flat=True)))
        )
    if candidate is not None:
        targets.append((type(candidate), [candidate.pk]))
        targets.append(
            (HelpRequest, list(HelpRequest.objects.filter(candidate=candidate).values_list("pk", flat=True)))
        )

    condition = Q(pk__in=[])
    for model, ids in targets:
        if ids:
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            condition |= Q(content_type=content_type, object_id__in=[str(pk) for pk in ids])
    return condition


def scrub_admin_log(about_person: Q, emails: set[str]) -> int:
    """Rewrite the admin log entries about the person, or naming their addresses, without personal data.

    Each entry keeps who acted, when, on which kind of row and which fields
    changed. It loses the row's description, because for some models (such as
    allauth's EmailAddress) the description is the address itself.
    """
    mentions = Q(pk__in=[])
    for email in emails:
        mentions |= Q(object_repr__icontains=email) | Q(change_message__icontains=email)

    scrubbed = 0
    for entry in LogEntry.objects.filter(about_person | mentions).select_related("content_type"):
        kind = entry.content_type.name if entry.content_type else "row"
        entry.object_repr = f"{kind} #{entry.object_id} ({ERASED})"[:200]
        entry.change_message = _scrub_change_message(entry.change_message, emails)
        LogEntry.objects.filter(pk=entry.pk).update(object_repr=entry.object_repr, change_message=entry.change_message)
        scrubbed += 1
    return scrubbed


def _scrub_change_message(message: str, emails: set[str]) -> str:
    """Drop the descriptions of inline rows from Django's JSON change message, keeping the field names."""
    try:
        parts = json.loads(message or "[]")
    except json.JSONDecodeError:
        return _replace_addresses(message, emails)
    if not isinstance(parts, list):
        return ""
    for part in parts:
        if not isinstance(part, dict):
            continue
        for details in part.values():
            if isinstance(details, dict) and "object" in details:
                details["object"] = ERASED
    return _replace_addresses(json.dumps(parts), emails)


def _replace_addresses(text: str, emails: set[str]) -> str:
    for email in emails:
        text = re.sub(re.escape(email), ERASED, text, flags=re.IGNORECASE)
    return text


def _free_text_fields():
    """Free-text columns where one person may have written another's address, such as in feedback."""
    from candidates.models import CallOut, HelpRequest
    from matching.models import Match, MatchEvent, OutgoingEmail
    from volunteers.models import Volunteer

    return [
        (CallOut, "message"),
        (HelpRequest, "description"),
        (Match, "feedback"),
        (MatchEvent, "note"),
        (OutgoingEmail, "last_error"),
        (Volunteer, "bio"),
    ]


def scrub_text_mentions(emails: set[str]) -> int:
    """Replace the person's addresses wherever someone else's free text mentions them; return rows changed."""
    changed = 0
    for model, field in _free_text_fields():
        for email in emails:
            for pk, text in model.objects.filter(**{f"{field}__icontains": email}).values_list("pk", field):
                model.objects.filter(pk=pk).update(**{field: _replace_addresses(text, {email})})
                changed += 1
    return changed
