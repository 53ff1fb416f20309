"""People built the way they arrive on the site: through the signup pages, with their consents."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import ORGANISERS_GROUP
from accounts.tests.helpers import sign_in_organiser
from volunteers.tests.factories import UserFactory
from volunteers.tests.test_signup import valid_signup as valid_volunteer_signup

VOLUNTEER_EMAIL = "Jane.Doe+tfl@Example.COM"
VOLUNTEER_NAME = "Siobhán O'Neill-Ní Bhriain"
CONFIRM_LINK = re.compile(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)")


def confirm_email_from_last_message(client):
    path = CONFIRM_LINK.search(mail.outbox[-1].body).group(1)
    response = client.post(path)
    assert response.status_code == 302


@pytest.fixture
def signed_up_volunteer(client, django_capture_on_commit_callbacks):
    """A volunteer who signed up with news and party consent, confirmed their email and is signed in."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("volunteer_signup"),
            valid_volunteer_signup(
                email=VOLUNTEER_EMAIL,
                full_name=VOLUNTEER_NAME,
                skill_engineering="3",
                party_relationship="member",
                party_consent="on",
                news_consent="on",
            ),
        )
        assert response.status_code == 302
        confirm_email_from_last_message(client)
    return User.objects.get(email__iexact=VOLUNTEER_EMAIL)


@pytest.fixture
def organiser_client(db):
    """A client of its own, signed in as a member of the Organisers group with two-factor authentication."""
    organiser = UserFactory(email="organiser.one@example.org", is_staff=True)
    organiser.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
    client = Client()
    sign_in_organiser(client, organiser)
    client.user = organiser
    return client
