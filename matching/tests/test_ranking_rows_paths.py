"""Ranking rows after the paths people take through the site, the admin and the scheduled jobs.

Each test drives one path the way a person or a beat job does, then compares
every stored ranking row with what `ranking_rows.rows_for` builds from the
records. A failure lists the rows that are stored but not supported by the
records, or called for by the records but missing.
"""

import datetime
import re
import threading

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Consent
from accounts.privacy import retention
from accounts.roles import ORGANISERS_GROUP
from accounts.tests.helpers import sign_in, sign_in_organiser
from candidates import polling_day
from candidates.models import HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching import callouts, followups, services
from matching.callouts import Reach
from matching.links import campaign_url
from matching.models import Match, RankingRow
from matching.postcodes import METRES_PER_MILE
from matching.tests.factories import MatchFactory
from matching.tests.test_ranking_rows import expected_rows, stored_rows
from volunteers.models import Volunteer, WorkMode
from volunteers.tests.factories import (
    BIRMINGHAM_EASTING,
    BIRMINGHAM_NORTHING,
    DEFAULT_PASSWORD,
    UserFactory,
    VolunteerFactory,
)
from volunteers.tests.test_import import GOOGLE_FORMS_HEADERS, csv_bytes, google_row
from volunteers.tests.test_signup import valid_signup

CONFIRM_LINK = re.compile(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)")
OFFER_LINK = re.compile(r"Say yes: https?://testserver(/matches/offer/\S+)")
CALLOUT_LINK = re.compile(r"https?://testserver(/campaigns/call-outs/[^/\s]+/)")


def assert_rows_match_records():
    stored = stored_rows()
    expected = expected_rows()
    assert stored - expected == set(), "stored rows that the records no longer support"
    assert expected - stored == set(), "rows the records call for that are not stored"


def superuser_client() -> Client:
    """A client signed in, with two factors, as a superuser.

    The Organisers group may not change volunteers or email addresses, so those admin pages are a superuser's.
    """
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    sign_in_organiser(client, user)
    client.user = user
    return client


def organiser_client() -> Client:
    """A client signed in, with two factors, as a member of the Organisers group."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
    client = Client()
    sign_in_organiser(client, user)
    client.user = user
    return client


def _form_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def admin_change_form_data(response) -> dict:
    """Collect what an admin change page would post back unchanged: its form fields and every inline."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[name] = _form_value(form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data[inline_form.add_prefix(name)] = _form_value(inline_form[name].value())
    # An unticked checkbox is absent from a real browser's post.
    return {name: value for name, value in data.items() if value != ""}


def inline_prefix(data: dict, prefix: str, area: str) -> str:
    """Find the inline form, such as skills-0, whose area field contains this skill area."""
    for name, value in data.items():
        if name.startswith(prefix + "-") and name.endswith("-area") and value == area:
            return name.removesuffix("-area")
    raise AssertionError(f"no {prefix} inline form with area {area!r} in {sorted(data)}")


def edit_in_admin(client, url: str, **changes):
    """Open an admin change page, apply the changes to its form and post it. Return the response."""
    page = client.get(url)
    assert page.status_code == 200
    data = admin_change_form_data(page)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    response = client.post(url, data)
    if response.status_code != 302:
        errors = [response.context["adminform"].form.errors] if response.context else []
        raise AssertionError(f"the admin did not save the change: status {response.status_code}, {errors}")
    return response


def confirm_from_last_message(client):
    path = CONFIRM_LINK.search(mail.outbox[-1].body).group(1)
    response = client.post(path)
    assert response.status_code == 302


# Admin edits that move an address to another account, or change a skill's area before deleting it


@pytest.mark.django_db
def test_admin_moves_address_to_other_account():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2})
    other_account = UserFactory(verified=False)
    address = EmailAddress.objects.get(user=volunteer.user)
    assert set(RankingRow.objects.filter(volunteer=volunteer).values_list("area", flat=True)) == {"video"}

    # The organiser attaches the address to the account it belongs to, leaving the volunteer unverified.
    edit_in_admin(
        client,
        reverse("admin:account_emailaddress_change", args=[address.pk]),
        user=str(other_account.pk),
        primary=None,
    )

    assert not EmailAddress.objects.filter(user=volunteer.user, verified=True).exists()
    # The old account's volunteer loses the address, so their rows go too, not only the new owner's.
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_skill_area_changed_then_deleted():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2, "data": 1})
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    data = admin_change_form_data(client.get(url))
    video_form = inline_prefix(data, "skills", "video")

    # The organiser picks another area on the video row, then decides to delete the row after all.
    data[f"{video_form}-area"] = "engineering"
    data[f"{video_form}-DELETE"] = "on"
    response = client.post(url, data)

    assert response.status_code == 302
    assert set(volunteer.skills.values_list("area", flat=True)) == {"data"}
    # The formset copies the new area onto the skill before deleting it, so the row to
    # remove is found from the skills still stored, not from the deleted skill's area.
    assert_rows_match_records()


