"""
The roles people have, and the permissions of the Organisers group.

- volunteer: an account with a `volunteer` profile.
- candidate: an account with a `candidate` profile, used by the candidate or by
  their election agent or campaign organiser (`Candidate.role` records which).
- organiser: a member of staff in the Organisers group, which holds only the
  admin permissions that matching, answering data requests and exporting need.
- superuser: every permission; kept for the few people who run the site.

Organisers and superusers must use two-factor authentication before the admin
lets them in (see techforlabour.admin_site).
"""

import logging

logger = logging.getLogger(__name__)

ORGANISERS_GROUP = "Organisers"

# Every permission the Organisers group holds, by app label. None of them adds
# or deletes people: erasure goes through its own permission and service.
ORGANISER_PERMISSIONS: dict[str, list[str]] = {
    "accounts": [
        "view_user",
        "view_consent",
        "view_privacyauditentry",
        "export_personal_data",
        "erase_personal_data",
    ],
    "candidates": [
        "view_election",
        "change_election",
        "view_candidate",
        "view_helprequest",
        "change_helprequest",
    ],
    "matching": [
        "view_match",
        "change_match",
        "approve_match",
        "view_matchevent",
        "view_outgoingemail",
    ],
    "volunteers": [
        "view_volunteer",
        "view_volunteerskill",
        "view_volunteerlink",
        "view_datatransfer",
        "export_volunteers",
        "export_help_requests",
        "export_matches",
        "import_volunteers",
    ],
}


def organiser_permission_names() -> set[str]:
    """Return the group's permissions as "app_label.codename" strings, the form `has_perm` takes."""
    return {
        f"{app_label}.{codename}" for app_label, codenames in ORGANISER_PERMISSIONS.items() for codename in codenames
    }


def grant_organiser_permissions(group_model, permission_model) -> int:
    """Create the Organisers group if needed and add every listed permission that exists; return how many were added.

    Takes the models as arguments so that a migration can pass its historical
    ones. A permission whose model does not exist yet is skipped: the
    post_migrate handler in accounts.apps adds it once that model's migration
    has run. Nothing is removed, so this is safe to run after every migrate.
    """
    group, _ = group_model.objects.get_or_create(name=ORGANISERS_GROUP)
    listed = permission_model.objects.none()
    for app_label, codenames in ORGANISER_PERMISSIONS.items():
        listed = listed | permission_model.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    missing = list(listed.exclude(group=group))
    group.permissions.add(*missing)
    if missing:
        logger.info("Added %d permissions to the %s group", len(missing), ORGANISERS_GROUP)
    return len(missing)


def is_organiser(user) -> bool:
    """Staff in the Organisers group, or a superuser."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=ORGANISERS_GROUP).exists()


def needs_two_factor(user) -> bool:
    """Every account that can reach the admin must sign in with a second factor."""
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))
