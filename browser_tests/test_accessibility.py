"""
An axe-core scan of every public page, in Chromium, failing on any serious or critical violation.

Each page is scanned as a person first sees it and, for forms, again after a
submission with mistakes, since the error summary and the messages beside the
fields are where accessibility problems tend to hide.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from candidates.tests.factories import CandidateFactory, HelpRequestFactory
from matching import services
from matching.links import Action, make_token
from matching.tests.factories import MatchFactory
from volunteers.tests.factories import DEFAULT_PASSWORD, VolunteerFactory

from .helpers import ANONYMOUS_PAGES, assert_accessible, serious_violations, sign_in

pytestmark = pytest.mark.browser


# A small Android phone, and a common laptop: axe checks some rules, such as
# contrast and target size, against the layout as drawn.
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("viewport", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("path", [path for _, path in ANONYMOUS_PAGES], ids=[name for name, _ in ANONYMOUS_PAGES])
def test_public_page_accessible(page: Page, path, viewport):
    page.set_viewport_size(viewport)
    response = page.goto(path)
    assert response.status == 200
    assert_accessible(page)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {viewport['width']} px wide"


@pytest.mark.parametrize(
    ("path", "submit"),
    [
        ("/volunteer/signup/", "Sign up"),
        ("/campaigns/ask-for-help/", "Send my request"),
        ("/accounts/login/", "Sign in"),
        ("/accounts/password/reset/", "Send me a link"),
    ],
    ids=["volunteer signup", "campaign signup", "sign in", "password reset"],
)
def test_form_with_errors_accessible(page: Page, path, submit):
    page.goto(path)
    page.get_by_role("button", name=submit).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_offer_page_accessible(page: Page, organiser):
    volunteer = VolunteerFactory()
    match = MatchFactory(volunteer=volunteer)
    services.approve_match(match_id=match.pk, organiser=organiser)
    token = make_token(match_id=match.pk, action=Action.RESPOND_TO_OFFER, user_id=volunteer.user_id)

    page.goto(reverse("respond_to_offer", args=[token]))
    expect(page.get_by_role("heading", name="Can you help this campaign?")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_profile_page_accessible(page: Page):
    volunteer = VolunteerFactory(skills={"data": 3, "video": 1})
    sign_in(page, email=volunteer.user.email, password=DEFAULT_PASSWORD)

    page.goto(reverse("volunteer_profile"))
    expect(page.get_by_role("heading", name="My profile")).to_be_visible()
    assert_accessible(page)


def test_my_requests_page_accessible(page: Page):
    candidate = CandidateFactory()
    HelpRequestFactory(candidate=candidate)
    HelpRequestFactory(candidate=candidate, skill_area="video")
    sign_in(page, email=candidate.user.email, password=DEFAULT_PASSWORD)

    page.goto(reverse("my_requests"))
    expect(page.get_by_role("heading", name="My requests")).to_be_visible()
    assert_accessible(page)


def test_scan_reports_serious_violations(page: Page):
    """The scan itself can fail: an unlabelled field and an image with no text are caught."""
    page.set_content(
        '<!DOCTYPE html><html lang="en-GB"><head><title>Broken</title></head><body><main>'
        '<h1>Broken</h1><input type="text" name="postcode">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    found = {violation["id"] for violation in serious_violations(page)}
    assert "label" in found
    assert "image-alt" in found
