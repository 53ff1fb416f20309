"""
Every page against every role: who gets it, who is sent to sign in, and who is refused.

Each row names a page and the status each role gets for a GET. The roles are
fixed actors: nobody signed in, two volunteers, two campaigns, an organiser and
a superuser (both signed in with two factors). A volunteer and a campaign have
an offer between them, so the signed links in its emails are tested too.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import ORGANISERS_GROUP
from accounts.tests.helpers import enable_two_factor, sign_in
from candidates import invitations
from candidates.models import CallOut, CallOutRecipient
from candidates.tests.factories import CandidateFactory, HelpRequestFactory
from matching import callouts, links, services
from matching.models import Match
from matching.tests.factories import MatchFactory
from techforlabour import reports
from volunteers.tests.factories import UserFactory, VolunteerFactory

ROLES = ["anonymous", "volunteer", "other_volunteer", "candidate", "other_candidate", "organiser", "superuser"]
SIGNED_IN = ROLES[1:]

# Statuses, named for what they mean here.
OK = 200
SIGN_IN = 302  # sent to the sign-in page, or away from a page for people not signed in
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
WRONG_PERSON = 400  # a signed link opened by someone signed in as another person


@dataclass(frozen=True)
class Row:
    name: str
    anonymous: int
    volunteer: int
    other_volunteer: int
    candidate: int
    other_candidate: int
    organiser: int
    superuser: int
    args: tuple = ()

    def expected(self, role: str) -> int:
        return getattr(self, role)


def everyone(status, *, anonymous=None):
    return {role: status for role in SIGNED_IN} | {"anonymous": status if anonymous is None else anonymous}


def row(name, args=(), **statuses):
    return Row(name=name, args=args, **statuses)


TABLE = [
    row("home", **everyone(OK)),
    row("privacy_notice", **everyone(OK)),
    row("accessibility", **everyone(OK)),
    row("choose_signup", **everyone(OK)),
    # allauth's signup and sign-in pages send a signed-in person on.
    row("volunteer_signup", **everyone(SIGN_IN, anonymous=OK)),
    row("candidate_signup", **everyone(SIGN_IN, anonymous=OK)),
    row("account_login", **everyone(SIGN_IN, anonymous=OK)),
    row("account_reset_password", **everyone(OK)),
    row("account_email", **everyone(OK, anonymous=SIGN_IN)),
    row("account_change_password", **everyone(OK, anonymous=SIGN_IN)),
    row("mfa_index", **everyone(OK, anonymous=SIGN_IN)),
    # Profiles and requests belong to the signed-in person: there is no URL for anyone else's.
    row(
        "volunteer_profile",
        anonymous=SIGN_IN,
        volunteer=OK,
        other_volunteer=OK,
        candidate=NOT_FOUND,
        other_candidate=NOT_FOUND,
        organiser=NOT_FOUND,
        superuser=NOT_FOUND,
    ),
    row(
        "my_requests",
        anonymous=SIGN_IN,
        volunteer=NOT_FOUND,
        other_volunteer=NOT_FOUND,
        candidate=OK,
        other_candidate=OK,
        organiser=NOT_FOUND,
        superuser=NOT_FOUND,
    ),
    row(
        "add_help_request",
        anonymous=SIGN_IN,
        volunteer=NOT_FOUND,
        other_volunteer=NOT_FOUND,
        candidate=OK,
        other_candidate=OK,
        organiser=NOT_FOUND,
        superuser=NOT_FOUND,
    ),
    row("privacy_centre", **everyone(OK, anonymous=SIGN_IN)),
    row("export_personal_data", **everyone(NOT_ALLOWED, anonymous=SIGN_IN)),
    row("set_news_consent", **everyone(NOT_ALLOWED, anonymous=SIGN_IN)),
    row("withdraw_party_support", **everyone(NOT_ALLOWED, anonymous=SIGN_IN)),
    row("renew_privacy_consent", **everyone(OK, anonymous=SIGN_IN)),
    row(
        "delete_account",
        anonymous=SIGN_IN,
        volunteer=OK,
        other_volunteer=OK,
        candidate=OK,
        other_candidate=OK,
        organiser=FORBIDDEN,
        superuser=FORBIDDEN,
    ),
    # Signed links work without signing in, but not for someone signed in as another person.
    row(
        "respond_to_offer",
        args=("offer_token",),
        anonymous=OK,
        volunteer=OK,
        other_volunteer=WRONG_PERSON,
        candidate=WRONG_PERSON,
        other_candidate=WRONG_PERSON,
        organiser=WRONG_PERSON,
        superuser=WRONG_PERSON,
    ),
    row(
        "campaign_feedback",
        args=("campaign_token",),
        anonymous=OK,
        volunteer=WRONG_PERSON,
        other_volunteer=WRONG_PERSON,
        candidate=OK,
        other_candidate=WRONG_PERSON,
        organiser=WRONG_PERSON,
        superuser=WRONG_PERSON,
    ),
    # An imported campaign's invitation opens the campaign signup, which a signed-in person skips.
    row("candidate_invitation", args=("invitation_token",), **everyone(SIGN_IN, anonymous=OK)),
    # A call-out is answered signed in, by the volunteer it was sent to.
    row(
        "callout_answer",
        args=("callout_token",),
        anonymous=SIGN_IN,
        volunteer=OK,
        other_volunteer=WRONG_PERSON,
        candidate=WRONG_PERSON,
        other_candidate=WRONG_PERSON,
        organiser=WRONG_PERSON,
        superuser=WRONG_PERSON,
    ),
    # The network's report holds counts only; organisers open it, and anyone with a shared link.
    row("network_report", **everyone(FORBIDDEN, anonymous=SIGN_IN) | {"organiser": OK, "superuser": OK}),
    row("shared_report", args=("report_token",), **everyone(OK)),
    row("livez", **everyone(OK)),
    # The admin: organisers see what their group allows, and no more.
    row("admin:index", **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK}),
    row("admin:accounts_user_changelist", **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK}),
    row(
        "admin:accounts_user_change",
        args=("volunteer_user_id",),
        **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK},
    ),
    row(
        "admin:accounts_user_delete",
        args=("volunteer_user_id",),
        **everyone(SIGN_IN) | {"organiser": FORBIDDEN, "superuser": OK},
    ),
    row("admin:accounts_user_add", **everyone(SIGN_IN) | {"organiser": FORBIDDEN, "superuser": OK}),
    row("admin:auth_group_changelist", **everyone(SIGN_IN) | {"organiser": FORBIDDEN, "superuser": OK}),
    row("admin:volunteers_volunteer_changelist", **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK}),
    row("admin:candidates_helprequest_changelist", **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK}),
    row("admin:matching_match_changelist", **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK}),
    row("admin:accounts_consent_changelist", **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK}),
    row("admin:accounts_privacyauditentry_changelist", **everyone(SIGN_IN) | {"organiser": OK, "superuser": OK}),
]

# URL names this table need not list: allauth's and the admin's own pages are
# represented above by the ones people use, and health checks answer monitors.
UNLISTED_NAMESPACES_AND_PREFIXES = ("admin:", "account_", "mfa_", "socialaccount_", "healthz")


@dataclass
class World:
    clients: dict
    users: dict
    offer_token: str
    campaign_token: str
    invitation_token: str
    callout_token: str
    report_token: str
    volunteer_user_id: int


@pytest.fixture
def world(db):
    volunteer = VolunteerFactory(full_name="Vera Volunteer", skills={"engineering": 3})
    other_volunteer = VolunteerFactory(full_name="Otto Othervolunteer")
    candidate = CandidateFactory(full_name="Cara Candidate")
    other_candidate = CandidateFactory(full_name="Olga Othercandidate")
    HelpRequestFactory(candidate=other_candidate, description="Olga's private leaflet plan.")
    organiser = UserFactory(is_staff=True)
    organiser.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
    superuser = UserFactory(is_staff=True, is_superuser=True)

    help_request = HelpRequestFactory(candidate=candidate)
    match = MatchFactory(volunteer=volunteer, help_request=help_request)
    services.approve_match(match_id=match.pk, organiser=organiser)
    callout = CallOut.objects.create(help_request=help_request, radius_miles=10, sent_by=organiser)
    callout_recipient = CallOutRecipient.objects.create(callout=callout, volunteer=volunteer)
    imported_candidate = CandidateFactory(user=None, full_name="Ivo Imported")
    match = Match.objects.select_related("volunteer", "help_request__candidate").get(pk=match.pk)

    users = {
        "volunteer": volunteer.user,
        "other_volunteer": other_volunteer.user,
        "candidate": candidate.user,
        "other_candidate": other_candidate.user,
        "organiser": organiser,
        "superuser": superuser,
    }
    clients = {"anonymous": Client()}
    for role, user in users.items():
        clients[role] = Client()
        if user.is_staff:
            enable_two_factor(user)
        sign_in(clients[role], user)
    return World(
        clients=clients,
        users=users,
        offer_token=links.offer_url(match).rstrip("/").rsplit("/", 1)[-1],
        campaign_token=links.campaign_url(match).rstrip("/").rsplit("/", 1)[-1],
        invitation_token=invitations.make_token(imported_candidate),
        callout_token=callouts.make_token(callout_recipient),
        report_token=reports.make_share_token(year=None),
        volunteer_user_id=volunteer.user_id,
    )


def url_of(table_row: Row, world: World) -> str:
    return reverse(table_row.name, args=[getattr(world, arg) for arg in table_row.args])


@pytest.mark.django_db
@pytest.mark.parametrize("table_row", TABLE, ids=[table_row.name for table_row in TABLE])
def test_every_role_gets_the_expected_status(world, table_row):
    url = url_of(table_row, world)
    got = {role: world.clients[role].get(url).status_code for role in ROLES}
    expected = {role: table_row.expected(role) for role in ROLES}

    assert got == expected


@pytest.mark.django_db
def test_nobody_sees_another_persons_profile_or_requests(world):
    assert "Vera Volunteer" in world.clients["volunteer"].get(reverse("volunteer_profile")).content.decode()
    other_profile = world.clients["other_volunteer"].get(reverse("volunteer_profile")).content.decode()
    assert "Otto Othervolunteer" in other_profile
    assert "Vera Volunteer" not in other_profile

    own_requests = world.clients["candidate"].get(reverse("my_requests")).content.decode()
    assert "Olga&#x27;s private leaflet plan." not in own_requests
    assert "Olga's private leaflet plan." not in own_requests
    assert (
        "Olga&#x27;s private leaflet plan."
        in world.clients["other_candidate"].get(reverse("my_requests")).content.decode()
    )


@pytest.mark.django_db
def test_candidate_sees_contacts_after_introduction(world, django_capture_on_commit_callbacks):
    volunteer_email = world.users["volunteer"].email
    candidate_email = world.users["candidate"].email
    candidate_client = world.clients["candidate"]
    candidate_pages = [url_of(table_row, world) for table_row in TABLE if table_row.candidate == OK]

    for url in candidate_pages:
        page = candidate_client.get(url).content.decode()
        assert volunteer_email not in page, url
        assert "Vera Volunteer" not in page, url
    assert not [message for message in mail.outbox if candidate_email in message.to]

    match = Match.objects.get(volunteer__user=world.users["volunteer"])
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_offer(match_id=match.pk)

    [introduction] = [message for message in mail.outbox if candidate_email in message.to]
    assert volunteer_email in introduction.body
    assert "Vera Volunteer" in introduction.body


@pytest.mark.django_db
def test_pages_for_signed_in_people_are_not_cached(world):
    for table_row in TABLE:
        if table_row.name.startswith("admin:") or table_row.volunteer != OK:
            continue
        response = world.clients["volunteer"].get(url_of(table_row, world))
        assert "no-store" in response.get("Cache-Control", ""), table_row.name


def _url_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _url_names(pattern.url_patterns, prefix + namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_table_lists_every_page_of_the_project():
    listed = {table_row.name for table_row in TABLE}
    unlisted = {
        name
        for name in _url_names(get_resolver().url_patterns)
        if name not in listed and not name.startswith(UNLISTED_NAMESPACES_AND_PREFIXES)
    }

    assert unlisted == set(), "add a row for each of these pages to TABLE in techforlabour/tests/test_authorisation.py"
