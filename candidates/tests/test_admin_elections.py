"""The ballot admin: imports, adding, confirming and merging ballots, invitations, urgency and call-outs."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Consent
from accounts.tests.helpers import sign_in_organiser
from candidates.models import CallOut, Candidate, Election, HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from candidates.tests.test_importers import dc_file, dc_row
from volunteers.tests.factories import UserFactory, VolunteerFactory

CHANGELIST = reverse("admin:candidates_election_changelist")
IMPORT_DC = reverse("admin:candidates_election_import_democracy_club")
IMPORT_BALLOTS = reverse("admin:candidates_election_import_ballots")


def upload(content: io.BytesIO, name="candidates.csv"):
    return SimpleUploadedFile(name, content.getvalue(), content_type="text/csv")


@pytest.mark.django_db
def test_changelist_offers_imports(organiser_client):
    ElectionFactory(council="Leeds", ward="Armley")

    content = organiser_client.get(CHANGELIST).content.decode()

    assert "local.leeds.armley." in content
    assert IMPORT_DC in content
    assert IMPORT_BALLOTS in content


@pytest.mark.django_db
def test_import_democracy_club_file(organiser_client):
    response = organiser_client.post(IMPORT_DC, {"file": upload(dc_file(dc_row()))}, follow=True)

    content = response.content.decode()
    assert "Imported. 1 ballot(s) added" in content
    assert Candidate.objects.get().full_name == "Asha Patel"


@pytest.mark.django_db
def test_import_lists_every_row_error(organiser_client):
    file = dc_file(dc_row(), dc_row(person_id="abc"), dc_row(election_date="2030-05-09"))

    response = organiser_client.post(IMPORT_DC, {"file": upload(file)})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported: 2 problems in the file" in content
    assert "Row 3, person_id" in content
    assert "Row 4, election_date" in content
    assert Election.objects.count() == 0


@pytest.mark.django_db
def test_import_refuses_other_files(organiser_client):
    response = organiser_client.post(IMPORT_BALLOTS, {"file": upload(io.BytesIO(b"x"), name="ballots.xlsx")})

    assert "is not a .csv file" in response.content.decode()
    response = organiser_client.post(IMPORT_BALLOTS, {})
    assert "Choose a CSV file to upload" in response.content.decode()


@pytest.mark.django_db
def test_import_ballots_file(organiser_client):
    poll = timezone.localdate() + timedelta(days=30)
    file = io.BytesIO(f"type,council,ward,polling_day\nLocal,Leeds,Armley,{poll.isoformat()}\n".encode())

    organiser_client.post(IMPORT_BALLOTS, {"file": upload(file, name="ballots.csv")})

    assert Election.objects.get().ballot_id == f"local.leeds.armley.{poll.isoformat()}"


@pytest.mark.django_db
def test_import_needs_permission(client, organiser):
    sign_in_organiser(client, organiser)

    assert client.get(IMPORT_DC).status_code == 403


@pytest.mark.django_db
def test_add_ballot_builds_identifier(organiser_client):
    poll = timezone.localdate() + timedelta(days=30)
    data = {
        "election_type": "local",
        "subtype": "",
        "council": "Leeds City Council",
        "ward": "Headingley & Hyde Park",
        "polling_day": poll.isoformat(),
        "country": "england",
        "seats_contested": "",
        "candidates-TOTAL_FORMS": "0",
        "candidates-INITIAL_FORMS": "0",
    }

    organiser_client.post(reverse("admin:candidates_election_add"), data)
    again = organiser_client.post(reverse("admin:candidates_election_add"), data)

    election = Election.objects.get()
    assert election.ballot_id == f"local.leeds.headingley-hyde-park.{poll.isoformat()}"
    assert election.source == Election.Source.ORGANISER
    assert "already exists" in again.content.decode()


@pytest.mark.django_db
def test_change_page_shows_key_dates(organiser_client):
    election = ElectionFactory()

    content = organiser_client.get(reverse("admin:candidates_election_change", args=[election.pk])).content.decode()

    assert "Deadline to apply for a postal vote" in content
    assert f"{election.postal_vote_deadline:%A %-d %B %Y}" in content


@pytest.mark.django_db
def test_confirm_action(organiser_client):
    named = ElectionFactory(is_confirmed=False)

    organiser_client.post(CHANGELIST, {"action": "confirm_selected", "_selected_action": [named.pk]})

    named.refresh_from_db()
    assert named.is_confirmed


@pytest.mark.django_db
def test_merge_view(organiser_client):
    duplicate = ElectionFactory(is_confirmed=False)
    right = ElectionFactory()
    candidate = CandidateFactory(election=duplicate)
    url = reverse("admin:candidates_election_merge", args=[duplicate.pk])

    wrong = organiser_client.post(url, {"into": "local.nowhere.nothing.2030-01-01"})
    assert "No ballot has the identifier" in wrong.content.decode()

    organiser_client.post(url, {"into": right.ballot_id.upper()})

    candidate.refresh_from_db()
    assert candidate.election == right


@pytest.mark.django_db
def test_invite_view(organiser_client, django_capture_on_commit_callbacks):
    imported = CandidateFactory(user=None, democracy_club_person_id=5, invitation_email="")
    url = reverse("admin:candidates_election_invite", args=[imported.pk])

    page = organiser_client.get(url).content.decode()
    assert "/campaigns/join/" in page
    missing = organiser_client.post(url, {"email": ""})
    assert "none is held yet" in missing.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(url, {"email": "asha@example.org"})

    assert [message.to for message in mail.outbox] == [["asha@example.org"]]


@pytest.mark.django_db
def test_urgency_list_sorted_by_urgency(organiser_client):
    today = timezone.localdate()
    later = HelpRequestFactory(needed_by=today + timedelta(days=20))
    sooner = HelpRequestFactory(needed_by=today + timedelta(days=2))
    HelpRequestFactory(needed_by=today + timedelta(days=1), status=HelpRequest.Status.MATCHED)

    content = organiser_client.get(reverse("admin:candidates_urgenthelprequest_changelist")).content.decode()

    assert content.index(f"Help request #{sooner.pk}<") < content.index(f"Help request #{later.pk}<")
    assert content.count("Send a call-out") == 2
    assert reverse("admin:candidates_callout_send", args=[sooner.pk]) in content


@pytest.mark.django_db
def test_callout_checked_then_sent(organiser_client, django_capture_on_commit_callbacks):
    help_request = HelpRequestFactory(work_mode=HelpRequest.WorkMode.IN_PERSON)
    volunteer = VolunteerFactory(work_mode="in_person")
    Consent.objects.create(
        user=volunteer.user, purpose=Consent.Purpose.NEWS, notice_version="test", method=Consent.Method.SIGNUP_FORM
    )
    url = reverse("admin:candidates_callout_send", args=[help_request.pk])

    checked = organiser_client.post(url, {"radius_miles": "25", "message": "", "check": "1"})
    assert "This call-out reaches 1 volunteer." in checked.content.decode()
    assert CallOut.objects.count() == 0

    bad = organiser_client.post(url, {"radius_miles": "ten", "send": "1"})
    assert "whole number of miles" in bad.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(url, {"radius_miles": "25", "message": "Thank you", "send": "1"})

    callout = CallOut.objects.get()
    assert callout.recipient_count == 1
    assert [message.to for message in mail.outbox] == [[volunteer.user.email]]


@pytest.mark.django_db
def test_callout_needs_approve_permission(client):
    staff = UserFactory(is_staff=True)
    sign_in_organiser(client, staff)
    help_request = HelpRequestFactory()

    assert client.get(reverse("admin:candidates_callout_send", args=[help_request.pk])).status_code == 403
