"""Fixtures for the ballot admin: an organiser signed in to the admin the way people are."""

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.helpers import sign_in_organiser

BALLOT_ADMIN_PERMISSIONS = ["view_election", "change_election", "add_election", "view_candidate", "view_callout"]


@pytest.fixture
def organiser_client(client, organiser):
    """A client signed in to the admin as the organiser, who may also change ballots."""
    organiser.user_permissions.add(*Permission.objects.filter(codename__in=BALLOT_ADMIN_PERMISSIONS))
    sign_in_organiser(client, organiser)
    return client
