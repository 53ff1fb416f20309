"""Erasure: one step, no trace of the person left, anonymised rows kept so counts stay right."""

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Consent, PrivacyAuditEntry, SignedInSession, User
from accounts.privacy import ErasureRefused, erase_person
from accounts.tests.conftest import VOLUNTEER_NAME
from accounts.tests.helpers import enable_two_factor, sign_in
from candidates.models import Candidate, HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching import services, tasks
from matching.models import Match, MatchEvent, OutgoingEmail
from matching.tests.factories import MatchFactory
from volunteers.models import Volunteer, VolunteerLink, VolunteerSkill
from volunteers.tests.factories import DEFAULT_PASSWORD, UserFactory, VolunteerFactory, days_from_today

DELETE_URL = reverse("delete_account")
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def rows_containing(text: str) -> list[str]:
    """Every model column, on every table, whose value contains this text in any letter case."""
    hits = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            matching = model._default_manager.annotate(as_text=Cast(field.name, models.TextField())).filter(
                as_text__icontains=text
            )
            if matching.exists():
                hits.append(f"{model._meta.label}.{field.name}")
    for session in Session.objects.all():
        if text.lower() in json.dumps(session.get_decoded(), default=str).lower():
            hits.append(f"session {session.pk[:6]}…")
    return hits


def give_the_volunteer_a_history(user, organiser):
    """An accepted match with queued introductions, feedback naming them, and admin log entries about them."""
    volunteer = user.volunteer
    help_request = HelpRequestFactory(skill_area="engineering")
    services.refresh_suggestions(help_request=help_request)
    match = Match.objects.get(help_request=help_request, volunteer=volunteer)
    services.approve_match(match_id=match.pk, organiser=organiser)
    services.accept_offer(match_id=match.pk)

    address = user.email
    Match.objects.filter(pk=match.pk).update(feedback=f"Great work; reach {address} for more.")
    OutgoingEmail.objects.filter(match=match).update(last_error=f"SMTP 550: mailbox {address} is full")
    email_address = EmailAddress.objects.get(user=user)
    LogEntry.objects.log_actions(organiser.pk, [email_address], ADDITION, change_message="", single_object=True)
    LogEntry.objects.log_actions(
        organiser.pk,
        [user],
        CHANGE,
        change_message=json.dumps(
            [{"changed": {"fields": ["First name"]}}, {"added": {"name": "email address", "object": address}}]
        ),
        single_object=True,
    )
    return match


@pytest.mark.django_db
def test_erasure_leaves_no_trace_of_the_email(client, signed_up_volunteer, organiser):
    user = signed_up_volunteer
    address = user.email
    match = give_the_volunteer_a_history(user, organiser)
    enable_two_factor(user)
    other_device = Client()
    sign_in(other_device, user, password="correct-horse-battery-staple")
    assert rows_containing(address), "the test must start with the address stored somewhere"

    response = client.post(DELETE_URL, {"confirm": "on"})

    assert response.status_code == 302
    assert rows_containing(address) == []
    assert rows_containing(VOLUNTEER_NAME) == []
    assert Match.objects.filter(pk=match.pk).exists(), "the match stays for the network's counts"


@pytest.mark.django_db
def test_erasure_keeps_anonymised_rows(client, signed_up_volunteer, organiser):
    user = signed_up_volunteer
    volunteer = user.volunteer
    match = give_the_volunteer_a_history(user, organiser)
    consent_count = Consent.objects.filter(user=user).count()
    skills = list(VolunteerSkill.objects.filter(volunteer=volunteer).values_list("area", flat=True))

    client.post(DELETE_URL, {"confirm": "on"})

    assert not User.objects.filter(pk=user.pk).exists()
    volunteer.refresh_from_db()
    assert volunteer.anonymised_at is not None
    assert volunteer.user is None
    assert (volunteer.full_name, volunteer.postcode, volunteer.bio, volunteer.party_relationship) == ("", "", "", "")
    assert (volunteer.easting, volunteer.northing) == (None, None)
    assert volunteer.local_authority_code == "E08000025", "the council area identifies nobody and is kept"
    assert not VolunteerLink.objects.filter(volunteer=volunteer).exists()
    assert list(VolunteerSkill.objects.filter(volunteer=volunteer).values_list("area", flat=True)) == skills
    match.refresh_from_db()
    assert match.volunteer_id == volunteer.pk
    assert match.status == Match.Status.CANCELLED, "an introduction for an election ahead is cancelled"
    assert match.feedback == ""
    assert Consent.objects.filter(user__isnull=True).count() == consent_count
    assert not Volunteer.objects.matchable().filter(pk=volunteer.pk).exists()


