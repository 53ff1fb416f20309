"""
The journeys that carry the service, each driven end to end in Chromium.

The live server runs in this process, so emails land in django.core.mail.outbox
(the locmem backend of the test settings), Celery tasks run eagerly, and the
on-commit callbacks that queue them run for real on the live server's database.
"""

import re
import time
from datetime import timedelta

import pytest
from allauth.account import app_settings as account_settings
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from candidates.models import Candidate, HelpRequest
from candidates.tests.factories import HelpRequestFactory
from matching import services
from matching.models import Match, OutgoingEmail
from matching.tests.factories import MatchFactory
from volunteers.models import Volunteer
from volunteers.tests.factories import DEFAULT_PASSWORD, VolunteerFactory

from .helpers import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "a long and memorable passphrase"
# crispy-forms puts a hidden asterisk inside the label of a required field, and
# Playwright matches a regular expression against all the label's text, hidden
# or not, with the white space around it.
PASSWORD_LABEL = re.compile(r"^\s*Password\*?\s*$")


def link_in(message, pattern: str) -> str:
    """Return the first URL in the plain-text body of an email that matches `pattern`."""
    found = re.search(pattern, message.body)
    assert found, f"No link matching {pattern!r} in the email {message.subject!r}:\n{message.body}"
    return found.group(1)


def emails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def confirm_email(page: Page, address: str, live_server_url: str) -> None:
    """Follow the link in the confirmation email, as the person would, and confirm."""
    (message,) = emails_to(address)
    url = link_in(message, rf"({re.escape(live_server_url)}/accounts/confirm-email/\S+)")
    page.goto(url)
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_volunteer_corrects_mistakes_and_signs_up(page: Page, live_server):
    page.goto("/")
    page.get_by_role("link", name="Volunteer your skills").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer your skills")

    page.get_by_label("Email address").fill("Siobhan.ONeill+tfl@Example.org")
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Full name").fill("Siobhán O'Neill-Ní Bhriain")
    page.get_by_label("Postcode").fill("QA1 1AA")
    page.get_by_label("Remotely", exact=True).check()
    page.get_by_label("Hours a week you can give").fill("4")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Sign up").click()

    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("Postcode: .*not a valid UK postcode"))).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("Choose at least one skill"))).to_be_visible()
    postcode = page.get_by_label("Postcode")
    expect(postcode).to_have_value("QA1 1AA")
    expect(postcode).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#id_postcode ~ .invalid-feedback, #id_postcode + .invalid-feedback").first).to_contain_text(
        "not a valid UK postcode"
    )
    expect(page.get_by_label("Full name")).to_have_value("Siobhán O'Neill-Ní Bhriain")
    expect(page.get_by_label("Email address")).to_have_value("Siobhan.ONeill+tfl@Example.org")
    assert not Volunteer.objects.exists()

    summary.get_by_role("link", name=re.compile("Postcode")).click()
    expect(postcode).to_be_focused()
    postcode.fill("sw1a 1aa")
    page.get_by_label("Video").select_option(label="Expert")
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text(f"within {account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS} days")).to_be_visible()
    assert_accessible(page)

    volunteer = Volunteer.objects.get()
    assert volunteer.full_name == "Siobhán O'Neill-Ní Bhriain"
    assert volunteer.postcode == "SW1A 1AA"
    assert {(skill.area, skill.level) for skill in volunteer.skills.all()} == {("video", 3)}
    assert not EmailAddress.objects.get(user=volunteer.user).verified

    confirm_email(page, "siobhan.oneill+tfl@example.org", live_server.url)
    assert EmailAddress.objects.get(user=volunteer.user).verified
    expect(page.get_by_role("heading", name="You are on the volunteer list")).to_be_visible()
    page.get_by_role("link", name="My profile").first.click()
    expect(page.get_by_label("Full name")).to_have_value("Siobhán O'Neill-Ní Bhriain")


