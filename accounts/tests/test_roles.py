"""The Organisers group has exactly the permissions listed in accounts.roles, created by a migration."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import ORGANISER_PERMISSIONS, ORGANISERS_GROUP, grant_organiser_permissions, is_organiser
from volunteers.tests.factories import UserFactory


def listed_permissions_that_exist() -> set[str]:
    names = set()
    for app_label, codenames in ORGANISER_PERMISSIONS.items():
        for codename in Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        ).values_list("codename", flat=True):
            names.add(f"{app_label}.{codename}")
    return names


def group_permissions() -> set[str]:
    group = Group.objects.get(name=ORGANISERS_GROUP)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.django_db
def test_group_holds_exactly_the_listed_permissions():
    assert group_permissions() == listed_permissions_that_exist()
    assert {
        "matching.approve_match",
        "accounts.erase_personal_data",
        "accounts.export_personal_data",
    } <= group_permissions()


@pytest.mark.django_db
def test_group_cannot_delete_or_add_people():
    assert not {name for name in group_permissions() if ".delete_" in name or name.endswith(".add_user")}


@pytest.mark.django_db
def test_granting_again_adds_nothing():
    assert grant_organiser_permissions(Group, Permission) == 0


@pytest.mark.django_db
def test_removed_permission_granted_again():
    group = Group.objects.get(name=ORGANISERS_GROUP)
    group.permissions.remove(Permission.objects.get(codename="approve_match"))

    assert grant_organiser_permissions(Group, Permission) == 1
    assert "matching.approve_match" in group_permissions()


@pytest.mark.django_db
def test_group_member_can_approve_matches():
    organiser = UserFactory(is_staff=True)
    organiser.groups.add(Group.objects.get(name=ORGANISERS_GROUP))

    assert organiser.has_perm("matching.approve_match")
    assert not organiser.has_perm("accounts.delete_user")
    assert is_organiser(organiser)


@pytest.mark.django_db
def test_who_is_an_organiser():
    assert not is_organiser(UserFactory())
    assert not is_organiser(UserFactory(is_staff=True)), "staff outside the group"
    assert is_organiser(UserFactory(is_staff=True, is_superuser=True))
