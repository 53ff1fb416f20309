"""The organisers' admin: list pages, bulk actions with confirmation, permissions, exports and results."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.helpers import sign_in_organiser
from candidates.models import Candidate, HelpRequest
from candidates.tests.factories import CandidateFactory, ElectionFactory, HelpRequestFactory
from matching.models import Match, OutgoingEmail
from matching.tests.factories import MatchFactory
from techforlabour.exports import escape_cell
from volunteers.models import DataTransfer, Volunteer
from volunteers.tests.factories import UserFactory, VolunteerFactory

ORGANISER_PERMISSIONS = [
    "view_volunteer",
    "change_volunteer",
    "view_helprequest",
    "change_helprequest",
    "view_candidate",
    "change_candidate",
    "view_match",
    "change_match",
    "approve_match",
    "view_datatransfer",
]
VIEW_ONLY_PERMISSIONS = ["view_volunteer", "view_helprequest", "view_candidate", "view_match"]


def staff_client(*codenames) -> Client:
    """A client signed in, with two factors, as staff holding exactly these permissions."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    sign_in_organiser(client, user)
    client.user = user
    return client


@pytest.fixture
def organiser_client(db):
    return staff_client(*ORGANISER_PERMISSIONS)


@pytest.fixture
def view_only_client(db):
    return staff_client(*VIEW_ONLY_PERMISSIONS)


def action_names(response) -> list[str]:
    form = response.context.get("action_form")
    if form is None:
        return []
    return [name for name, _label in form.fields["action"].choices if name]


def run_action(client, model: str, action: str, ids, *, confirmed=False, query=""):
    data = {"action": action, "_selected_action": [str(pk) for pk in ids]}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(reverse(f"admin:{model}_changelist") + query, data)


# Query counts: the same whatever the number of rows


def changelist_queries(client, url: str) -> int:
    # The first page after signing in saves the session once more; measure a later one.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def grow_matches(count: int) -> None:
    while Match.objects.count() < count:
        volunteer = VolunteerFactory(skills={"engineering": 2, "video": 1})
        MatchFactory(volunteer=volunteer, help_request=HelpRequestFactory(), status=Match.Status.SUGGESTED)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "volunteers_volunteer",
        "candidates_helprequest",
        "candidates_candidate",
        "matching_match",
        "volunteers_datatransfer",
    ],
)
def test_list_page_queries_do_not_grow_with_rows(organiser_client, model):
    url = reverse(f"admin:{model}_changelist")
    grow_matches(20)
    DataTransfer.objects.bulk_create(DataTransfer(kind="volunteer_export", row_count=1) for _ in range(20))
    at_20 = changelist_queries(organiser_client, url)

    grow_matches(200)
    DataTransfer.objects.bulk_create(DataTransfer(kind="volunteer_export", row_count=1) for _ in range(180))
    at_200 = changelist_queries(organiser_client, url)

    assert at_20 == at_200


@pytest.mark.django_db
def test_help_request_page_queries_do_not_grow_with_suggestions(organiser_client):
    help_request = HelpRequestFactory()
    MatchFactory(help_request=help_request, rank=1)
    url = reverse("admin:candidates_helprequest_change", args=[help_request.pk])
    one = changelist_queries(organiser_client, url)
    for rank in range(2, 11):
        MatchFactory(help_request=help_request, rank=rank)
    ten = changelist_queries(organiser_client, url)
    assert one == ten


# Permissions on every action


@pytest.mark.django_db
def test_every_action_declares_permissions():
    from candidates.models import Candidate as CandidateModel
    from matching.models import Match as MatchModel
    from volunteers.models import Volunteer as VolunteerModel

    for model in (VolunteerModel, HelpRequest, CandidateModel, MatchModel):
        model_admin = admin.site._registry[model]
        for action in model_admin.actions:
            function = getattr(model_admin, action)
            assert getattr(function, "allowed_permissions", None), f"{model.__name__}.{action}"


