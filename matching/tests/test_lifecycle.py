"""Offers, replies, lapses and the signed links volunteers and campaigns follow."""

import threading
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from candidates.models import HelpRequest
from matching import followups, lifecycle
from matching.links import Action, make_token
from matching.models import Match, MatchEvent, OutgoingEmail
from matching.services import (
    MatchingError,
    accept_offer,
    approve_match,
    approve_shortlist,
    decline_offer,
    lapse_offer,
    record_result,
)
from matching.tests.factories import MatchFactory
from volunteers.tests.factories import VolunteerFactory

Status = Match.Status


def offer_path(match, user_id=None):
    user_id = match.volunteer.user_id if user_id is None else user_id
    return reverse(
        "respond_to_offer", args=[make_token(match_id=match.pk, action=Action.RESPOND_TO_OFFER, user_id=user_id)]
    )


@pytest.fixture
def offered(db, organiser):
    match = MatchFactory()
    approve_match(match_id=match.pk, organiser=organiser)
    match.refresh_from_db()
    return match


def test_every_status_has_an_event_name():
    for targets in lifecycle.ALLOWED_TRANSITIONS.values():
        for status in targets:
            assert status in lifecycle.EVENT_ACTIONS


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (Status.SUGGESTED, Status.ACCEPTED),
        (Status.REJECTED, Status.APPROVED),
        (Status.DECLINED, Status.ACCEPTED),
        (Status.LAPSED, Status.ACCEPTED),
        (Status.COMPLETED, Status.CANCELLED),
    ],
)
def test_disallowed_transitions(from_status, to_status):
    assert not lifecycle.can_move(from_status, to_status)


@pytest.mark.django_db
def test_move_records_actor_and_note(organiser):
    match = MatchFactory()
    lifecycle.move(match, Status.REJECTED, actor=organiser, note="Too far")
    event = MatchEvent.objects.get(match=match)
    assert (event.action, event.actor, event.note) == ("match.rejected", organiser, "Too far")


@pytest.mark.django_db
def test_move_from_stale_status_is_refused():
    match = MatchFactory()
    stale_copy = Match.objects.get(pk=match.pk)
    lifecycle.move(match, Status.REJECTED)
    with pytest.raises(lifecycle.InvalidTransition, match="changed while you were looking"):
        lifecycle.move(stale_copy, Status.APPROVED)
    assert Match.objects.get(pk=match.pk).status == Status.REJECTED


@pytest.mark.django_db
def test_offer_page_and_accept(client, offered, django_capture_on_commit_callbacks):
    page = client.get(offer_path(offered) + "?answer=accept")
    content = page.content.decode()
    assert page.status_code == 200
    assert offered.help_request.description in content
    assert offered.help_request.candidate.user.email not in content
    assert 'value="accept" checked' in content or 'checked value="accept"' in content or "checked" in content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(offer_path(offered), {"answer": "accept"})
    assert response.status_code == 200
    offered.refresh_from_db()
    assert offered.status == Status.ACCEPTED


@pytest.mark.django_db
def test_get_never_changes_anything(client, offered):
    client.get(offer_path(offered) + "?answer=accept")
    client.get(offer_path(offered) + "?answer=decline")
    offered.refresh_from_db()
    assert offered.status == Status.APPROVED


@pytest.mark.django_db
def test_decline_with_reason_reopens_request(client, offered, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(offer_path(offered), {"answer": "decline", "decline_reason": "too_far"})
    assert "Thank you for letting us know" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == Status.DECLINED
    assert offered.decline_reason == "too_far"
    assert offered.help_request.status == HelpRequest.Status.OPEN


@pytest.mark.django_db
def test_missing_answer_shows_error(client, offered):
    response = client.post(offer_path(offered), {})
    assert response.status_code == 400
    assert "Choose yes or no." in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == Status.APPROVED


@pytest.mark.django_db
def test_duplicate_link_use_is_rejected_without_change(client, offered):
    client.post(offer_path(offered), {"answer": "accept"})
    sent_before = OutgoingEmail.objects.count()

    again = client.post(offer_path(offered), {"answer": "decline"})

    assert again.status_code == 409
    assert "You have already said yes" in again.content.decode()
    offered.refresh_from_db()
    assert offered.status == Status.ACCEPTED
    assert OutgoingEmail.objects.count() == sent_before


@pytest.mark.django_db
def test_expired_link_is_rejected(client, offered):
    path = offer_path(offered)
    with freeze_time(timezone.now() + timedelta(days=5)):
        response = client.get(path)
        post = client.post(path, {"answer": "accept"})
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert post.status_code == 400
    offered.refresh_from_db()
    assert offered.status == Status.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mangle", [lambda token: token[:-3] + "abc", lambda token: token[:20], lambda token: "x" + token]
)
def test_tampered_link_is_rejected(client, offered, mangle):
    token = make_token(match_id=offered.pk, action=Action.RESPOND_TO_OFFER, user_id=offered.volunteer.user_id)
    response = client.post(reverse("respond_to_offer", args=[mangle(token)]), {"answer": "accept"})
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == Status.APPROVED


