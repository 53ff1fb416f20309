"""An unverified volunteer is never suggested, and an unverified campaign's requests wait until it confirms."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from candidates.models import HelpRequest
from candidates.tests.factories import CandidateFactory, HelpRequestFactory
from candidates.tests.test_signup import valid_signup as valid_candidate_signup
from matching import services
from matching.models import Match
from volunteers.tests.factories import UserFactory, VolunteerFactory

from .conftest import confirm_email_from_last_message


@pytest.mark.django_db
def test_unverified_campaign_gets_no_suggestions():
    VolunteerFactory(skills={"engineering": 3})
    help_request = HelpRequestFactory(candidate=CandidateFactory(user=UserFactory(verified=False)))

    assert services.refresh_suggestions(help_request=help_request) == 0
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_campaign_without_an_account_is_matched():
    """A campaign an organiser entered has no address to confirm."""
    VolunteerFactory(skills={"engineering": 3})
    help_request = HelpRequestFactory(candidate=CandidateFactory(user=None))

    assert services.refresh_suggestions(help_request=help_request) == 1


@pytest.mark.django_db
def test_confirming_the_address_brings_suggestions(client, django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"engineering": 3})

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("candidate_signup"), valid_candidate_signup(email="agent@example.org"))
    help_request = HelpRequest.objects.get()
    assert not Match.objects.filter(help_request=help_request).exists()

    with django_capture_on_commit_callbacks(execute=True):
        confirm_email_from_last_message(client)

    assert list(Match.objects.filter(help_request=help_request).values_list("volunteer_id", flat=True)) == [
        volunteer.pk
    ]


@pytest.mark.django_db
def test_confirming_a_volunteer_address_queues_their_suggestions(django_capture_on_commit_callbacks):
    help_request = HelpRequestFactory(skill_area="engineering")
    volunteer = VolunteerFactory(skills={"engineering": 3}, user=UserFactory(verified=False))
    services.refresh_suggestions(help_request=help_request)
    assert not Match.objects.exists()

    address = EmailAddress.objects.get(user=volunteer.user)
    with django_capture_on_commit_callbacks(execute=True):
        address.verified = True
        address.save()
        from allauth.account.signals import email_confirmed

        email_confirmed.send(sender=EmailAddress, request=None, email_address=address)

    assert Match.objects.filter(help_request=help_request, volunteer=volunteer).exists()