@pytest.mark.django_db
def test_view_only_staff_get_no_actions(view_only_client):
    MatchFactory()
    for model in ("volunteers_volunteer", "candidates_helprequest", "candidates_candidate", "matching_match"):
        response = view_only_client.get(reverse(f"admin:{model}_changelist"))
        assert action_names(response) == [], model


@pytest.mark.django_db
def test_view_only_staff_cannot_approve(view_only_client):
    match = MatchFactory()
    run_action(view_only_client, "matching_match", "approve_selected", [match.pk], confirmed=True)
    match.refresh_from_db()
    assert match.status == Match.Status.SUGGESTED


@pytest.mark.django_db
def test_organiser_actions_exclude_exports_and_deletion(organiser_client):
    MatchFactory()
    assert action_names(organiser_client.get(reverse("admin:matching_match_changelist"))) == [
        "approve_selected",
        "approve_as_shortlist",
        "reject_selected",
    ]
    volunteer_actions = action_names(organiser_client.get(reverse("admin:volunteers_volunteer_changelist")))
    assert "delete_selected" not in volunteer_actions
    assert "export_csv" not in volunteer_actions
    assert "erase_selected" not in volunteer_actions


# Bulk decisions, confirmed first


@pytest.mark.django_db
def test_bulk_approval_lists_what_will_happen(organiser_client):
    help_request = HelpRequestFactory()
    first = MatchFactory(help_request=help_request, rank=1, volunteer__full_name="Ann Lee")
    second = MatchFactory(help_request=help_request, rank=2, volunteer__full_name="Bob Jones")
    declined = MatchFactory(status=Match.Status.DECLINED, volunteer__full_name="Cat Smith")

    page = run_action(organiser_client, "matching_match", "approve_selected", [first.pk, second.pk, declined.pk])

    assert page.status_code == 200
    text = page.content.decode()
    assert "1 of the selected matches will change; 2 will be left as they are." in text
    assert f"Match #{first.pk}: Ann Lee for engineering" in text
    assert "the volunteer is sent an offer by email" in text
    assert "another selected suggestion for the same request is offered first" in text
    assert "cannot be approved: it is declined by the volunteer" in text
    first.refresh_from_db()
    assert first.status == Match.Status.SUGGESTED


@pytest.mark.django_db
def test_confirmed_bulk_approval_sends_offers(organiser_client, django_capture_on_commit_callbacks):
    matches = [MatchFactory() for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            organiser_client, "matching_match", "approve_selected", [m.pk for m in matches], confirmed=True
        )
    assert response.status_code == 302
    for match in matches:
        match.refresh_from_db()
        assert match.status == Match.Status.APPROVED
        assert match.decided_by == organiser_client.user
    assert OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.OFFER).count() == 2


@pytest.mark.django_db
def test_shortlist_across_requests_is_blocked(organiser_client):
    matches = [MatchFactory(), MatchFactory()]
    page = run_action(organiser_client, "matching_match", "approve_as_shortlist", [m.pk for m in matches])
    text = page.content.decode()
    assert "A shortlist must be for one help request" in text
    assert 'name="confirmed"' not in text


