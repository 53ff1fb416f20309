"""
Call-outs: a one-off email, sent by an organiser, to volunteers who have the
skill a request needs and are near its campaign or work remotely, for when
ranking found nobody suitable.

Only volunteers whose latest answer on "news and call-outs" is yes receive one,
and no volunteer receives more than one in any seven days. Every send is logged
as a CallOut row with a CallOutRecipient row per volunteer, and those rows are
what the weekly limit counts.

A volunteer who answers signs in and says yes; they are then ranked for the
request like anyone else. For work in person, saying yes from further away than
the volunteer said they would travel raises their travel distance to the
campaign's distance (the answer page says so first), because ranking only
suggests volunteers within their own travel distance.
"""

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Consent
from candidates.models import CallOut, CallOutRecipient, HelpRequest
from volunteers.models import Volunteer, WorkMode

from . import ranking_rows
from .models import Match
from .postcodes import METRES_PER_MILE, distance_miles
from .ranking import MAX_TRAVEL_RADIUS_MILES

logger = logging.getLogger(__name__)

CALLOUT_INTERVAL = timedelta(days=7)
MAX_RADIUS_MILES = MAX_TRAVEL_RADIUS_MILES
TOKEN_SALT = "matching.callouts"
TOKEN_MAX_AGE = timedelta(days=30)

IN_PERSON_MODES = [WorkMode.IN_PERSON, WorkMode.BOTH]
REMOTE_MODES = [WorkMode.REMOTE, WorkMode.BOTH]


class CallOutError(Exception):
    """A call-out that cannot be sent or answered; the message is written for the person who asked."""


@dataclass(frozen=True)
class Reach:
    """The volunteers a call-out is for: in person within `radius_miles`, remote, or both."""

    radius_miles: int | None
    include_remote: bool


@dataclass(frozen=True)
class AnswerOutcome:
    suggested: bool
    travel_radius_raised_to: int | None = None


def check_reach(help_request: HelpRequest, reach: Reach) -> None:
    """Raise CallOutError when the reach cannot find anyone for this request."""
    if reach.radius_miles is None and not reach.include_remote:
        raise CallOutError("Choose a distance for volunteers who work in person, or include remote volunteers.")
    if reach.radius_miles is not None:
        if not 1 <= reach.radius_miles <= MAX_RADIUS_MILES:
            raise CallOutError(f"Choose a distance from 1 to {MAX_RADIUS_MILES} miles.")
        if help_request.work_mode == HelpRequest.WorkMode.REMOTE:
            raise CallOutError("This request is for remote work, so leave the distance empty.")
        if help_request.candidate.easting is None:
            raise CallOutError("The campaign has no location, so only remote volunteers can be called out.")
    if reach.include_remote and help_request.work_mode == HelpRequest.WorkMode.IN_PERSON:
        raise CallOutError("This request is for work in person, so remote volunteers cannot do it.")


def _opted_in_to_callouts():
    latest_answer = (
        Consent.objects.filter(user=OuterRef("user"), purpose=Consent.Purpose.NEWS)
        .order_by("-recorded_at", "-id")
        .values("given")[:1]
    )
    return Subquery(latest_answer)


def _active_matches():
    return Subquery(
        Match.objects.active()
        .filter(volunteer=OuterRef("pk"))
        .order_by()
        .values("volunteer")
        .annotate(count=Count("id"))
        .values("count")
    )