@pytest.mark.django_db
def test_erasure_removes_addresses_authenticators_and_sessions(client, signed_up_volunteer):
    user = signed_up_volunteer
    enable_two_factor(user)
    other_device = Client()
    sign_in(other_device, user, password="correct-horse-battery-staple")
    assert SignedInSession.objects.filter(user=user).count() == 2

    client.post(DELETE_URL, {"confirm": "on"})

    assert not EmailAddress.objects.filter(user_id=user.pk).exists()
    assert not Authenticator.objects.filter(user_id=user.pk).exists()
    assert not SignedInSession.objects.exists()
    assert other_device.get(reverse("volunteer_profile")).status_code == 302, "the other device is signed out"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_queued_emails_are_not_sent(client, signed_up_volunteer, organiser):
    match = give_the_volunteer_a_history(signed_up_volunteer, organiser)
    unsent = list(OutgoingEmail.objects.filter(match=match, status=OutgoingEmail.Status.PENDING))
    assert {email.kind for email in unsent} == {
        OutgoingEmail.Kind.OFFER,
        OutgoingEmail.Kind.INTRODUCTION_TO_VOLUNTEER,
        OutgoingEmail.Kind.INTRODUCTION_TO_CANDIDATE,
    }
    mail.outbox.clear()

    client.post(DELETE_URL, {"confirm": "on"})
    for email in unsent:
        tasks.send_outgoing_email.apply(args=[email.pk])

    assert mail.outbox == []
    statuses = set(OutgoingEmail.objects.filter(pk__in=[email.pk for email in unsent]).values_list("status", flat=True))
    assert statuses == {OutgoingEmail.Status.CANCELLED}


@pytest.mark.django_db
def test_admin_log_entries_are_scrubbed(client, signed_up_volunteer, organiser):
    give_the_volunteer_a_history(signed_up_volunteer, organiser)
    user_id = signed_up_volunteer.pk

    client.post(DELETE_URL, {"confirm": "on"})

    entries = list(LogEntry.objects.order_by("id"))
    assert len(entries) == 2, "entries stay, so the organiser's actions are still accounted for"
    assert entries[1].object_repr == f"user #{user_id} ([erased])"
    assert entries[1].user_id == organiser.pk
    assert json.loads(entries[1].change_message) == [
        {"changed": {"fields": ["First name"]}},
        {"added": {"name": "email address", "object": "[erased]"}},
    ]


@pytest.mark.django_db
def test_erasure_is_recorded_in_the_audit_trail(client, signed_up_volunteer):
    user_id = signed_up_volunteer.pk
    volunteer_id = signed_up_volunteer.volunteer.pk

    client.post(DELETE_URL, {"confirm": "on"})

    entry = PrivacyAuditEntry.objects.get()
    assert entry.action == PrivacyAuditEntry.Action.ERASURE
    assert entry.requested_by == PrivacyAuditEntry.RequestedBy.PERSON
    assert entry.subject_user_id == user_id
    assert entry.target == f"User #{user_id}, Volunteer #{volunteer_id}"


@pytest.mark.django_db
def test_erasure_needs_the_confirmation_box(client, signed_up_volunteer):
    response = client.post(DELETE_URL, {})

    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    assert page.count("Tick the box to confirm that you want to delete your account.") == 2
    assert User.objects.filter(pk=signed_up_volunteer.pk).exists()


