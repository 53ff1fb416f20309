"""Inviting an imported candidate, and linking the account they make to their imported record."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from candidates import invitations
from candidates.invitations import InvitationError, invite_candidate, send_invitation
from candidates.models import Candidate, HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory
from candidates.tests.test_signup import valid_signup

INVITATION_LINK = re.compile(r"https?://testserver(/campaigns/join/[^/\s]+/)")


@pytest.fixture
def imported(db):
    """A candidate imported from Democracy Club: no account, no postcode, a public email address."""
    election = ElectionFactory(council="Birmingham", ward="Acocks Green")
    return CandidateFactory(
        user=None,
        election=election,
        democracy_club_person_id=101,
        full_name="Asha Patel",
        invitation_email="asha@example.org",
        postcode="",
        grid="",
        easting=None,
        northing=None,
        local_authority_code="",
        phone="",
    )


def invited_signup(**overrides):
    """Signup data from the invitation page, which asks nothing about the ballot."""
    data = valid_signup(email="asha.patel@example.org", **overrides)
    for name in ("council", "ward", "polling_day"):
        data.pop(name)
    return data


@pytest.fixture
def invitation_path(imported, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite_candidate(candidate=imported)
    return INVITATION_LINK.search(mail.outbox[-1].body).group(1)


@pytest.mark.django_db
def test_invitation_is_sent_once(imported, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite_candidate(candidate=imported)

    assert [message.to for message in mail.outbox] == [["asha@example.org"]]
    assert "Acocks Green" in mail.outbox[0].subject
    imported.refresh_from_db()
    assert imported.invitation_sent_at is not None
    assert send_invitation(imported.pk) is False, "a second run of the task sends nothing"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_invitation_to_new_address(imported, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite_candidate(candidate=imported, email="agent@example.org")

    assert mail.outbox[0].to == ["agent@example.org"]


@pytest.mark.django_db
def test_invitation_needs_an_address(imported):
    Candidate.objects.filter(pk=imported.pk).update(invitation_email="")
    imported.refresh_from_db()

    with pytest.raises(InvitationError, match="no email address"):
        invite_candidate(candidate=imported)


@pytest.mark.django_db
def test_no_invitation_for_candidate_with_account():
    with pytest.raises(InvitationError, match="already has an account"):
        invite_candidate(candidate=CandidateFactory())


@pytest.mark.django_db
def test_failed_send_can_be_retried(imported):
    invite_candidate(candidate=imported)

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionError("down")):
        with pytest.raises(ConnectionError):
            send_invitation(imported.pk)
    imported.refresh_from_db()
    assert imported.invitation_sent_at is None

    assert send_invitation(imported.pk) is True
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_invitation_page_asks_nothing_about_the_ballot(client, invitation_path):
    response = client.get(invitation_path)

    content = response.content.decode()
    assert response.status_code == 200
    assert "You are standing in" in content
    assert 'value="Asha Patel"' in content
    assert 'name="ward"' not in content
    assert 'name="ballot_query"' not in content
    assert "Key dates for this ballot" in content


@pytest.mark.django_db
def test_signup_links_the_imported_record(client, imported, invitation_path):
    response = client.post(invitation_path, invited_signup())

    assert response.status_code == 302
    assert Candidate.objects.count() == 1
    imported.refresh_from_db()
    assert imported.user.email == "asha.patel@example.org"
    assert imported.democracy_club_person_id == 101
    assert imported.postcode == "B1 1AY"
    assert imported.easting is not None
    assert HelpRequest.objects.get().candidate == imported


@pytest.mark.django_db
def test_used_invitation_stops_working(client, invitation_path):
    client.post(invitation_path, invited_signup())
    client.logout()

    response = client.get(invitation_path)

    assert response.status_code == 400
    assert "already been used" in response.content.decode()


@pytest.mark.django_db
def test_invitation_used_during_signup(client, imported, invitation_path):
    """Two people signing up with one link: the second is told, and nothing of theirs is saved."""
    page = client.get(invitation_path)
    assert page.status_code == 200
    other = User.objects.create_user("first@example.org", "correct-horse-battery-staple")
    real_read = invitations.read_invitation

    def read_then_lose_race(token):
        candidate = real_read(token)
        Candidate.objects.filter(pk=candidate.pk).update(user=other)
        return candidate

    with mock.patch("candidates.views.read_invitation", side_effect=read_then_lose_race):
        response = client.post(invitation_path, invited_signup())

    assert response.status_code == 409
    assert not User.objects.filter(email="asha.patel@example.org").exists()
    assert HelpRequest.objects.count() == 0


@pytest.mark.django_db
def test_tampered_invitation(client, invitation_path):
    response = client.get(invitation_path.replace("/join/", "/join/x"))

    assert response.status_code == 400
    assert "changed or cut short" in response.content.decode()


@pytest.mark.django_db
def test_invitation_expires(client, invitation_path):
    with freeze_time(timezone.now() + timedelta(days=invitations.INVITATION_DAYS + 1)):
        response = client.get(invitation_path)

    assert response.status_code == 400
    assert "expired" in response.content.decode()


@pytest.mark.django_db
def test_invitation_after_polling_day(client, imported, invitation_path):
    election = imported.election
    election.polling_day = timezone.localdate() + timedelta(days=5)
    election.save()

    with freeze_time(election.polling_day + timedelta(days=1)):
        response = client.get(invitation_path)

    assert response.status_code == 410