@pytest.mark.django_db
def test_confirmed_shortlist_offers_best_ranked_first(organiser_client, django_capture_on_commit_callbacks):
    help_request = HelpRequestFactory()
    second = MatchFactory(help_request=help_request, rank=2)
    first = MatchFactory(help_request=help_request, rank=1)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(organiser_client, "matching_match", "approve_as_shortlist", [second.pk, first.pk], confirmed=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Match.Status.APPROVED
    assert (second.status, second.shortlist_position) == (Match.Status.SHORTLISTED, 2)


@pytest.mark.django_db
def test_confirmed_bulk_rejection(organiser_client):
    match = MatchFactory()
    page = run_action(organiser_client, "matching_match", "reject_selected", [match.pk])
    assert "rejected, and not suggested to this campaign again" in page.content.decode()
    run_action(organiser_client, "matching_match", "reject_selected", [match.pk], confirmed=True)
    match.refresh_from_db()
    assert match.status == Match.Status.REJECTED


@pytest.mark.django_db
def test_select_all_confirmation_keeps_the_filter(organiser_client):
    election = ElectionFactory(council="Leeds")
    in_leeds = MatchFactory(help_request__candidate__election=election)
    elsewhere = MatchFactory()
    query = "?council=leeds"
    page = organiser_client.post(
        reverse("admin:matching_match_changelist") + query,
        {"action": "reject_selected", "select_across": "1", "index": "0", "_selected_action": [str(in_leeds.pk)]},
    )
    assert 'name="select_across" value="1"' in page.content.decode()

    organiser_client.post(
        reverse("admin:matching_match_changelist") + query,
        {"action": "reject_selected", "select_across": "1", "_selected_action": [str(in_leeds.pk)], "confirmed": "yes"},
    )
    in_leeds.refresh_from_db()
    elsewhere.refresh_from_db()
    assert in_leeds.status == Match.Status.REJECTED
    assert elsewhere.status == Match.Status.SUGGESTED


@pytest.mark.django_db
def test_find_more_volunteers_action(organiser_client):
    help_request = HelpRequestFactory(skill_area="video")
    volunteer = VolunteerFactory(skills={"video": 3})
    page = run_action(organiser_client, "candidates_helprequest", "find_more_volunteers", [help_request.pk])
    assert "its suggestions are ranked again" in page.content.decode()
    run_action(organiser_client, "candidates_helprequest", "find_more_volunteers", [help_request.pk], confirmed=True)
    assert list(help_request.matches.values_list("volunteer_id", flat=True)) == [volunteer.pk]


@pytest.mark.django_db
def test_dashboard_approval_returns_to_the_dashboard(organiser_client):
    match = MatchFactory()
    response = organiser_client.post(
        reverse("admin:matching_match_approve", args=[match.pk]), {"next": reverse("admin:index")}
    )
    assert response.url == reverse("admin:index")
    match.refresh_from_db()
    assert match.status == Match.Status.APPROVED


# Filters and search


@pytest.mark.django_db
def test_council_filter_ignores_letter_case(organiser_client):
    leeds = MatchFactory(help_request__candidate__election=ElectionFactory(council="Leeds"))
    MatchFactory(help_request__candidate__election=ElectionFactory(council="LEEDS", ward="Headingley"))
    other = MatchFactory()
    response = organiser_client.get(reverse("admin:matching_match_changelist") + "?council=leeds")
    shown = {match.pk for match in response.context["cl"].result_list}
    assert leeds.pk in shown
    assert other.pk not in shown
    assert len(shown) == 2


@pytest.mark.django_db
def test_polling_day_filter(organiser_client):
    today = timezone.localdate()
    soon = HelpRequestFactory(candidate__election=ElectionFactory(polling_day=today + timedelta(days=5)))
    later = HelpRequestFactory(candidate__election=ElectionFactory(polling_day=today + timedelta(days=60)))
    response = organiser_client.get(reverse("admin:candidates_helprequest_changelist") + "?polling_day=week")
    assert [request.pk for request in response.context["cl"].result_list] == [soon.pk]
    response = organiser_client.get(reverse("admin:candidates_helprequest_changelist") + "?polling_day=later")
    assert [request.pk for request in response.context["cl"].result_list] == [later.pk]


@pytest.mark.django_db
def test_skill_filter_lists_each_volunteer_once(organiser_client):
    both = VolunteerFactory(skills={"video": 1, "data": 2})
    VolunteerFactory(skills={"engineering": 2})
    response = organiser_client.get(reverse("admin:volunteers_volunteer_changelist") + "?skill=video")
    assert [volunteer.pk for volunteer in response.context["cl"].result_list] == [both.pk]


@pytest.mark.django_db
def test_search_help_requests_by_ward(organiser_client):
    wanted = HelpRequestFactory(candidate__election=ElectionFactory(ward="Acocks Green"))
    HelpRequestFactory()
    response = organiser_client.get(reverse("admin:candidates_helprequest_changelist") + "?q=acocks")
    assert [request.pk for request in response.context["cl"].result_list] == [wanted.pk]


@pytest.mark.django_db
def test_match_of_erased_volunteer_is_listed(organiser_client):
    match = MatchFactory(status=Match.Status.DECLINED)
    Match.objects.filter(pk=match.pk).update(volunteer=None)
    response = organiser_client.get(reverse("admin:matching_match_changelist"))
    assert "(erased)" in response.content.decode()


# Exports


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("Ann", "Ann"),
        (None, ""),
        (True, "yes"),
        (4, "4"),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.django_db
def test_volunteer_export_escapes_and_is_logged():
    client = staff_client("view_volunteer", "export_volunteers")
    volunteer = VolunteerFactory(full_name='=HYPERLINK("http://evil")', bio="@SUM(1)", party_relationship="member")

    response = run_action(client, "volunteers_volunteer", "export_csv", [volunteer.pk])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    [row] = read_csv(response)
    assert row["Full name"] == '\'=HYPERLINK("http://evil")'
    assert row["Short bio"] == "'@SUM(1)"
    assert row["Email"] == volunteer.user.email
    assert row["Email confirmed"] == "yes"
    assert "member" not in row.values()
    log = DataTransfer.objects.get()
    assert (log.kind, log.row_count, log.user) == (DataTransfer.Kind.VOLUNTEER_EXPORT, 1, client.user)


@pytest.mark.django_db
def test_match_and_request_exports_need_their_own_permission(organiser_client):
    match = MatchFactory()
    assert "export_csv" not in action_names(organiser_client.get(reverse("admin:matching_match_changelist")))
    response = run_action(organiser_client, "matching_match", "export_csv", [match.pk])
    assert response.status_code == 302
    assert not DataTransfer.objects.exists()

    client = staff_client("view_match", "export_matches", "view_helprequest", "export_help_requests")
    [row] = read_csv(run_action(client, "matching_match", "export_csv", [match.pk]))
    assert row["Match ID"] == str(match.pk)
    assert row["Status"] == "Suggested"
    [request_row] = read_csv(run_action(client, "candidates_helprequest", "export_csv", [match.help_request_id]))
    assert request_row["Suggestions waiting"] == "1"
    assert DataTransfer.objects.count() == 2


# Results per candidate


@pytest.mark.django_db
def test_record_result_for_candidate(organiser_client):
    candidate = CandidateFactory()
    introduced = MatchFactory(help_request__candidate=candidate, status=Match.Status.ACCEPTED)
    suggested = MatchFactory(help_request__candidate=candidate)
    url = reverse("admin:candidates_candidate_result", args=[candidate.pk])

    assert organiser_client.get(url).status_code == 200
    missing = organiser_client.post(url, {})
    assert missing.context["form"].errors["result"] == ["Choose won or lost."]

    response = organiser_client.post(url, {"result": "won", "feedback": "Great work on the leaflets."})

    assert response.status_code == 302
    introduced.refresh_from_db()
    suggested.refresh_from_db()
    assert (introduced.status, introduced.result) == (Match.Status.COMPLETED, Match.Result.WON)
    assert introduced.feedback == "Great work on the leaflets."
    assert suggested.result == ""
    listing = organiser_client.get(reverse("admin:candidates_candidate_changelist")).content.decode()
    assert '<td class="field-result_display">Won</td>' in listing


@pytest.mark.django_db
def test_record_result_without_introduction_says_why(organiser_client):
    candidate = CandidateFactory()
    page = organiser_client.get(reverse("admin:candidates_candidate_result", args=[candidate.pk])).content.decode()
    assert "No volunteer has been introduced to this campaign" in page


@pytest.mark.django_db
def test_record_result_needs_change_match(view_only_client):
    candidate = CandidateFactory()
    url = reverse("admin:candidates_candidate_result", args=[candidate.pk])
    assert view_only_client.post(url, {"result": "won"}).status_code == 403


# Erasure


@pytest.mark.django_db
def test_erase_action_goes_through_erasure_rules():
    client = staff_client("view_volunteer", "erase_personal_data")
    volunteer = VolunteerFactory(full_name="Ann Lee")
    match = MatchFactory(volunteer=volunteer, status=Match.Status.DECLINED)
    user_id = volunteer.user_id

    page = run_action(client, "volunteers_volunteer", "erase_selected", [volunteer.pk])
    assert "account, email addresses and sessions deleted" in page.content.decode()
    run_action(client, "volunteers_volunteer", "erase_selected", [volunteer.pk], confirmed=True)

    volunteer.refresh_from_db()
    assert volunteer.anonymised_at is not None
    assert volunteer.full_name != "Ann Lee"
    assert not User.objects.filter(pk=user_id).exists()
    assert Match.objects.filter(pk=match.pk).exists()


@pytest.mark.django_db
def test_erase_action_refuses_staff():
    client = staff_client("view_volunteer", "erase_personal_data")
    staff_volunteer = VolunteerFactory(user=UserFactory(is_staff=True))
    run_action(client, "volunteers_volunteer", "erase_selected", [staff_volunteer.pk], confirmed=True)
    assert Volunteer.objects.get(pk=staff_volunteer.pk).anonymised_at is None


@pytest.mark.django_db
def test_people_cannot_be_deleted_outside_erasure(organiser_client):
    volunteer = VolunteerFactory()
    candidate = CandidateFactory()
    assert organiser_client.post(reverse("admin:volunteers_volunteer_delete", args=[volunteer.pk])).status_code == 403
    assert organiser_client.post(reverse("admin:candidates_candidate_delete", args=[candidate.pk])).status_code == 403
    assert Volunteer.objects.filter(pk=volunteer.pk).exists()
    assert Candidate.objects.filter(pk=candidate.pk).exists()


@pytest.mark.django_db
def test_candidate_erase_action():
    client = staff_client("view_candidate", "erase_personal_data")
    candidate = CandidateFactory(full_name="Ann Lee")
    without_account = CandidateFactory(user=None)
    user_id = candidate.user_id

    page = run_action(client, "candidates_candidate", "erase_selected", [candidate.pk, without_account.pk])
    text = page.content.decode()
    assert "open requests close and live offers are cancelled" in text
    assert "has no account, so the erasure rules cannot reach them here" in text

    run_action(client, "candidates_candidate", "erase_selected", [candidate.pk, without_account.pk], confirmed=True)

    candidate.refresh_from_db()
    assert candidate.anonymised_at is not None
    assert candidate.full_name != "Ann Lee"
    assert not User.objects.filter(pk=user_id).exists()
    without_account.refresh_from_db()
    assert without_account.anonymised_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("ann.lee@example.org", "ann"),
        ("ANN.LEE@EXAMPLE.ORG", "ann"),
        ("b1 1ay", "ann"),
        ("M1", "bob"),
        ("bob jon", "bob"),
    ],
)
def test_volunteer_search_by_email_postcode_or_name(organiser_client, term, found):
    people = {
        "ann": VolunteerFactory(full_name="Ann Lee", user=UserFactory(email="ann.lee@example.org")),
        "bob": VolunteerFactory(full_name="Bob Jones", postcode="M1 1AE"),
    }
    response = organiser_client.get(reverse("admin:volunteers_volunteer_changelist"), {"q": term})
    assert [volunteer.pk for volunteer in response.context["cl"].result_list] == [people[found].pk]


@pytest.mark.django_db
def test_help_request_page_queries_do_not_grow_with_decisions(organiser_client):
    help_request = HelpRequestFactory()
    decider = UserFactory(is_staff=True)
    MatchFactory(help_request=help_request, status=Match.Status.REJECTED, decided_by=decider)
    url = reverse("admin:candidates_helprequest_change", args=[help_request.pk])
    one = changelist_queries(organiser_client, url)
    for _ in range(5):
        MatchFactory(help_request=help_request, status=Match.Status.REJECTED, decided_by=UserFactory(is_staff=True))
    six = changelist_queries(organiser_client, url)
    assert one == six
