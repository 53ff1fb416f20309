"""The whole journey through the test client: signup, request, suggestions, approval, introductions."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.helpers import sign_in_organiser
from candidates.models import HelpRequest
from candidates.tests.test_signup import valid_signup as valid_candidate_signup
from matching import tasks
from matching.models import Match, OutgoingEmail
from volunteers.models import Volunteer
from volunteers.tests.factories import UserFactory
from volunteers.tests.test_signup import valid_signup as valid_volunteer_signup

CONFIRM_LINK = re.compile(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)")
OFFER_LINK = re.compile(r"Say yes: https?://testserver(/matches/offer/\S+)")


def confirm_email_from_last_message(client):
    path = CONFIRM_LINK.search(mail.outbox[-1].body).group(1)
    response = client.post(path)
    assert response.status_code == 302


@pytest.mark.django_db
def test_volunteer_to_introduction(client, organiser, django_capture_on_commit_callbacks):
    # A volunteer signs up and confirms their email address.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("volunteer_signup"),
            valid_volunteer_signup(email="vol@example.org", skill_engineering="3", skill_video=""),
        )
        assert response.status_code == 302
        confirm_email_from_last_message(client)
    client.logout()

    # A candidate asks for help with a website.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("candidate_signup"), valid_candidate_signup(email="cand@example.org"))
        assert response.status_code == 302
        confirm_email_from_last_message(client)
    response = client.get(reverse("my_requests"))
    assert "Looking for a volunteer" in response.content.decode()
    client.logout()

    # The request already has the volunteer as its first suggestion.
    help_request = HelpRequest.objects.get()
    volunteer = Volunteer.objects.get()
    suggestion = Match.objects.get(help_request=help_request)
    assert suggestion.volunteer == volunteer
    assert suggestion.rank == 1
    assert suggestion.total_score > 0

    # An organiser signs in with two factors, sees the ranked suggestion with its reasons and approves it.
    sign_in_organiser(client, organiser)
    page = client.get(reverse("admin:candidates_helprequest_change", args=[help_request.pk])).content.decode()
    assert "Jane Doe" in page
    assert "Skill 40.0 of 40" in page
    assert "0.0 miles" in page

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:matching_match_approve", args=[suggestion.pk]))
    assert response.status_code == 302
    client.logout()

    # The volunteer is offered the work, without the campaign's contact details.
    assert [message.to for message in mail.outbox] == [["vol@example.org"]]
    offer = mail.outbox[0]
    assert "A one-page website with our pledges." in offer.body
    assert "Asha" in offer.body, "the candidate's first name only"
    assert "Patel" not in offer.body
    assert "cand@example.org" not in offer.body
    assert "0121 496 0000" not in offer.body
    accept_path = OFFER_LINK.search(offer.body).group(1)

    # The volunteer follows the link and accepts.
    page = client.get(accept_path)
    assert page.status_code == 200
    assert "Can you help this campaign?" in page.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(accept_path.split("?")[0], {"answer": "accept"})
    assert response.status_code == 200
    assert "Thank you for saying yes" in response.content.decode()

    # Exactly two introductions, each naming the other side and the work.
    assert sorted(message.to[0] for message in mail.outbox) == ["cand@example.org", "vol@example.org"]
    to_volunteer = next(message for message in mail.outbox if message.to == ["vol@example.org"])
    to_candidate = next(message for message in mail.outbox if message.to == ["cand@example.org"])
    assert "Asha Patel" in to_volunteer.body
    assert "A one-page website with our pledges." in to_volunteer.body
    assert "cand@example.org" in to_volunteer.body
    assert "Jane Doe" in to_candidate.body
    assert "vol@example.org" in to_candidate.body
    assert "not a fit" in to_candidate.body

    help_request.refresh_from_db()
    assert help_request.status == HelpRequest.Status.MATCHED

    # Running the email tasks again sends nothing more, and the link works only once.
    for email in OutgoingEmail.objects.all():
        tasks.send_outgoing_email.apply(args=[email.pk])
    assert len(mail.outbox) == 2
    again = client.post(accept_path.split("?")[0], {"answer": "accept"})
    assert "You have already said yes" in again.content.decode()
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_unverified_volunteer_is_not_suggested(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("volunteer_signup"), valid_volunteer_signup(email="vol@example.org", skill_engineering="3"))
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("candidate_signup"), valid_candidate_signup(email="cand@example.org"))

    assert not Match.objects.exists()


@pytest.mark.django_db
def test_staff_without_approve_permission_cannot_approve(client):
    from matching.tests.factories import MatchFactory

    match = MatchFactory()
    staff_without_permission = UserFactory(email="viewer@example.org", is_staff=True)
    sign_in_organiser(client, staff_without_permission)

    response = client.post(reverse("admin:matching_match_approve", args=[match.pk]))

    assert response.status_code == 403
    match.refresh_from_db()
    assert match.status == Match.Status.SUGGESTED


@pytest.mark.django_db
def test_approve_needs_post(client, organiser):
    from matching.tests.factories import MatchFactory

    match = MatchFactory()
    sign_in_organiser(client, organiser)
    assert client.get(reverse("admin:matching_match_approve", args=[match.pk])).status_code == 405