def test_candidate_asks_for_two_kinds_of_help(page: Page, live_server):
    polling_day = timezone.localdate() + timedelta(days=45)
    needed_by = polling_day - timedelta(days=10)

    page.goto("/")
    page.get_by_role("link", name="Ask for help").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for help with your campaign")

    page.get_by_label("Email address").fill("agent@example.org")
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("radio", name="Election agent").check()
    page.get_by_label("Candidate's full name").fill("Priya Shah")
    page.get_by_label("Your name, if you are not the candidate").fill("Tom Evans")
    page.get_by_label("Phone number (optional)").fill("0121 496 0000")
    page.get_by_label("Campaign postcode").fill("B1 1AY")
    page.get_by_label("Ward or division").fill("Ladywood")
    page.get_by_label("Polling day").fill(polling_day.isoformat())

    first = page.get_by_role("group", name="Help needed 1")
    first.get_by_label("Engineering: websites and landing pages").check()
    first.get_by_label("What do you need?").fill("A one-page website with our pledges and a sign-up form.")
    first.get_by_label("Hours a week it needs").fill("5")
    first.get_by_label("Needed by").fill(needed_by.isoformat())
    first.get_by_label("Remote", exact=True).check()

    help_groups = page.get_by_role("group", name=re.compile(r"^Help needed \d+$"))
    groups_before = help_groups.count()
    page.get_by_role("button", name="Add another piece of help").click()
    expect(help_groups).to_have_count(groups_before + 1)
    expect(page.locator("[data-error-summary]")).to_have_count(0)
    expect(first.get_by_label("What do you need?")).to_have_value(
        "A one-page website with our pledges and a sign-up form."
    )
    expect(page.get_by_label("Ward or division")).to_have_value("Ladywood")

    second = page.get_by_role("group", name="Help needed 2")
    second.get_by_label("Video").check()
    second.get_by_label("What do you need?").fill("Three short videos introducing Priya to the ward.")
    second.get_by_label("Hours a week it needs").fill("3")
    second.get_by_label("Needed by").fill(needed_by.isoformat())
    second.get_by_label("Either").check()
    # Passwords are never sent back to the browser, so they are typed again after adding help.
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("checkbox", name=re.compile("I have read the privacy notice")).check()
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    candidate = Candidate.objects.get()
    assert candidate.role == Candidate.Role.AGENT
    assert candidate.election.ward == "Ladywood"
    assert candidate.election.council == "Birmingham"
    requests = candidate.help_requests.order_by("skill_area")
    assert [(r.skill_area, r.work_mode, r.estimated_hours) for r in requests] == [
        ("engineering", HelpRequest.WorkMode.REMOTE, 5),
        ("video", HelpRequest.WorkMode.EITHER, 3),
    ]

    confirm_email(page, "agent@example.org", live_server.url)
    page.get_by_role("link", name="My requests").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    expect(page.get_by_role("heading", name="Engineering: websites and landing pages")).to_be_visible()
    expect(page.get_by_role("heading", name="Video")).to_be_visible()
    assert_accessible(page)


def current_totp_code(secret: str) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def test_organiser_approves_suggestion_in_admin(page: Page, organiser, site_url):
    secret = generate_totp_secret()
    TOTP.activate(organiser, secret)
    volunteer = VolunteerFactory(full_name="Amara Okafor", skills={"engineering": 3})
    help_request = HelpRequestFactory()
    services.refresh_suggestions(help_request=help_request)
    match = Match.objects.get(help_request=help_request, volunteer=volunteer, status=Match.Status.SUGGESTED)
    change_url = reverse("admin:candidates_helprequest_change", args=[help_request.pk])

    page.goto(f"{reverse('account_login')}?next={change_url}")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # allauth requests a code from every account with an authenticator, whether or not the admin requires one.
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert_accessible(page)
    page.get_by_label(re.compile(r"^\s*Code")).fill(current_totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(change_url)))

    suggestions = page.locator(".inline-group").filter(has_text="suggested volunteers")
    row = suggestions.locator("tr").filter(has_text="Amara Okafor")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Approve").click()

    expect(page.locator(".messagelist")).to_contain_text(f"Approved match #{match.pk}")
    match.refresh_from_db()
    assert match.status == Match.Status.APPROVED
    assert match.decided_by_id == organiser.pk
    offer = OutgoingEmail.objects.get(match=match, kind=OutgoingEmail.Kind.OFFER)
    assert offer.status == OutgoingEmail.Status.SENT
    (message,) = emails_to(volunteer.user.email)
    assert link_in(message, r"Say yes: (\S+)").startswith(f"{site_url}/matches/offer/")


def test_volunteer_accepts_offer_from_email(page: Page, organiser, site_url):
    volunteer = VolunteerFactory(full_name="Amara Okafor")
    match = MatchFactory(volunteer=volunteer)
    services.approve_match(match_id=match.pk, organiser=organiser)
    (offer,) = emails_to(volunteer.user.email)
    accept_url = link_in(offer, r"Say yes: (\S+)")
    mail.outbox.clear()

    page.goto(accept_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Can you help this campaign?")
    expect(page.get_by_label("Yes, introduce me")).to_be_checked()
    page.get_by_role("button", name="Send my answer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for saying yes")
    assert_accessible(page)
    match.refresh_from_db()
    assert match.status == Match.Status.ACCEPTED
    assert HelpRequest.objects.get(pk=match.help_request_id).status == HelpRequest.Status.MATCHED
    campaign_email = match.help_request.candidate.user.email
    assert len(emails_to(volunteer.user.email)) == 1
    assert len(emails_to(campaign_email)) == 1

    page.goto(accept_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("You have already said yes")


def test_volunteer_edits_and_pauses_profile(page: Page):
    volunteer = VolunteerFactory(skills={"data": 2}, hours_per_week=5)
    sign_in(page, email=volunteer.user.email, password=DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", name="You are on the volunteer list")).to_be_visible()

    page.get_by_role("link", name="My profile").first.click()
    page.get_by_label("Hours a week you can give").fill("8")
    page.get_by_label("Video").select_option(label="Some experience")
    page.get_by_label("Pause: don't suggest me for new work for now").check()
    page.get_by_role("button", name="Save my profile").click()

    expect(page.get_by_role("status")).to_contain_text("You are paused")
    volunteer.refresh_from_db()
    assert volunteer.is_paused
    assert volunteer.hours_per_week == 8
    assert {(skill.area, skill.level) for skill in volunteer.skills.all()} == {("data", 2), ("video", 1)}

    for url_name, name in [("privacy_centre", "your data and privacy page"), ("delete_account", "delete your account")]:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        expect(page.get_by_role("link", name=name)).to_have_attribute("href", url)

    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.get_by_role("heading", name="Your profile is paused")).to_be_visible()