@pytest.mark.django_db
def test_delete_page_asks_for_confirmation(client, signed_up_volunteer):
    response = client.get(DELETE_URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Delete my account" in response.content.decode()


@pytest.mark.django_db
def test_delete_page_needs_sign_in(client):
    response = client.get(DELETE_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_staff_cannot_erase_themselves(client):
    staff = UserFactory(is_staff=True)
    enable_two_factor(staff)
    sign_in(client, staff)

    response = client.post(DELETE_URL, {"confirm": "on"})

    assert response.status_code == 403
    assert User.objects.filter(pk=staff.pk).exists()
    with pytest.raises(ErasureRefused, match="Remove their staff and superuser status first"):
        erase_person(user=staff)


@pytest.mark.django_db
def test_pending_offer_passes_to_shortlist(organiser):
    help_request = HelpRequestFactory(skill_area="engineering")
    first = MatchFactory(help_request=help_request, rank=1)
    second = MatchFactory(help_request=help_request, rank=2)
    services.approve_shortlist(match_ids=[first.pk, second.pk], organiser=organiser)

    erase_person(user=first.volunteer.user)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Match.Status.DECLINED
    assert second.status == Match.Status.APPROVED
    assert OutgoingEmail.objects.filter(match=second, kind=OutgoingEmail.Kind.OFFER).exists()


@pytest.mark.django_db
def test_suggestions_of_the_volunteer_are_dropped():
    suggestion = MatchFactory()

    erase_person(user=suggestion.volunteer.user)

    assert not Match.objects.filter(pk=suggestion.pk).exists()


@pytest.mark.django_db
def test_match_for_a_past_election_keeps_its_status(organiser):
    election = ElectionFactory(polling_day=days_from_today(-30))
    help_request = HelpRequestFactory(candidate=CandidateFactory(election=election), needed_by=days_from_today(-40))
    match = MatchFactory(help_request=help_request, status=Match.Status.COMPLETED, result=Match.Result.WON)

    erase_person(user=match.volunteer.user)

    match.refresh_from_db()
    assert match.status == Match.Status.COMPLETED
    assert match.result == Match.Result.WON


@pytest.mark.django_db
def test_candidate_erasure_closes_requests_and_frees_volunteers(organiser):
    help_request = HelpRequestFactory(description="Call Asha on 07700 900123 about the leaflets.")
    match = MatchFactory(help_request=help_request)
    services.approve_match(match_id=match.pk, organiser=organiser)
    services.accept_offer(match_id=match.pk)
    candidate = help_request.candidate
    address = candidate.user.email

    erase_person(user=candidate.user, actor=organiser)
    assert PrivacyAuditEntry.objects.get().requested_by == PrivacyAuditEntry.RequestedBy.ORGANISER

    candidate.refresh_from_db()
    help_request.refresh_from_db()
    match.refresh_from_db()
    assert candidate.anonymised_at is not None
    assert (candidate.full_name, candidate.contact_name, candidate.phone, candidate.postcode) == ("", "", "", "")
    assert help_request.description == ""
    assert help_request.status == HelpRequest.Status.CLOSED
    assert match.status == Match.Status.CANCELLED
    assert not Match.objects.active().filter(volunteer=match.volunteer).exists()
    assert rows_containing(address) == []
    assert set(OutgoingEmail.objects.filter(match=match).values_list("status", flat=True)) == {
        OutgoingEmail.Status.CANCELLED
    }


@pytest.mark.django_db
def test_other_peoples_text_loses_the_address():
    match = MatchFactory()
    doomed = VolunteerFactory()
    address = doomed.user.email
    MatchEvent.objects.create(match=match, action="match.note", note=f"Ask {address.upper()} instead")

    erase_person(user=doomed.user)

    assert MatchEvent.objects.get(match=match).note == "Ask [erased] instead"


@pytest.mark.django_db
def test_anonymised_candidate_is_not_erased_twice():
    candidate = CandidateFactory(anonymised_at=timezone.now())
    user = candidate.user

    erase_person(user=user)

    assert Candidate.objects.filter(pk=candidate.pk, anonymised_at__isnull=False).exists()
    assert not User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
def test_admin_erasure_asks_then_erases(organiser_client):
    person = VolunteerFactory().user
    changelist = reverse("admin:accounts_user_changelist")
    selection = {"action": "erase_personal_data", "_selected_action": [person.pk]}

    confirmation = organiser_client.post(changelist, selection)

    assert confirmation.status_code == 200
    assert "Yes, erase their personal data" in confirmation.content.decode()
    assert User.objects.filter(pk=person.pk).exists()

    response = organiser_client.post(changelist, {**selection, "confirm_erasure": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=person.pk).exists()
    entry = PrivacyAuditEntry.objects.get()
    assert entry.actor == organiser_client.user
    assert entry.requested_by == PrivacyAuditEntry.RequestedBy.ORGANISER


@pytest.mark.django_db
def test_admin_erasure_needs_its_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(*_permissions("view_user"))
    enable_two_factor(viewer)
    sign_in(client, viewer, password=DEFAULT_PASSWORD)
    person = VolunteerFactory().user

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "erase_personal_data", "_selected_action": [person.pk], "confirm_erasure": "yes"},
    )

    assert User.objects.filter(pk=person.pk).exists()


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