# Paths that keep the rows in step: the admin


@pytest.mark.django_db
def test_admin_volunteer_edit_with_skills():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2, "data": 1})
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    data = admin_change_form_data(client.get(url))
    video_form = inline_prefix(data, "skills", "video")
    data_form = inline_prefix(data, "skills", "data")

    data["hours_per_week"] = "12"
    data["max_active_matches"] = "3"
    data[f"{video_form}-level"] = "3"
    data[f"{data_form}-DELETE"] = "on"
    data["skills-TOTAL_FORMS"] = str(int(data["skills-TOTAL_FORMS"]) + 1)
    new_form = f"skills-{int(data['skills-TOTAL_FORMS']) - 1}"
    data[f"{new_form}-area"] = "engineering"
    data[f"{new_form}-level"] = "1"
    data[f"{new_form}-volunteer"] = str(volunteer.pk)
    response = client.post(url, data)

    assert response.status_code == 302
    rows = {row.area: row for row in RankingRow.objects.filter(volunteer=volunteer)}
    assert {area: row.level for area, row in rows.items()} == {"video": 3, "engineering": 1}
    assert rows["video"].hours_per_week == 12
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_skill_area_changed():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2, "data": 1})
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    data = admin_change_form_data(client.get(url))
    data[f"{inline_prefix(data, 'skills', 'video')}-area"] = "engineering"

    assert client.post(url, data).status_code == 302

    assert set(RankingRow.objects.filter(volunteer=volunteer).values_list("area", flat=True)) == {"engineering", "data"}
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_pauses_and_resumes_volunteer():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2})
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])

    edit_in_admin(client, url, is_paused="on")
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()

    edit_in_admin(client, url, is_paused=None)
    assert RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_links_volunteer_to_other_account():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2})
    unverified = UserFactory(verified=False)

    edit_in_admin(client, reverse("admin:volunteers_volunteer_change", args=[volunteer.pk]), user=str(unverified.pk))

    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_unticks_and_ticks_verified():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2})
    address = EmailAddress.objects.get(user=volunteer.user)
    url = reverse("admin:account_emailaddress_change", args=[address.pk])

    edit_in_admin(client, url, verified=None)
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()

    edit_in_admin(client, url, verified="on")
    assert RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_make_verified_action():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2}, user=UserFactory(verified=False))
    address = EmailAddress.objects.get(user=volunteer.user)

    response = client.post(
        reverse("admin:account_emailaddress_changelist"),
        {"action": "make_verified", "_selected_action": [str(address.pk)]},
    )

    assert response.status_code == 302
    assert RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_deletes_verified_address():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2})
    address = EmailAddress.objects.get(user=volunteer.user)

    response = client.post(reverse("admin:account_emailaddress_delete", args=[address.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_deletes_volunteer_account():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2})

    response = client.post(reverse("admin:accounts_user_delete", args=[volunteer.user_id]), {"post": "yes"})

    assert response.status_code == 302
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_erase_action():
    client = organiser_client()
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=2)
    MatchFactory(volunteer=volunteer, status=Match.Status.APPROVED)

    response = client.post(
        reverse("admin:volunteers_volunteer_changelist"),
        {"action": "erase_selected", "_selected_action": [str(volunteer.pk)], "confirmed": "yes"},
    )

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.anonymised_at is not None
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_user_erase_action():
    client = organiser_client()
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=2)
    MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "erase_personal_data", "_selected_action": [str(volunteer.user_id)], "confirm_erasure": "yes"},
    )

    assert response.status_code == 302
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_refuses_deleting_request_with_matches():
    client = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=3)
    accepted = MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)

    response = client.post(
        reverse("admin:candidates_helprequest_delete", args=[accepted.help_request_id]), {"post": "yes"}
    )

    # Matches may not be deleted in the admin, so neither may a request that has them.
    assert response.status_code == 403
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 1
    assert_rows_match_records()


