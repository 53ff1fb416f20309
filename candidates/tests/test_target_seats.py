"""Target seats: organisers flag a ballot, and its requests come first in every list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import HelpRequest
from candidates.tests.factories import ElectionFactory, HelpRequestFactory
from matching.tests.factories import MatchFactory
from matching.tests.test_admin import ORGANISER_PERMISSIONS, VIEW_ONLY_PERMISSIONS, staff_client
from techforlabour import dashboard

TODAY = timezone.localdate()


def request_for(*, days: int, target: bool, council: str = "Birmingham") -> HelpRequest:
    election = ElectionFactory(polling_day=TODAY + timedelta(days=days), is_target_seat=target, council=council)
    return HelpRequestFactory(candidate__election=election, needed_by=TODAY + timedelta(days=days - 1))


@pytest.mark.django_db
def test_urgency_order_puts_target_seats_first():
    soon = request_for(days=10, target=False)
    later_target = request_for(days=50, target=True)

    ordered = list(HelpRequest.objects.by_urgency().values_list("pk", flat=True))

    assert ordered == [later_target.pk, soon.pk]


@pytest.mark.django_db
def test_dashboard_lists_target_seats_first():
    soon = request_for(days=10, target=False)
    later_target = request_for(days=50, target=True)
    MatchFactory(help_request=soon)
    MatchFactory(help_request=later_target)

    waiting = dashboard.waiting_for_approval()

    assert [match.help_request_id for match in waiting] == [later_target.pk, soon.pk]


@pytest.mark.django_db
def test_shortage_rows_with_target_seats_first():
    not_target = request_for(days=10, target=False, council="Leeds")
    target = request_for(days=50, target=True, council="Bristol")
    for help_request in (not_target, target):
        help_request.suggestions_updated_at = timezone.now()
        help_request.save()

    rows = dashboard.shortages(today=TODAY)

    assert [(row.council, row.target_seats) for row in rows] == [("Bristol", 1), ("Leeds", 0)]


@pytest.mark.django_db
def test_admin_action_marks_and_unmarks_ballot():
    client = staff_client(*ORGANISER_PERMISSIONS)
    help_request = request_for(days=30, target=False)
    url = reverse("admin:candidates_helprequest_changelist")

    client.post(url, {"action": "mark_target_seat", "_selected_action": [help_request.pk]})
    help_request.candidate.election.refresh_from_db()
    assert help_request.candidate.election.is_target_seat

    page = client.get(url + "?candidate__election__is_target_seat__exact=1").content.decode()
    assert f"/admin/candidates/helprequest/{help_request.pk}/change/" in page

    client.post(url, {"action": "unmark_target_seat", "_selected_action": [help_request.pk]})
    help_request.candidate.election.refresh_from_db()
    assert not help_request.candidate.election.is_target_seat


@pytest.mark.django_db
def test_view_only_staff_cannot_mark_target_seats():
    client = staff_client(*VIEW_ONLY_PERMISSIONS)
    help_request = request_for(days=30, target=False)

    client.post(
        reverse("admin:candidates_helprequest_changelist"),
        {"action": "mark_target_seat", "_selected_action": [help_request.pk]},
    )

    help_request.candidate.election.refresh_from_db()
    assert not help_request.candidate.election.is_target_seat
