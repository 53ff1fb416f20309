"""
The public forms follow the GOV.UK Design System's question-page patterns, checked in Chromium.

Every field has a visible label and its hint linked to it. Errors appear in a
summary at the top that links to each field, and beside the field itself. The
skill choices are a fieldset with a legend, and the personal fields carry
`autocomplete`. Each form works with the keyboard alone and with JavaScript
turned off.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from volunteers.models import Volunteer

pytestmark = pytest.mark.browser

VOLUNTEER_SIGNUP = "/volunteer/signup/"
CAMPAIGN_SIGNUP = "/campaigns/ask-for-help/"
PASSWORD = "a long and memorable passphrase"

# Each input, select and textarea that a person can see or reach: its id, type, visible
# label text, the ids of the hints beside it, and the ids its aria-describedby names.
# A honeypot field, hidden from everyone with aria-hidden, is left out.
DESCRIBE_FIELDS = """() => Array.from(document.querySelectorAll("main form :is(input, select, textarea)"))
  .filter(el => el.type !== "hidden" && el.offsetParent !== null && !el.closest("[aria-hidden='true']"))
  .map(el => {
    const label = el.labels && el.labels.length ? el.labels[0] : null;
    const describedBy = (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
    const container = el.closest(".mb-3") || el.parentElement;
    const hints = Array.from(container.querySelectorAll(".form-text[id]")).map(hint => hint.id);
    return {
      id: el.id,
      type: el.type,
      label: label && label.offsetParent !== null ? label.textContent.trim() : "",
      hints: hints,
      describedBy: describedBy,
    };
  })"""


@pytest.mark.parametrize("path", [VOLUNTEER_SIGNUP, CAMPAIGN_SIGNUP, "/accounts/login/", "/accounts/password/reset/"])
def test_every_field_has_visible_label_and_linked_hint(page: Page, path):
    page.goto(path)
    fields = page.evaluate(DESCRIBE_FIELDS)
    assert fields, f"No fields found on {path}"
    for field in fields:
        assert field["label"], f"{path}: the field #{field['id']} has no visible label"
        for hint in field["hints"]:
            if hint.startswith(field["id"]):
                assert hint in field["describedBy"], f"{path}: #{field['id']} does not name its hint #{hint}"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            VOLUNTEER_SIGNUP,
            {"email": "email", "password1": "new-password", "full_name": "name", "postcode": "postal-code"},
        ),
        (
            CAMPAIGN_SIGNUP,
            {"email": "email", "full_name": "name", "contact_name": "name", "phone": "tel", "postcode": "postal-code"},
        ),
        ("/accounts/login/", {"login": "email", "password": "current-password"}),
    ],
    ids=["volunteer signup", "campaign signup", "sign in"],
)
def test_personal_fields_have_autocomplete(page: Page, path, expected):
    page.goto(path)
    for name, token in expected.items():
        expect(page.locator(f"main form [name={name}]")).to_have_attribute("autocomplete", token)


def test_skills_are_fieldset_with_legend(page: Page):
    page.goto(VOLUNTEER_SIGNUP)
    skills = page.get_by_role("group", name="Your skills")
    expect(skills).to_have_count(1)
    for area in [
        "Social media and marketing",
        "Data and analytics",
        "Engineering: websites and landing pages",
        "Video",
    ]:
        expect(skills.get_by_role("combobox", name=area)).to_have_count(1)


def test_error_summary_links_to_each_field_in_error(page: Page):
    page.goto(VOLUNTEER_SIGNUP)
    page.get_by_role("button", name="Sign up").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    assert links.count() >= 5
    for index in range(links.count()):
        link = links.nth(index)
        target_id = link.get_attribute("href").removeprefix("#")
        field = page.locator(f"[id='{target_id}']")
        expect(field).to_have_count(1)
        # The message beside the field, in the same group, is the one the summary repeats.
        message = page.locator(f"[id='div_{target_id.removesuffix('_0')}'] .invalid-feedback")
        expect(message).to_be_visible()
        expect(link).to_contain_text(message.inner_text().strip())
        if field.get_attribute("type") not in {"radio", "checkbox"}:
            # NOTE: crispy-forms links the message of a single field to it, but not
            # the message of a radio group to its fieldset.
            expect(field).to_have_attribute("aria-invalid", "true")
            error_id = message.get_attribute("id")
            assert error_id in field.get_attribute("aria-describedby").split()


def test_keyboard_reaches_fields_from_error_summary(page: Page):
    page.goto(VOLUNTEER_SIGNUP)
    page.get_by_label("Postcode").fill("QA1 1AA")
    page.get_by_label("Postcode").press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    postcode_link = summary.get_by_role("link", name=re.compile("^Postcode"))
    for _ in range(20):
        page.keyboard.press("Tab")
        if postcode_link.evaluate("link => link === document.activeElement"):
            break
    expect(postcode_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Postcode")).to_be_focused()
    expect(page.get_by_label("Postcode")).to_have_value("QA1 1AA")


def test_skip_link_is_first_stop_for_keyboard(page: Page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_enter_in_campaign_form_sends_it(page: Page):
    """Enter sends the form, as everywhere else, instead of adding another piece of help."""
    page.goto(CAMPAIGN_SIGNUP)
    help_groups = page.get_by_role("group", name=re.compile(r"^Help needed \d+$"))
    groups_before = help_groups.count()

    page.get_by_label("Email address").fill("agent@example.org")
    page.get_by_label("Email address").press("Enter")

    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(help_groups).to_have_count(groups_before)
    expect(page.get_by_label("Email address")).to_have_value("agent@example.org")


def test_volunteer_signup_works_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(VOLUNTEER_SIGNUP)
    page.get_by_label("Email address").fill("no-script@example.org")
    page.get_by_label("Full name").fill("张伟")
    page.get_by_label("Postcode").fill("M1 1AE")
    page.get_by_role("radio", name="Remotely", exact=True).check()
    page.get_by_label("Hours a week you can give").fill("0")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("Hours a week you can give: Enter at least 1 hour"))
    ).to_be_visible()
    assert not Volunteer.objects.exists()

    page.get_by_label("Hours a week you can give").fill("6")
    page.get_by_label("Data and analytics").select_option(label="Professional")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Available until (optional)").fill((timezone.localdate() + timedelta(days=90)).isoformat())
    page.get_by_role("checkbox", name=re.compile("I have read the privacy notice")).check()
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    volunteer = Volunteer.objects.get()
    assert volunteer.full_name == "张伟"
    assert volunteer.postcode == "M1 1AE"
    assert volunteer.hours_per_week == 6