@pytest.mark.django_db
def test_candidate_deleted_outside_admin():
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=3)
    accepted = MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)
    MatchFactory(volunteer=volunteer, status=Match.Status.APPROVED)

    # The admin offers no delete for campaigns, so this is a delete from the Django shell.
    accepted.help_request.candidate.delete()

    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 1
    assert_rows_match_records()


# Paths that keep the rows in step: allauth's account pages and the privacy centre


@pytest.mark.django_db
def test_signup_then_confirmation_link(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("volunteer_signup"), valid_signup(email="vol@example.org", skill_data="2"))
        assert response.status_code == 302
        assert not RankingRow.objects.exists()
        assert_rows_match_records()

        confirm_from_last_message(client)

    volunteer = Volunteer.objects.get()
    assert set(RankingRow.objects.filter(volunteer=volunteer).values_list("area", flat=True)) == {"video", "data"}
    assert_rows_match_records()


@pytest.mark.django_db
def test_email_change_through_account_page(client, django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"video": 2})
    sign_in(client, volunteer.user)
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_email"), {"action_add": "", "email": "new.address@example.org"})
        assert response.status_code == 302
        assert EmailAddress.objects.filter(user=volunteer.user, email="new.address@example.org").exists()
        assert_rows_match_records()

        confirm_from_last_message(client)

    addresses = list(EmailAddress.objects.filter(user=volunteer.user).values_list("email", "verified"))
    assert addresses == [("new.address@example.org", True)]
    assert RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_pending_address_removed_through_account_page(client, django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"video": 2})
    sign_in(client, volunteer.user)
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_email"), {"action_add": "", "email": "new.address@example.org"})

    response = client.post(reverse("account_email"), {"action_remove": "", "email": "new.address@example.org"})

    assert response.status_code == 302
    assert not EmailAddress.objects.filter(email="new.address@example.org").exists()
    assert RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_profile_page_pauses_volunteer(client):
    volunteer = VolunteerFactory(skills={"video": 2})
    client.force_login(volunteer.user)
    profile = valid_signup(is_paused="on")
    for name in ("email", "password1", "password2", "privacy_consent"):
        profile.pop(name)

    response = client.post(reverse("volunteer_profile"), profile)

    assert response.status_code == 302
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_delete_account_page(client):
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=2)
    MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)
    sign_in(client, volunteer.user)

    response = client.post(reverse("delete_account"), {"confirm": "on"})

    assert response.status_code == 302
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_campaign_deletes_account_with_introduction(client):
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=2)
    introduced = MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)
    MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 2
    sign_in(client, introduced.help_request.candidate.user)

    response = client.post(reverse("delete_account"), {"confirm": "on"})

    assert response.status_code == 302
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 1
    assert_rows_match_records()


# Paths that keep the rows in step: import and call-outs


@pytest.mark.django_db
def test_admin_import_then_invitation_link(django_capture_on_commit_callbacks):
    client = organiser_client()
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row(email="ann@example.org", skills="Video, Data")])
    upload = client.post(
        reverse("admin:volunteers_volunteer_import"), {"file": SimpleUploadedFile("form.csv", content)}
    )
    assert upload.status_code == 302
    columns = {
        f"column_{index}": target for index, target in enumerate(["", "email", "full_name", "postcode", "skills"])
    }
    columns.update(work_mode="remote", travel_radius_miles="10", hours_per_week="2", max_active_matches="1")
    assert (
        client.post(reverse("admin:volunteers_volunteer_import_columns"), {**columns, "skill_level": "2"}).status_code
        == 302
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("admin:volunteers_volunteer_import_preview")).status_code == 302
    volunteer = Volunteer.objects.get(user__email="ann@example.org")
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()

    invitee = Client()
    with django_capture_on_commit_callbacks(execute=True):
        confirm_from_last_message(invitee)

    assert set(RankingRow.objects.filter(volunteer=volunteer).values_list("area", flat=True)) == {"video", "data"}
    assert_rows_match_records()


