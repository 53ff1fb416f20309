"""Writes to volunteer profiles. Views and forms call these; they never save profiles themselves."""

import logging

from django.conf import settings
from django.db import transaction

from accounts.models import Consent
from matching import ranking_rows

from .models import Volunteer, VolunteerLink, VolunteerSkill

logger = logging.getLogger(__name__)

PROFILE_FIELDS = [
    "full_name",
    "work_mode",
    "travel_radius_miles",
    "hours_per_week",
    "available_from",
    "available_until",
    "bio",
    "max_active_matches",
]


def _apply_profile(volunteer: Volunteer, data: dict) -> None:
    for name in PROFILE_FIELDS:
        setattr(volunteer, name, data[name])

    location = data["postcode"]
    volunteer.postcode = location.postcode
    volunteer.grid = location.grid if location.has_coordinates else ""
    volunteer.easting = location.easting if location.has_coordinates else None
    volunteer.northing = location.northing if location.has_coordinates else None
    volunteer.local_authority_code = location.local_authority_code

    # The relationship to the party is kept only with explicit consent.
    volunteer.party_relationship = data.get("party_relationship", "") if data.get("party_consent") else ""


def _replace_skills_and_links(volunteer: Volunteer, data: dict) -> None:
    volunteer.skills.all().delete()
    VolunteerSkill.objects.bulk_create(
        VolunteerSkill(volunteer=volunteer, area=area, level=level) for area, level in data["skills"].items()
    )
    # bulk_create sends no signals, so the ranking rows are rewritten here.
    ranking_rows.rebuild_for_volunteers([volunteer.pk])
    volunteer.links.all().delete()
    VolunteerLink.objects.bulk_create(VolunteerLink(volunteer=volunteer, url=url) for url in data["links"])


def _record_consent(user, purpose: str, given: bool, method: str) -> None:
    Consent.objects.create(
        user=user, purpose=purpose, given=given, notice_version=settings.PRIVACY_NOTICE_VERSION, method=method
    )


@transaction.atomic
def create_volunteer(*, user, data: dict) -> Volunteer:
    """Create a volunteer profile for a new account, with the consents given on the signup form."""
    from matching.tasks import refresh_suggestions_for_volunteer

    volunteer = Volunteer(user=user)
    _apply_profile(volunteer, data)
    volunteer.save()
    _replace_skills_and_links(volunteer, data)

    user.first_name = data["full_name"][:150]
    user.save(update_fields=["first_name"])

    method = Consent.Method.SIGNUP_FORM
    _record_consent(user, Consent.Purpose.PRIVACY_NOTICE, True, method)
    if volunteer.party_relationship:
        _record_consent(user, Consent.Purpose.PARTY_SUPPORT, True, method)
    if data.get("news_consent"):
        _record_consent(user, Consent.Purpose.NEWS, True, method)

    refresh_suggestions_for_volunteer.delay_on_commit(volunteer.pk)
    logger.info("Volunteer %s signed up", volunteer.pk)
    return volunteer


@transaction.atomic
def update_volunteer(*, volunteer: Volunteer, data: dict) -> Volunteer:
    """Save changes from the profile page and refresh the requests they may affect."""
    from matching.tasks import refresh_suggestions_for_volunteer

    had_party_relationship = bool(volunteer.party_relationship)
    _apply_profile(volunteer, data)
    volunteer.is_paused = data.get("is_paused", False)
    volunteer.save()
    _replace_skills_and_links(volunteer, data)

    if bool(volunteer.party_relationship) != had_party_relationship and volunteer.user:
        _record_consent(
            volunteer.user,
            Consent.Purpose.PARTY_SUPPORT,
            bool(volunteer.party_relationship),
            Consent.Method.PROFILE_PAGE,
        )

    refresh_suggestions_for_volunteer.delay_on_commit(volunteer.pk)
    logger.info("Volunteer %s updated their profile", volunteer.pk)
    return volunteer


def profile_initial(volunteer: Volunteer) -> dict:
    """Return the profile form's initial values for an existing volunteer."""
    from .forms import skill_field_name

    initial = {name: getattr(volunteer, name) for name in PROFILE_FIELDS}
    initial.update(
        postcode=volunteer.postcode,
        links="\n".join(volunteer.links.values_list("url", flat=True)),
        party_relationship=volunteer.party_relationship,
        party_consent=bool(volunteer.party_relationship),
        is_paused=volunteer.is_paused,
    )
    for skill in volunteer.skills.all():
        initial[skill_field_name(skill.area)] = skill.level
    return initial