@pytest.mark.django_db
def test_token_for_another_action_is_rejected(client, offered):
    token = make_token(match_id=offered.pk, action=Action.CAMPAIGN_FEEDBACK, user_id=offered.volunteer.user_id)
    response = client.post(reverse("respond_to_offer", args=[token]), {"answer": "accept"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_forged_payload_with_another_key_is_rejected(client, offered):
    forged = signing.dumps({"m": offered.pk, "a": "offer", "u": None}, key="not-our-secret", salt="matching.links")
    response = client.post(reverse("respond_to_offer", args=[forged]), {"answer": "accept"})
    assert response.status_code == 400
    offered.refresh_from_db()
    assert offered.status == Status.APPROVED


@pytest.mark.django_db
def test_link_for_someone_else_is_rejected(client, offered):
    another_volunteer = VolunteerFactory()
    client.force_login(another_volunteer.user)
    response = client.post(offer_path(offered), {"answer": "accept"})
    assert response.status_code == 400
    assert "meant for someone else" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == Status.APPROVED


@pytest.mark.django_db
def test_owner_signed_in_may_use_link(client, offered):
    client.force_login(offered.volunteer.user)
    assert client.post(offer_path(offered), {"answer": "accept"}).status_code == 200


@pytest.mark.django_db
def test_shortlist_offers_next_after_decline(organiser, django_capture_on_commit_callbacks):
    first = MatchFactory(rank=1)
    second = MatchFactory(help_request=first.help_request, rank=2)
    third = MatchFactory(help_request=first.help_request, rank=3)

    with django_capture_on_commit_callbacks(execute=True):
        approve_shortlist(match_ids=[first.pk, second.pk, third.pk], organiser=organiser)
    assert Match.objects.get(pk=second.pk).status == Status.SHORTLISTED
    assert Match.objects.get(pk=third.pk).shortlist_position == 3
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        decline_offer(match_id=first.pk, reason="too_busy")

    second.refresh_from_db()
    assert second.status == Status.APPROVED
    assert [message.to for message in mail.outbox] == [[second.volunteer.user.email]]
    first.help_request.refresh_from_db()
    assert first.help_request.status == HelpRequest.Status.OFFERED

    accept_offer(match_id=second.pk)
    assert Match.objects.get(pk=third.pk).status == Status.CANCELLED


@pytest.mark.django_db
def test_shortlist_skips_volunteer_now_at_capacity(organiser):
    first = MatchFactory(rank=1)
    busy = MatchFactory(help_request=first.help_request, rank=2)
    approve_shortlist(match_ids=[first.pk, busy.pk], organiser=organiser)
    other = MatchFactory(volunteer=busy.volunteer)
    approve_match(match_id=other.pk, organiser=organiser)

    decline_offer(match_id=first.pk)

    busy.refresh_from_db()
    assert busy.status == Status.CANCELLED
    first.help_request.refresh_from_db()
    assert first.help_request.status == HelpRequest.Status.OPEN


@pytest.mark.django_db
def test_shortlist_must_be_one_request(organiser):
    with pytest.raises(MatchingError, match="one help request"):
        approve_shortlist(match_ids=[MatchFactory().pk, MatchFactory().pk], organiser=organiser)
    with pytest.raises(MatchingError, match="from 1 to 3"):
        approve_shortlist(match_ids=[], organiser=organiser)


@pytest.mark.django_db
def test_offer_lapses_after_answer_days(offered, settings):
    assert followups.lapse_expired_offers() == 0
    with freeze_time(timezone.now() + timedelta(days=settings.OFFER_ANSWER_DAYS, minutes=1)):
        assert followups.lapse_expired_offers() == 1
        assert followups.lapse_expired_offers() == 0
    offered.refresh_from_db()
    assert offered.status == Status.LAPSED
    offered.help_request.refresh_from_db()
    assert offered.help_request.status == HelpRequest.Status.OPEN


@pytest.mark.django_db
def test_click_after_lapse_tells_the_truth(client, offered, settings):
    with freeze_time(timezone.now() + timedelta(days=settings.OFFER_ANSWER_DAYS, minutes=1)):
        followups.lapse_expired_offers()
        response = client.post(offer_path(offered), {"answer": "accept"})
    assert response.status_code == 409
    assert "This offer has lapsed" in response.content.decode()
    assert not OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE).exists()


@pytest.mark.django_db
def test_accept_before_lapse_wins(offered, settings):
    accept_offer(match_id=offered.pk)
    with freeze_time(timezone.now() + timedelta(days=settings.OFFER_ANSWER_DAYS, minutes=1)):
        assert followups.lapse_expired_offers() == 0
        with pytest.raises(MatchingError):
            lapse_offer(match_id=offered.pk)
    offered.refresh_from_db()
    assert offered.status == Status.ACCEPTED


@pytest.mark.django_db
def test_one_reminder_half_way(offered, settings, django_capture_on_commit_callbacks):
    assert followups.send_offer_reminders() == 0
    half_way = timedelta(days=settings.OFFER_ANSWER_DAYS) / 2
    with freeze_time(timezone.now() + half_way + timedelta(minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert followups.send_offer_reminders() == 1
            assert followups.send_offer_reminders() == 0
    reminder = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.OFFER_REMINDER)
    assert reminder.status == OutgoingEmail.Status.SENT


@pytest.mark.django_db
def test_check_ins_once_a_week_after_introduction(offered, settings):
    accept_offer(match_id=offered.pk)
    assert followups.send_check_ins() == 0
    with freeze_time(timezone.now() + timedelta(days=settings.CHECK_IN_AFTER_DAYS, minutes=1)):
        assert followups.send_check_ins() == 2
        assert followups.send_check_ins() == 0


@pytest.mark.django_db
def test_result_requested_once_after_polling_day(offered):
    accept_offer(match_id=offered.pk)
    polling_day = offered.help_request.candidate.election.polling_day
    assert followups.request_results() == 0
    with freeze_time(polling_day + timedelta(days=1)):
        assert followups.request_results() == 1
        assert followups.request_results() == 0


@pytest.mark.django_db
def test_campaign_records_result_by_link(client, offered):
    accept_offer(match_id=offered.pk)
    candidate_user_id = offered.help_request.candidate.user_id
    token = make_token(match_id=offered.pk, action=Action.CAMPAIGN_FEEDBACK, user_id=candidate_user_id)
    path = reverse("campaign_feedback", args=[token])

    missing = client.post(path, {"action": "result"})
    assert "Choose won or lost." in missing.content.decode()

    client.post(path, {"action": "result", "result": "won", "feedback": "<b>Brilliant</b> help"})
    offered.refresh_from_db()
    assert (offered.status, offered.result, offered.feedback) == (Status.COMPLETED, "won", "<b>Brilliant</b> help")


@pytest.mark.django_db
def test_campaign_says_not_a_fit(client, offered, django_capture_on_commit_callbacks):
    accept_offer(match_id=offered.pk)
    token = make_token(
        match_id=offered.pk, action=Action.CAMPAIGN_FEEDBACK, user_id=offered.help_request.candidate.user_id
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("campaign_feedback", args=[token]), {"action": "not_a_fit"})
    offered.refresh_from_db()
    assert offered.status == Status.CANCELLED
    offered.help_request.refresh_from_db()
    assert offered.help_request.status == HelpRequest.Status.OPEN


@pytest.mark.django_db
def test_result_needs_an_introduction(offered):
    with pytest.raises(MatchingError, match="has no result"):
        record_result(match_id=offered.pk, result="won")


@pytest.mark.django_db
def test_requeue_sends_email_left_pending(offered, settings, django_capture_on_commit_callbacks):
    OutgoingEmail.objects.update(status=OutgoingEmail.Status.PENDING, sent_at=None)
    mail.outbox.clear()
    assert followups.requeue_unsent_emails() == 0, "too recent to requeue"

    with freeze_time(timezone.now() + timedelta(seconds=settings.EMAIL_REQUEUE_AFTER_SECONDS + 1)):
        assert followups.requeue_unsent_emails() == 1
    assert len(mail.outbox) == 1
    assert followups.requeue_unsent_emails() == 0


@pytest.mark.django_db
def test_email_claimed_by_dead_worker_is_sent_after_timeout(offered, settings):
    from matching.emails import EmailBusy, send_outgoing_email

    email = OutgoingEmail.objects.get()
    OutgoingEmail.objects.filter(pk=email.pk).update(status=OutgoingEmail.Status.SENDING, claimed_at=timezone.now())
    mail.outbox.clear()

    with pytest.raises(EmailBusy):
        send_outgoing_email(email.pk)
    with freeze_time(timezone.now() + timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT_SECONDS + 1)):
        assert send_outgoing_email(email.pk) is True
    assert len(mail.outbox) == 1


def run_in_threads(functions):
    """Run each function in its own thread and database connection, all at once; return results or errors."""
    barrier = threading.Barrier(len(functions))
    outcomes = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            outcomes[index] = function()
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index, function)) for index, function in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_organisers_approving_at_once_send_one_offer(organiser):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite locks the whole database")
    match = MatchFactory()

    outcomes = run_in_threads([lambda: approve_match(match_id=match.pk, organiser=organiser)] * 2)

    assert sum(isinstance(outcome, Match) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, MatchingError) for outcome in outcomes) == 1
    assert OutgoingEmail.objects.filter(match=match, kind=OutgoingEmail.Kind.OFFER).count() == 1
    assert MatchEvent.objects.filter(match=match, action="match.approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_respect_volunteer_limit(organiser):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite locks the whole database")
    volunteer = VolunteerFactory(max_active_matches=2)
    matches = [MatchFactory(volunteer=volunteer) for _ in range(5)]

    outcomes = run_in_threads(
        [lambda match_id=match.pk: approve_match(match_id=match_id, organiser=organiser) for match in matches]
    )

    assert sum(isinstance(outcome, Match) for outcome in outcomes) == 2
    assert Match.objects.active().filter(volunteer=volunteer).count() == 2