@pytest.mark.django_db
def test_callout_answer_raises_travel_radius(client, organiser, django_capture_on_commit_callbacks):
    help_request = HelpRequestFactory(work_mode=HelpRequest.WorkMode.IN_PERSON)
    volunteer = VolunteerFactory(
        work_mode=WorkMode.IN_PERSON,
        travel_radius_miles=10,
        easting=BIRMINGHAM_EASTING + int(20 * METRES_PER_MILE),
        northing=BIRMINGHAM_NORTHING,
    )
    Consent.objects.create(
        user=volunteer.user,
        purpose=Consent.Purpose.NEWS,
        given=True,
        notice_version="test",
        method=Consent.Method.PROFILE_PAGE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        callouts.send_callout(
            help_request=help_request, reach=Reach(radius_miles=25, include_remote=False), organiser=organiser
        )
    path = CALLOUT_LINK.search(mail.outbox[-1].body).group(1)
    client.force_login(volunteer.user)

    response = client.post(path)

    assert response.status_code == 200
    assert RankingRow.objects.get(volunteer=volunteer).travel_radius_miles == 20
    assert_rows_match_records()


# Paths that keep the rows in step: match status changes


@pytest.mark.django_db
def test_admin_approve_then_offer_link_accept(client, organiser, django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"engineering": 2}, max_active_matches=2)
    help_request = HelpRequestFactory()
    services.refresh_suggestions(help_request=help_request)
    suggestion = Match.objects.get(help_request=help_request, volunteer=volunteer)
    sign_in_organiser(client, organiser)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:matching_match_approve", args=[suggestion.pk]))
    assert response.status_code == 302
    row = RankingRow.objects.get(volunteer=volunteer)
    assert (row.active_matches, row.last_matched_day) == (1, timezone.localdate().toordinal())
    assert_rows_match_records()

    client.logout()
    accept_path = OFFER_LINK.search(mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(accept_path, {"answer": "accept"}).status_code == 200

    assert Match.objects.get(pk=suggestion.pk).status == Match.Status.ACCEPTED
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 1
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_rejects_suggestion(organiser):
    volunteer = VolunteerFactory(skills={"engineering": 2})
    help_request = HelpRequestFactory()
    services.refresh_suggestions(help_request=help_request)
    suggestion = Match.objects.get(help_request=help_request, volunteer=volunteer)
    client = Client()
    sign_in_organiser(client, organiser)

    response = client.post(reverse("admin:matching_match_reject", args=[suggestion.pk]))

    assert response.status_code == 302
    assert Match.objects.get(pk=suggestion.pk).status == Match.Status.REJECTED
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 0
    assert_rows_match_records()


@pytest.mark.django_db
def test_shortlist_offer_declined_goes_to_next(client, django_capture_on_commit_callbacks):
    first = VolunteerFactory(skills={"engineering": 3})
    second = VolunteerFactory(skills={"engineering": 2})
    help_request = HelpRequestFactory()
    services.refresh_suggestions(help_request=help_request)
    suggestions = Match.objects.filter(help_request=help_request).order_by("rank")
    assert [match.volunteer_id for match in suggestions] == [first.pk, second.pk]
    admin_client = organiser_client()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:matching_match_changelist"),
            {
                "action": "approve_as_shortlist",
                "_selected_action": [str(match.pk) for match in suggestions],
                "confirmed": "yes",
            },
        )
    assert response.status_code == 302
    assert RankingRow.objects.get(volunteer=first).active_matches == 1
    assert_rows_match_records()

    decline_path = OFFER_LINK.search(mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(decline_path, {"answer": "decline", "decline_reason": "too_busy"}).status_code == 200

    assert RankingRow.objects.get(volunteer=first).active_matches == 0
    assert RankingRow.objects.get(volunteer=second).active_matches == 1
    assert_rows_match_records()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ({"action": "not_a_fit", "feedback": "Wrong skills."}, Match.Status.CANCELLED),
        ({"action": "result", "result": "won"}, Match.Status.COMPLETED),
    ],
)
def test_campaign_link_ends_introduction(client, answer, status, django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"engineering": 2})
    match = MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 1
    path = campaign_url(match).removeprefix("http://testserver")

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, answer).status_code == 200

    assert Match.objects.get(pk=match.pk).status == status
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 0
    assert_rows_match_records()


@pytest.mark.django_db
def test_admin_records_result_for_campaign():
    client = organiser_client()
    volunteer = VolunteerFactory(skills={"engineering": 2})
    match = MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)

    response = client.post(
        reverse("admin:candidates_candidate_result", args=[match.help_request.candidate_id]), {"result": "lost"}
    )

    assert response.status_code == 302
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 0
    assert_rows_match_records()


