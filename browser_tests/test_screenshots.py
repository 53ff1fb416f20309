"""
Screenshots of the main pages at a phone's width and a desktop's, shown in README.md.

Each page is also checked for sideways scrolling at both widths, since text that
runs off a 360-pixel screen is the commonest way a page fails on a phone.

The pictures go to a temporary folder, so a test run leaves the working tree
alone. To refresh the ones in docs/screenshots/, run:

    UPDATE_SCREENSHOTS=1 python -m pytest browser_tests/test_screenshots.py
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from candidates.models import HelpRequest
from candidates.tests.factories import CandidateFactory, HelpRequestFactory
from matching import services
from matching.links import Action, make_token
from matching.tests.factories import MatchFactory
from volunteers.tests.factories import DEFAULT_PASSWORD, VolunteerFactory

from .helpers import sign_in

pytestmark = pytest.mark.browser

DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# A small Android phone, and a common laptop.
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture
def screenshot_dir(tmp_path):
    if os.environ.get("UPDATE_SCREENSHOTS"):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path


def capture(page: Page, folder: Path, name: str) -> None:
    """Save the page at each width, after checking that nothing makes it scroll sideways."""
    for device, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at {viewport['width']} px wide"
        path = folder / f"{name}-{device}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        assert path.stat().st_size > 0


@pytest.fixture
def network(organiser):
    """A few volunteers and campaigns, so the counts on the home page are not all zero."""
    volunteers = [VolunteerFactory(skills={"engineering": 3}) for _ in range(3)]
    help_request = HelpRequestFactory()
    HelpRequest.objects.filter(pk=help_request.pk).update(status=HelpRequest.Status.MATCHED)
    return volunteers


def test_screenshots_of_anonymous_pages(page: Page, network, screenshot_dir):
    pages = [
        ("home", "/", "Tech skills for Labour council campaigns"),
        ("volunteer-signup", "/volunteer/signup/", "Volunteer your skills"),
        ("campaign-signup", "/campaigns/ask-for-help/", "Ask for help with your campaign"),
        ("sign-in", "/accounts/login/", "Sign in"),
        ("check-your-email", "/accounts/confirm-email/", "Check your email"),
    ]
    for name, path, heading in pages:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        capture(page, screenshot_dir, name)

    page.goto("/volunteer/signup/")
    page.get_by_label("Postcode").fill("QA1 1AA")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    capture(page, screenshot_dir, "volunteer-signup-errors")


def test_screenshots_of_offer_page(page: Page, organiser, screenshot_dir):
    volunteer = VolunteerFactory()
    match = MatchFactory(volunteer=volunteer)
    services.approve_match(match_id=match.pk, organiser=organiser)
    token = make_token(match_id=match.pk, action=Action.RESPOND_TO_OFFER, user_id=volunteer.user_id)

    page.goto(reverse("respond_to_offer", args=[token]) + "?answer=accept")
    expect(page.get_by_role("heading", level=1)).to_have_text("Can you help this campaign?")
    capture(page, screenshot_dir, "offer")


def test_screenshots_of_signed_in_pages(page: Page, screenshot_dir):
    volunteer = VolunteerFactory(skills={"data": 3, "video": 1})
    sign_in(page, email=volunteer.user.email, password=DEFAULT_PASSWORD)
    page.goto(reverse("volunteer_profile"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    capture(page, screenshot_dir, "profile")

    page.context.clear_cookies()
    candidate = CandidateFactory()
    HelpRequestFactory(candidate=candidate)
    HelpRequestFactory(candidate=candidate, skill_area="video", status=HelpRequest.Status.OFFERED)
    sign_in(page, email=candidate.user.email, password=DEFAULT_PASSWORD)
    page.goto(reverse("my_requests"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    capture(page, screenshot_dir, "my-requests")
