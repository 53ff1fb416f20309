"""Approving, rejecting and the outbox that sends each introduction once."""

import smtplib
from unittest import mock

import pytest
from django.core import mail

from accounts.models import Consent
from candidates.models import HelpRequest
from matching import emails, tasks
from matching.models import Match, MatchEvent, OutgoingEmail
from matching.services import MatchingError, accept_offer, approve_match, refresh_suggestions, reject_match
from matching.tests.factories import MatchFactory
from volunteers.tests.factories import VolunteerFactory


@pytest.fixture
def suggestion(db):
    volunteer = VolunteerFactory(full_name="Siobhán O'Neill-Ní Bhriain", bio="<b>Loves</b> data", skills={"data": 3})
    return MatchFactory(volunteer=volunteer, help_request__skill_area="data", help_request__candidate__full_name="张伟")


@pytest.mark.django_db
def test_approve_sends_offer_without_contact_details(suggestion, organiser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        approve_match(match_id=suggestion.pk, organiser=organiser)

    assert len(callbacks) == 1
    suggestion.refresh_from_db()
    assert suggestion.status == Match.Status.APPROVED
    assert suggestion.decided_by == organiser
    assert suggestion.offer_expires_at > suggestion.offered_at
    assert suggestion.help_request.status == HelpRequest.Status.OFFERED
    assert MatchEvent.objects.filter(match=suggestion, action="match.approved", actor=organiser).exists()

    assert [message.to for message in mail.outbox] == [[suggestion.volunteer.user.email]]
    offer = mail.outbox[0]
    candidate = suggestion.help_request.candidate
    assert candidate.user.email not in offer.body
    assert candidate.phone not in offer.body
    assert "张伟" in offer.body, "the candidate's first name is in the offer"
    assert offer.alternatives, "every email has an HTML part"


@pytest.mark.django_db
def test_accept_sends_two_introductions(suggestion, organiser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approve_match(match_id=suggestion.pk, organiser=organiser)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        accept_offer(match_id=suggestion.pk)

    assert len(callbacks) == 2
    suggestion.refresh_from_db()
    assert suggestion.status == Match.Status.ACCEPTED
    assert suggestion.help_request.status == HelpRequest.Status.MATCHED
    consent = Consent.objects.get(purpose=Consent.Purpose.SHARE_WITH_CAMPAIGN)
    assert consent.user == suggestion.volunteer.user
    assert consent.match == suggestion

    volunteer_email = suggestion.volunteer.user.email
    candidate_email = suggestion.help_request.candidate.user.email
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {volunteer_email, candidate_email}

    to_volunteer = by_recipient[volunteer_email]
    assert "Hello Siobhán O'Neill-Ní Bhriain," in to_volunteer.body
    assert candidate_email in to_volunteer.body
    assert "张伟" in to_volunteer.body

    to_candidate = by_recipient[candidate_email]
    assert volunteer_email in to_candidate.body
    assert "Siobhán O'Neill-Ní Bhriain" in to_candidate.body
    html = to_candidate.alternatives[0].content
    assert "&lt;b&gt;Loves&lt;/b&gt; data" in html, "free text is escaped in HTML email"


@pytest.mark.django_db
def test_email_task_run_twice_sends_once(suggestion, organiser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approve_match(match_id=suggestion.pk, organiser=organiser)
        accept_offer(match_id=suggestion.pk)
    assert len(mail.outbox) == 3

    for email in OutgoingEmail.objects.all():
        assert tasks.send_outgoing_email.apply(args=[email.pk]).get() is False

    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_approving_twice_is_refused(suggestion, organiser):
    approve_match(match_id=suggestion.pk, organiser=organiser)
    with pytest.raises(MatchingError, match="no longer a suggestion"):
        approve_match(match_id=suggestion.pk, organiser=organiser)
    assert OutgoingEmail.objects.count() == 1


@pytest.mark.django_db
def test_approval_respects_volunteer_limit(organiser):
    volunteer = VolunteerFactory(max_active_matches=1)
    first = MatchFactory(volunteer=volunteer)
    second = MatchFactory(volunteer=volunteer)
    approve_match(match_id=first.pk, organiser=organiser)

    with pytest.raises(MatchingError, match="their limit"):
        approve_match(match_id=second.pk, organiser=organiser)

    second.refresh_from_db()
    assert second.status == Match.Status.SUGGESTED


@pytest.mark.django_db
def test_reject_records_event_and_excludes_from_campaign(suggestion, organiser):
    reject_match(match_id=suggestion.pk, organiser=organiser, note="Not the right fit")

    suggestion.refresh_from_db()
    assert suggestion.status == Match.Status.REJECTED
    assert MatchEvent.objects.get(match=suggestion).note == "Not the right fit"
    refresh_suggestions(help_request=suggestion.help_request)
    assert not Match.objects.filter(help_request=suggestion.help_request, status=Match.Status.SUGGESTED).exists()


@pytest.mark.django_db
def test_transport_error_puts_email_back_for_retry(suggestion, organiser):
    approve_match(match_id=suggestion.pk, organiser=organiser)
    email = OutgoingEmail.objects.first()

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected("gone")):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            emails.send_outgoing_email(email.pk)

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING
    assert email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error

    assert emails.send_outgoing_email(email.pk) is True
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.sent_at is not None


@pytest.mark.django_db
def test_task_gives_up_after_retries_and_marks_failed(suggestion, organiser, monkeypatch):
    approve_match(match_id=suggestion.pk, organiser=organiser)
    email = OutgoingEmail.objects.first()
    # Let apply() run each retry in turn instead of raising the first Retry.
    monkeypatch.setitem(tasks.send_outgoing_email.app.conf, "task_eager_propagates", False)

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected("gone")):
        tasks.send_outgoing_email.apply(args=[email.pk])

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == tasks.send_outgoing_email.max_retries + 1
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_email_to_erased_person_is_marked_failed(suggestion, organiser):
    approve_match(match_id=suggestion.pk, organiser=organiser)
    user = suggestion.volunteer.user
    suggestion.volunteer.user = None
    suggestion.volunteer.save()
    user.delete()

    email = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.OFFER)
    assert emails.send_outgoing_email(email.pk) is False
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