@pytest.mark.django_db(transaction=True)
def test_accept_and_lapse_at_once_have_one_outcome(organiser, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite locks the whole database")
    match = MatchFactory()
    approve_match(match_id=match.pk, organiser=organiser)
    Match.objects.filter(pk=match.pk).update(offer_expires_at=timezone.now() - timedelta(minutes=1))

    outcomes = run_in_threads([lambda: accept_offer(match_id=match.pk), lambda: lapse_offer(match_id=match.pk)])

    assert sum(isinstance(outcome, Match) for outcome in outcomes) == 1
    match.refresh_from_db()
    assert match.status in {Status.ACCEPTED, Status.LAPSED}
    introductions = OutgoingEmail.objects.filter(match=match, kind=OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER)
    assert introductions.exists() == (match.status == Status.ACCEPTED)


@pytest.mark.django_db(transaction=True)
def test_approval_and_close_at_once_leave_no_offer_on_closed_request(organiser):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite locks the whole database")
    from matching.services import close_help_request

    for _ in range(5):
        match = MatchFactory()

        run_in_threads(
            [
                lambda match_id=match.pk: approve_match(match_id=match_id, organiser=organiser),
                lambda request_id=match.help_request_id: close_help_request(help_request_id=request_id, note="Closed"),
            ]
        )

        help_request = HelpRequest.objects.get(pk=match.help_request_id)
        assert help_request.status == HelpRequest.Status.CLOSED
        offers_left = Match.objects.filter(help_request=help_request, status=Status.APPROVED)
        assert not offers_left.exists(), "an offer was left on a closed request"
