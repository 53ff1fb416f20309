"""
Subject access export: everything held about one person, as JSON-ready data.

Profile fields are read from each model's own field list, so a field added
later is exported without changing this module. Details of other people (the
other side of a match, the organiser who decided) are left out: they are not
the person's own data.
"""

from datetime import date, datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import models
from django.utils import timezone

from ..models import Consent, PrivacyAuditEntry, SignedInSession

EXPORT_FORMAT_VERSION = 1

# Fields that only link rows together, or describe other people, and are left out of every section.
_LINK_FIELDS = {"id", "user", "volunteer", "candidate", "help_request", "election", "decided_by", "match"}


def _plain(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def model_fields(instance: models.Model, *, exclude: set[str] = frozenset()) -> dict:
    """Return every concrete field of a row, with readable labels for choices, as JSON-ready values."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in _LINK_FIELDS or field.name in exclude:
            continue
        value = getattr(instance, field.attname)
        data[field.name] = _plain(value)
        if field.choices and value not in (None, ""):
            data[f"{field.name}_label"] = str(getattr(instance, f"get_{field.name}_display")())
    return data


def export_person(user) -> dict:
    """Collect everything held about this person: account, profile, consents, matches and emails sent to them."""
    from volunteers.models import Volunteer

    volunteer = Volunteer.objects.filter(user=user).prefetch_related("skills", "links").first()
    candidate = _candidate_of(user)

    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": _plain(timezone.now()),
        "privacy_notice_version": settings.PRIVACY_NOTICE_VERSION,
        "account": _account(user),
        "volunteer_profile": _volunteer(volunteer) if volunteer else None,
        "campaign": _campaign(candidate) if candidate else None,
        "consents": _consents(user),
        "matches": _matches(volunteer, candidate),
        "emails_sent_to_you": _emails(volunteer, candidate),
        "decisions_you_made_as_organiser": _decisions(user),
        "requests_about_your_data": _data_requests(user),
    }


def _candidate_of(user):
    from candidates.models import Candidate

    return Candidate.objects.filter(user=user).select_related("election").prefetch_related("help_requests").first()


def _account(user) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": _plain(user.date_joined),
        "last_login": _plain(user.last_login),
        "is_organiser": user.is_staff,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("id")
        ],
        # The secrets themselves are never exported: anyone holding the file could then sign in.
        "two_factor_authentication": [
            {
                "type": authenticator.get_type_display(),
                "created_at": _plain(authenticator.created_at),
                "last_used_at": _plain(authenticator.last_used_at),
            }
            for authenticator in Authenticator.objects.filter(user=user).order_by("id")
        ],
        "signed_in_sessions": [
            {"started_at": _plain(session.created_at)}
            for session in SignedInSession.objects.filter(user=user).order_by("created_at")
        ],
    }


def _volunteer(volunteer) -> dict:
    data = model_fields(volunteer)
    data["skills"] = [
        {"area": skill.area, "area_label": skill.get_area_display(), "level": skill.get_level_display()}
        for skill in volunteer.skills.all()
    ]
    data["links"] = [link.url for link in volunteer.links.all()]
    return data


def _campaign(candidate) -> dict:
    data = model_fields(candidate)
    election = candidate.election
    data["election"] = {"council": election.council, "ward": election.ward, "polling_day": _plain(election.polling_day)}
    data["help_requests"] = [
        {"id": help_request.pk, **model_fields(help_request)} for help_request in candidate.help_requests.all()
    ]
    return data


def _consents(user) -> list[dict]:
    return [
        {
            "purpose": consent.purpose,
            "purpose_label": consent.get_purpose_display(),
            "given": consent.given,
            "notice_version": consent.notice_version,
            "method": consent.get_method_display(),
            "recorded_at": _plain(consent.recorded_at),
            "match_id": consent.match_id,
        }
        for consent in Consent.objects.filter(user=user).order_by("recorded_at", "id")
    ]


def _matches(volunteer, candidate) -> list[dict]:
    from matching.models import Match

    rows = []
    if volunteer is not None:
        for match in Match.objects.filter(volunteer=volunteer).select_related("help_request").order_by("id"):
            rows.append(_match(match, as_who="volunteer"))
    if candidate is not None:
        for match in Match.objects.filter(help_request__candidate=candidate).select_related("help_request"):
            rows.append(_match(match, as_who="campaign"))
    return rows


def _match(match, *, as_who: str) -> dict:
    return {
        "id": match.pk,
        "you_were": as_who,
        "help_request_id": match.help_request_id,
        "skill_area": match.help_request.get_skill_area_display(),
        **model_fields(match),
        "events": [
            {"action": event.action, "at": _plain(event.created_at), "note": event.note}
            for event in match.events.order_by("created_at", "id")
        ],
    }


def _emails(volunteer, candidate) -> list[dict]:
    from matching.emails import EMAIL_TEMPLATES
    from matching.models import OutgoingEmail

    kinds_for = {
        recipient: [kind for kind, template in EMAIL_TEMPLATES.items() if template.recipient == recipient]
        for recipient in ("volunteer", "candidate")
    }
    emails = OutgoingEmail.objects.none()
    if volunteer is not None:
        emails = emails | OutgoingEmail.objects.filter(match__volunteer=volunteer, kind__in=kinds_for["volunteer"])
    if candidate is not None:
        emails = emails | OutgoingEmail.objects.filter(
            match__help_request__candidate=candidate, kind__in=kinds_for["candidate"]
        )
    return [
        {
            "id": email.pk,
            "match_id": email.match_id,
            "kind": email.kind,
            "kind_label": email.get_kind_display(),
            "status": email.get_status_display(),
            "written_at": _plain(email.created_at),
            "sent_at": _plain(email.sent_at),
        }
        for email in emails.order_by("created_at", "id")
    ]


def _decisions(user) -> list[dict]:
    from matching.models import MatchEvent

    if not user.is_staff:
        return []
    return [
        {"match_id": event.match_id, "action": event.action, "at": _plain(event.created_at)}
        for event in MatchEvent.objects.filter(actor=user).order_by("created_at", "id")
    ]


def _data_requests(user) -> list[dict]:
    return [
        {
            "action": entry.get_action_display(),
            "requested_by": entry.get_requested_by_display(),
            "at": _plain(entry.created_at),
        }
        for entry in PrivacyAuditEntry.objects.filter(subject_user_id=user.pk).order_by("created_at", "id")
    ]


def count_rows(export: dict) -> int:
    """Count the records in an export, for the audit trail."""
    total = 1  # the account
    for key in ("volunteer_profile", "campaign"):
        total += 1 if export[key] else 0
    for key in ("consents", "matches", "emails_sent_to_you", "decisions_you_made_as_organiser"):
        total += len(export[key])
    return total