@pytest.mark.django_db
def test_beat_job_lapses_unanswered_offer(organiser, django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"engineering": 2})
    help_request = HelpRequestFactory()
    services.refresh_suggestions(help_request=help_request)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_match(match_id=Match.objects.get(volunteer=volunteer).pk, organiser=organiser)
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 1

    with freeze_time(timezone.now() + datetime.timedelta(days=30)), django_capture_on_commit_callbacks(execute=True):
        assert followups.lapse_expired_offers() == 1

    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 0
    assert_rows_match_records()


@pytest.mark.django_db
def test_beat_job_closes_ballot_after_polling_day(organiser, django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"engineering": 2})
    help_request = HelpRequestFactory()
    services.refresh_suggestions(help_request=help_request)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_match(match_id=Match.objects.get(volunteer=volunteer).pk, organiser=organiser)
    day_after = help_request.candidate.election.polling_day + datetime.timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        summary = polling_day.close_ballots_after_polling_day(today=day_after)

    assert summary.offers_withdrawn == 1
    assert RankingRow.objects.get(volunteer=volunteer).active_matches == 0
    assert_rows_match_records()


# Paths that keep the rows in step: retention


@pytest.mark.django_db
def test_retention_erases_inactive_volunteer(django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"video": 2}, max_active_matches=3)
    MatchFactory(volunteer=volunteer, status=Match.Status.APPROVED)
    MatchFactory(volunteer=volunteer, status=Match.Status.ACCEPTED)
    later = timezone.now() + datetime.timedelta(days=800)

    with django_capture_on_commit_callbacks(execute=True):
        result = retention.apply_retention(now=later)

    assert result.volunteers == 1
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


@pytest.mark.django_db
def test_retention_keeps_account_of_current_candidate(django_capture_on_commit_callbacks):
    volunteer = VolunteerFactory(skills={"video": 2})
    far_ahead = timezone.localdate() + datetime.timedelta(days=900)
    CandidateFactory(user=volunteer.user, election=ElectionFactory(polling_day=far_ahead))
    later = timezone.now() + datetime.timedelta(days=800)

    with django_capture_on_commit_callbacks(execute=True):
        result = retention.apply_retention(now=later)

    assert result.volunteers == 1
    volunteer.refresh_from_db()
    assert volunteer.anonymised_at is not None
    assert EmailAddress.objects.filter(user__candidate__isnull=False, verified=True).exists()
    assert not RankingRow.objects.filter(volunteer=volunteer).exists()
    assert_rows_match_records()


# Two requests at once


@pytest.mark.django_db(transaction=True)
def test_confirmation_while_admin_pauses():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time, so these two requests cannot overlap there")
    admin = superuser_client()
    volunteer = VolunteerFactory(skills={"video": 2}, user=UserFactory(verified=False))
    address = EmailAddress.objects.get(user=volunteer.user)
    confirm_path = reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
    change_url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    pause_form = admin_change_form_data(admin.get(change_url))
    pause_form["is_paused"] = "on"

    pause_saved = threading.Event()
    confirmation_done = threading.Event()
    responses = {}

    def hold_pause_open(sender, instance, **kwargs):
        # Connected after the receiver that rebuilds the rows, so it runs inside the admin's
        # transaction once the pause has rebuilt them, and keeps that transaction open.
        if threading.current_thread().name == "admin-pause":
            pause_saved.set()
            confirmation_done.wait(timeout=20)

    def pause_in_admin():
        try:
            responses["pause"] = admin.post(change_url, pause_form).status_code
        finally:
            connections.close_all()

    def confirm_address():
        try:
            assert pause_saved.wait(timeout=20), "the admin never saved the volunteer"
            responses["confirm"] = Client().post(confirm_path).status_code
        finally:
            confirmation_done.set()
            connections.close_all()

    post_save.connect(hold_pause_open, sender=Volunteer)
    try:
        threads = [
            threading.Thread(target=pause_in_admin, name="admin-pause"),
            threading.Thread(target=confirm_address, name="confirm"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        post_save.disconnect(hold_pause_open, sender=Volunteer)

    assert responses == {"pause": 302, "confirm": 302}
    volunteer.refresh_from_db()
    assert volunteer.is_paused
    assert EmailAddress.objects.get(pk=address.pk).verified
    # The confirmation read the volunteer before the pause committed and wrote rows. The
    # pause's second rewrite, after its commit, reads both changes and removes them.
    assert_rows_match_records()