def audience(help_request: HelpRequest, reach: Reach, *, now=None) -> list[Volunteer]:
    """Return the volunteers a call-out with this reach would go to now, nearest first.

    They have the skill, are free before the needed-by date, have a place left,
    opted in, had no call-out in the last seven days, and are not already
    suggested, offered or turned down for this campaign.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidate = help_request.candidate

    recent_callout = CallOutRecipient.objects.filter(volunteer=OuterRef("pk"), created_at__gte=now - CALLOUT_INTERVAL)
    considered = Match.objects.filter(volunteer=OuterRef("pk"), help_request=help_request)
    turned_down = Match.objects.filter(
        volunteer=OuterRef("pk"), help_request__candidate=candidate, status__in=Match.CLOSED_TO_VOLUNTEER_STATUSES
    )
    volunteers = (
        Volunteer.objects.matchable()
        .filter(skills__area=help_request.skill_area, available_from__lte=help_request.needed_by)
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
        .annotate(callouts_wanted=_opted_in_to_callouts(), active_count=_active_matches())
        .filter(callouts_wanted=True)
        .filter(Q(active_count__isnull=True) | Q(active_count__lt=F("max_active_matches")))
        .exclude(Exists(recent_callout))
        .exclude(Exists(considered))
        .exclude(Exists(turned_down))
        .select_related("user")
    )

    where = Q(pk__in=[])
    if reach.radius_miles is not None and candidate.easting is not None:
        # A square around the campaign on the indexed grid columns; the exact circle is checked below.
        half_side = int(reach.radius_miles * METRES_PER_MILE) + 1
        where |= Q(
            work_mode__in=IN_PERSON_MODES,
            easting__range=(candidate.easting - half_side, candidate.easting + half_side),
            northing__range=(candidate.northing - half_side, candidate.northing + half_side),
        )
    if reach.include_remote:
        where |= Q(work_mode__in=REMOTE_MODES)

    chosen = []
    for volunteer in volunteers.filter(where).order_by("pk"):
        miles = _miles_to_campaign(volunteer, help_request)
        in_reach = volunteer.work_mode in IN_PERSON_MODES and miles is not None and miles <= (reach.radius_miles or 0)
        if in_reach or (reach.include_remote and volunteer.work_mode in REMOTE_MODES):
            chosen.append(volunteer)
    chosen.sort(key=lambda volunteer: (_miles_to_campaign(volunteer, help_request) or math.inf, volunteer.pk))
    return chosen


def _miles_to_campaign(volunteer: Volunteer, help_request: HelpRequest) -> float | None:
    candidate = help_request.candidate
    if volunteer.easting is None or candidate.easting is None:
        return None
    return distance_miles(volunteer.easting, volunteer.northing, candidate.easting, candidate.northing)


def send_callout(*, help_request: HelpRequest, reach: Reach, organiser, message: str = "") -> CallOut:
    """Log a call-out to its audience and queue one email to each; raise CallOutError when nobody is reachable."""
    from candidates import tasks

    if help_request.status != HelpRequest.Status.OPEN:
        raise CallOutError(
            f"Help request #{help_request.pk} is {help_request.get_status_display().lower()}, so it needs no call-out."
        )
    check_reach(help_request, reach)

    with transaction.atomic():
        volunteer_ids = [volunteer.pk for volunteer in audience(help_request, reach)]
        # Lock the volunteers, always in id order, then ask again who had a call-out
        # this week: two organisers sending at once must not both reach one volunteer.
        locked = list(Volunteer.objects.select_for_update().filter(pk__in=volunteer_ids).order_by("pk"))
        recently = set(
            CallOutRecipient.objects.filter(
                volunteer__in=locked, created_at__gte=timezone.now() - CALLOUT_INTERVAL
            ).values_list("volunteer_id", flat=True)
        )
        recipients = [volunteer for volunteer in locked if volunteer.pk not in recently]
        if not recipients:
            raise CallOutError(
                "No volunteer fits this call-out: nobody with the skill in reach has said yes to call-outs, "
                "is free and has not had a call-out in the last 7 days."
            )

        callout = CallOut.objects.create(
            help_request=help_request,
            sent_by=organiser,
            radius_miles=reach.radius_miles,
            include_remote=reach.include_remote,
            message=message.strip(),
            recipient_count=len(recipients),
        )
        rows = CallOutRecipient.objects.bulk_create(
            CallOutRecipient(callout=callout, volunteer=volunteer) for volunteer in recipients
        )
        for row in rows:
            tasks.send_callout_email.delay_on_commit(row.pk)

    logger.info(
        "Call-out %s for help request %s sent by user %s to %d volunteers",
        callout.pk,
        help_request.pk,
        getattr(organiser, "pk", None),
        len(recipients),
    )
    return callout


def make_token(recipient: CallOutRecipient) -> str:
    return signing.dumps({"r": recipient.pk}, salt=TOKEN_SALT)


def answer_url(recipient: CallOutRecipient) -> str:
    return settings.SITE_URL + reverse("callout_answer", args=[make_token(recipient)])


def read_token(token: str) -> int:
    """Return the recipient id a call-out link names, or raise CallOutError saying why it cannot be used."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise CallOutError("This call-out is too old to answer. Thank you for looking.") from None
    except signing.BadSignature:
        raise CallOutError("The link has been changed or cut short. Copy the whole link from the email.") from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        raise CallOutError("The link has been changed or cut short. Copy the whole link from the email.")
    return data["r"]


