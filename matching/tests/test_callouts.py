"""Call-outs: who they reach, the once-a-week limit, the log, the email, and answering one."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Consent
from candidates.models import CallOut, CallOutRecipient, HelpRequest
from candidates.tests.factories import HelpRequestFactory
from matching import callouts
from matching.callouts import CallOutError, Reach
from matching.models import Match
from matching.postcodes import METRES_PER_MILE
from matching.tests.factories import MatchFactory
from volunteers.models import WorkMode
from volunteers.tests.factories import BIRMINGHAM_EASTING, BIRMINGHAM_NORTHING, VolunteerFactory

ANSWER_LINK = re.compile(r"https?://testserver(/campaigns/call-outs/[^/\s]+/)")
IN_PERSON_25 = Reach(radius_miles=25, include_remote=False)


def opt_in(volunteer, given=True):
    Consent.objects.create(
        user=volunteer.user,
        purpose=Consent.Purpose.NEWS,
        given=given,
        notice_version="test",
        method=Consent.Method.PROFILE_PAGE,
    )
    return volunteer


def volunteer_at(miles_east: float, **kwargs):
    """A volunteer this many miles east of the campaign, who said yes to call-outs."""
    kwargs.setdefault("work_mode", WorkMode.IN_PERSON)
    volunteer = VolunteerFactory(
        easting=BIRMINGHAM_EASTING + int(miles_east * METRES_PER_MILE), northing=BIRMINGHAM_NORTHING, **kwargs
    )
    return opt_in(volunteer)


@pytest.fixture
def in_person_request(db):
    return HelpRequestFactory(work_mode=HelpRequest.WorkMode.IN_PERSON)


@pytest.mark.django_db
def test_audience_opted_in_with_skill_in_reach(in_person_request):
    near = volunteer_at(5)
    far_but_in_reach = volunteer_at(20, travel_radius_miles=10)
    volunteer_at(30)
    volunteer_at(5, skills={"video": 3})
    VolunteerFactory(work_mode=WorkMode.IN_PERSON)
    opt_in(volunteer_at(5), given=False)
    volunteer_at(5, is_paused=True)

    chosen = callouts.audience(in_person_request, IN_PERSON_25)

    assert chosen == [near, far_but_in_reach]


@pytest.mark.django_db
def test_audience_leaves_out_full_and_already_suggested(in_person_request):
    free = volunteer_at(2)
    busy = volunteer_at(2)
    MatchFactory(volunteer=busy, status=Match.Status.ACCEPTED)
    suggested = volunteer_at(2)
    MatchFactory(volunteer=suggested, help_request=in_person_request)

    assert callouts.audience(in_person_request, IN_PERSON_25) == [free]


@pytest.mark.django_db
def test_remote_volunteers_only_when_included():
    help_request = HelpRequestFactory(work_mode=HelpRequest.WorkMode.EITHER)
    remote = opt_in(VolunteerFactory(work_mode=WorkMode.REMOTE, easting=None, northing=None, grid=""))

    assert callouts.audience(help_request, Reach(radius_miles=25, include_remote=False)) == []
    assert callouts.audience(help_request, Reach(radius_miles=None, include_remote=True)) == [remote]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("work_mode", "reach", "message"),
    [
        (HelpRequest.WorkMode.EITHER, Reach(None, False), "Choose a distance"),
        (HelpRequest.WorkMode.EITHER, Reach(101, False), "from 1 to 100"),
        (HelpRequest.WorkMode.REMOTE, Reach(10, False), "leave the distance empty"),
        (HelpRequest.WorkMode.IN_PERSON, Reach(10, True), "cannot do it"),
    ],
)
def test_reach_errors(work_mode, reach, message):
    help_request = HelpRequestFactory(work_mode=work_mode)

    with pytest.raises(CallOutError, match=message):
        callouts.check_reach(help_request, reach)


@pytest.mark.django_db
def test_send_logs_and_emails_each_once(in_person_request, organiser, django_capture_on_commit_callbacks):
    first, second = volunteer_at(1), volunteer_at(3)

    with django_capture_on_commit_callbacks(execute=True):
        callout = callouts.send_callout(
            help_request=in_person_request, reach=IN_PERSON_25, organiser=organiser, message="<b>Urgent</b>"
        )

    assert callout.recipient_count == 2
    assert callout.sent_by == organiser
    recipients = CallOutRecipient.objects.filter(callout=callout)
    assert {recipient.volunteer for recipient in recipients} == {first, second}
    assert set(recipients.values_list("status", flat=True)) == {CallOutRecipient.Status.SENT}
    assert sorted(message.to[0] for message in mail.outbox) == sorted([first.user.email, second.user.email])
    email = mail.outbox[0]
    assert ANSWER_LINK.search(email.body)
    assert "<b>Urgent</b>" in email.body
    assert "&lt;b&gt;Urgent&lt;/b&gt;" in email.alternatives[0][0], "escaped in the HTML part"
    assert in_person_request.candidate.user.email not in email.body


@pytest.mark.django_db
def test_email_task_sends_once(in_person_request, organiser, django_capture_on_commit_callbacks):
    volunteer_at(1)
    with django_capture_on_commit_callbacks(execute=True):
        callout = callouts.send_callout(help_request=in_person_request, reach=IN_PERSON_25, organiser=organiser)
    recipient = callout.recipients.get()

    assert callouts.send_callout_email(recipient.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_one_callout_a_week(in_person_request, organiser):
    volunteer = volunteer_at(1)
    other_request = HelpRequestFactory(work_mode=HelpRequest.WorkMode.IN_PERSON)
    callouts.send_callout(help_request=in_person_request, reach=IN_PERSON_25, organiser=organiser)

    with pytest.raises(CallOutError, match="last 7 days"):
        callouts.send_callout(help_request=other_request, reach=IN_PERSON_25, organiser=organiser)
    assert CallOut.objects.count() == 1

    with freeze_time(timezone.now() + timedelta(days=6, hours=23)):
        assert callouts.audience(other_request, IN_PERSON_25) == []
    with freeze_time(timezone.now() + timedelta(days=7, minutes=1)):
        assert callouts.audience(other_request, IN_PERSON_25) == [volunteer]
        callouts.send_callout(help_request=other_request, reach=IN_PERSON_25, organiser=organiser)
    assert CallOutRecipient.objects.filter(volunteer=volunteer).count() == 2


@pytest.mark.django_db
def test_weekly_limit_checked_again_under_lock(in_person_request, organiser, monkeypatch):
    """A volunteer called out between choosing the audience and sending is not called out twice."""
    volunteer = volunteer_at(1)
    other = HelpRequestFactory(work_mode=HelpRequest.WorkMode.IN_PERSON)
    stale_audience = callouts.audience(other, IN_PERSON_25)
    callouts.send_callout(help_request=in_person_request, reach=IN_PERSON_25, organiser=organiser)
    monkeypatch.setattr(callouts, "audience", lambda *args, **kwargs: stale_audience)

    with pytest.raises(CallOutError):
        callouts.send_callout(help_request=other, reach=IN_PERSON_25, organiser=organiser)
    assert CallOutRecipient.objects.filter(volunteer=volunteer).count() == 1


@pytest.mark.django_db
def test_no_callout_for_request_not_open(organiser):
    help_request = HelpRequestFactory(status=HelpRequest.Status.MATCHED)

    with pytest.raises(CallOutError, match="needs no call-out"):
        callouts.send_callout(help_request=help_request, reach=IN_PERSON_25, organiser=organiser)


@pytest.fixture
def answer_path(in_person_request, organiser, django_capture_on_commit_callbacks):
    """A volunteer 20 miles away, beyond their own 10 miles, sent a call-out; returns (volunteer, link path)."""
    volunteer = volunteer_at(20, travel_radius_miles=10)
    with django_capture_on_commit_callbacks(execute=True):
        callouts.send_callout(help_request=in_person_request, reach=IN_PERSON_25, organiser=organiser)
    return volunteer, ANSWER_LINK.search(mail.outbox[-1].body).group(1)


@pytest.mark.django_db
def test_answer_needs_sign_in(client, answer_path):
    _, path = answer_path

    response = client.get(path)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_answer_makes_volunteer_a_suggestion(client, answer_path, in_person_request):
    volunteer, path = answer_path
    client.force_login(volunteer.user)

    page = client.get(path)
    assert page.status_code == 200
    assert "sets how far you will travel to 20 miles" in page.content.decode()
    assert not Match.objects.filter(volunteer=volunteer).exists(), "a GET changes nothing"

    response = client.post(path)

    assert response.status_code == 200
    assert "put you forward" in response.content.decode()
    assert Match.objects.suggested().filter(help_request=in_person_request, volunteer=volunteer).exists()
    volunteer.refresh_from_db()
    assert volunteer.travel_radius_miles == 20
    assert CallOutRecipient.objects.get(volunteer=volunteer).answered_at is not None


@pytest.mark.django_db
def test_answer_survives_another_ranking(client, answer_path, in_person_request):
    from matching.services import refresh_suggestions

    volunteer, path = answer_path
    client.force_login(volunteer.user)
    client.post(path)

    refresh_suggestions(help_request=in_person_request)

    assert Match.objects.suggested().filter(help_request=in_person_request, volunteer=volunteer).exists()


@pytest.mark.django_db
def test_answer_by_someone_else_is_refused(client, answer_path):
    _, path = answer_path
    client.force_login(VolunteerFactory().user)

    response = client.post(path)

    assert response.status_code == 400
    assert "sent to someone else" in response.content.decode()
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_answer_after_request_closed(client, answer_path, in_person_request):
    volunteer, path = answer_path
    HelpRequest.objects.filter(pk=in_person_request.pk).update(status=HelpRequest.Status.CLOSED)
    client.force_login(volunteer.user)

    response = client.post(path)

    assert response.status_code == 409
    assert "no longer needs a volunteer" in response.content.decode()
    volunteer.refresh_from_db()
    assert volunteer.travel_radius_miles == 10


@pytest.mark.django_db
def test_tampered_answer_link(client, answer_path):
    volunteer, path = answer_path
    client.force_login(volunteer.user)

    response = client.get(path[:-5] + "xxxx/")

    assert response.status_code == 400
    assert "changed or cut short" in response.content.decode()
