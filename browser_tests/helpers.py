"""Steps shared by the browser tests: the axe-core scan and signing in."""

from pathlib import Path

from playwright.sync_api import Page, expect

AXE_PATH = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"

# Every page that someone who is not signed in can open, by name and path.
ANONYMOUS_PAGES = [
    ("home", "/"),
    ("privacy notice", "/privacy/"),
    ("accessibility statement", "/accessibility/"),
    ("volunteer signup", "/volunteer/signup/"),
    ("campaign signup", "/campaigns/ask-for-help/"),
    ("sign in", "/accounts/login/"),
    ("password reset", "/accounts/password/reset/"),
    ("password reset sent", "/accounts/password/reset/done/"),
    ("verification sent", "/accounts/confirm-email/"),
]

# axe-core's impact levels, from least to most severe; a page fails on these two.
FAILING_IMPACTS = {"serious", "critical"}


def serious_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now and return its serious and critical violations.

    axe.min.js comes from node_modules (run `npm ci`) and is injected from disk, so
    the page makes no request for it.
    """
    assert AXE_PATH.is_file(), f"axe-core is missing at {AXE_PATH}: run `npm ci` in the repository first."
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_PATH))
    results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [violation for violation in results["violations"] if violation["impact"] in FAILING_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    """Format violations as one line per rule, with the CSS selector of each failing element."""
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"])
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']} [{targets}]")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe-core found problems on {page.url}:\n{describe_violations(violations)}"


def sign_in(page: Page, *, email: str, password: str) -> None:
    """Sign in through the site's own sign-in page, then wait for the page it leads to."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