def send_callout_email(recipient_id: int) -> bool:
    """Send one call-out email at most once; return True when this call sent it.

    The row is claimed by moving it from pending to sent before sending, so a
    task that runs twice sends once. A transport error puts it back to pending
    and is raised again for the task to retry.
    """
    claimed = CallOutRecipient.objects.filter(pk=recipient_id, status=CallOutRecipient.Status.PENDING).update(
        status=CallOutRecipient.Status.SENT, sent_at=timezone.now()
    )
    if claimed != 1:
        logger.info("Call-out email %s is not pending; nothing to send", recipient_id)
        return False

    recipient = CallOutRecipient.objects.select_related(
        "volunteer__user", "callout__help_request__candidate__election"
    ).get(pk=recipient_id)
    volunteer = recipient.volunteer
    if volunteer is None or volunteer.anonymised_at or volunteer.user is None or not volunteer.user.email:
        CallOutRecipient.objects.filter(pk=recipient_id).update(status=CallOutRecipient.Status.FAILED)
        logger.error("Call-out email %s has no recipient address", recipient_id)
        return False

    help_request = recipient.callout.help_request
    context = {
        "volunteer": volunteer,
        "callout": recipient.callout,
        "help_request": help_request,
        "election": help_request.candidate.election,
        "distance_miles": _miles_to_campaign(volunteer, help_request),
        "answer_url": answer_url(recipient),
        "profile_url": settings.SITE_URL + reverse("volunteer_profile"),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"Can you help with {help_request.get_skill_area_display().lower()} for a Labour campaign?",
        body=render_to_string("candidates/emails/callout.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[volunteer.user.email],
    )
    message.attach_alternative(render_to_string("candidates/emails/callout.html", context), "text/html")
    try:
        message.send()
    except Exception:
        CallOutRecipient.objects.filter(pk=recipient_id).update(status=CallOutRecipient.Status.PENDING, sent_at=None)
        logger.warning("Sending call-out email %s failed", recipient_id, exc_info=True)
        raise
    logger.info("Sent call-out email %s for call-out %s", recipient_id, recipient.callout_id)
    return True


def mark_failed(recipient_id: int) -> None:
    CallOutRecipient.objects.filter(pk=recipient_id).exclude(status=CallOutRecipient.Status.SENT).update(
        status=CallOutRecipient.Status.FAILED
    )
    logger.error("Call-out email %s failed after its last retry", recipient_id)


def load_for_volunteer(recipient_id: int, user) -> CallOutRecipient:
    """Return the call-out sent to this signed-in volunteer, or raise CallOutError when it was someone else's."""
    recipient = (
        CallOutRecipient.objects.select_related("volunteer", "callout__help_request__candidate__election")
        .filter(pk=recipient_id)
        .first()
    )
    if recipient is None or recipient.volunteer is None or recipient.volunteer.user_id != user.pk:
        raise CallOutError(
            "This call-out was sent to someone else. Sign out, then open the link again as the person it was sent to."
        )
    return recipient


def travel_radius_needed(recipient: CallOutRecipient) -> int | None:
    """Return the travel distance, in whole miles, the volunteer must accept to be suggested; None if theirs is enough.

    Remote work needs no travel, so a volunteer who can work remotely on a
    request that allows it never needs a larger distance.
    """
    volunteer = recipient.volunteer
    help_request = recipient.callout.help_request
    if help_request.work_mode != HelpRequest.WorkMode.IN_PERSON and volunteer.work_mode in REMOTE_MODES:
        return None
    miles = _miles_to_campaign(volunteer, help_request)
    if miles is None or volunteer.work_mode not in IN_PERSON_MODES:
        return None
    if volunteer.travel_radius_miles and miles <= volunteer.travel_radius_miles:
        return None
    return min(MAX_RADIUS_MILES, max(1, math.ceil(miles)))


def answer_callout(*, recipient: CallOutRecipient) -> AnswerOutcome:
    """Record that the volunteer can help, and rank them for the request.

    Raise CallOutError when the request no longer needs a volunteer.
    """
    from .services import refresh_suggestions

    help_request = recipient.callout.help_request
    help_request.refresh_from_db()
    if help_request.status != HelpRequest.Status.OPEN:
        raise CallOutError("This request no longer needs a volunteer. Thank you for offering.")

    raised_to = travel_radius_needed(recipient)
    with transaction.atomic():
        CallOutRecipient.objects.filter(pk=recipient.pk, answered_at__isnull=True).update(answered_at=timezone.now())
        if raised_to is not None:
            Volunteer.objects.filter(pk=recipient.volunteer_id).update(
                travel_radius_miles=raised_to, updated_at=timezone.now()
            )
            ranking_rows.rebuild_for_volunteers([recipient.volunteer_id])
    refresh_suggestions(help_request=help_request)
    suggested = (
        Match.objects.suggested().filter(help_request=help_request, volunteer_id=recipient.volunteer_id).exists()
    )
    logger.info(
        "Volunteer %s answered call-out %s for help request %s; suggested=%s",
        recipient.volunteer_id,
        recipient.callout_id,
        help_request.pk,
        suggested,
    )
    return AnswerOutcome(suggested=suggested, travel_radius_raised_to=raised_to)
