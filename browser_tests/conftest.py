"""
Fixtures for tests that drive the system Chromium through Playwright against Django's live server.

Playwright cannot download a browser of its own here, so the tests launch the
Chromium that Debian's `chromium` package installs, by its path. Where that
executable is missing, every test that needs a browser is skipped with the reason.
"""

import os
from pathlib import Path

import pytest

CHROMIUM_PATH = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))

# Flags that stop Chromium from calling Google's services in the background, so the
# only traffic is to the live server. --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config):
    # pytest-django's live server listens on "localhost" by default, which may
    # resolve to ::1. The loopback address keeps every request on 127.0.0.1.
    if not config.getoption("liveserver", None) and not os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS"):
        config.option.liveserver = "127.0.0.1"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the browser tests after all others, and skip them, with the reason, where there is no Chromium.

    Playwright keeps an event loop running in the test thread from the first browser
    test to the end of the session (see the `playwright` fixture). Without this hook,
    pytest moves browser tests forward to group them by their session-scoped
    `browser_name` parameter. Running them last keeps every other test, including
    those that start `manage.py` in a subprocess, free of that loop and of
    DJANGO_ALLOW_ASYNC_UNSAFE.
    """
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    items[:] = [item for item in items if not item.get_closest_marker("browser")] + browser_items

    if CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK):
        return
    skip = pytest.mark.skip(
        reason=f"No Chromium executable at {CHROMIUM_PATH}: install it with `apt-get install -y chromium` "
        "or set CHROMIUM_PATH to another Chromium."
    )
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def playwright(playwright):
    """pytest-playwright's Playwright, with Django's check for async callers turned off while it runs.

    Playwright's sync API keeps an asyncio event loop running in the test thread from
    its start to the end of the session. Django raises SynchronousOnlyOperation on any
    ORM call from a thread with a running loop, unless DJANGO_ALLOW_ASYNC_UNSAFE is set.
    It is set here rather than when this file loads, so that the tests that run before
    the browser starts, such as those running `manage.py check --deploy` in a
    subprocess, do not inherit it.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield playwright
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM_PATH), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    """Open every page relative to the live server, in British English."""
    return {**browser_context_args, "base_url": live_server.url, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture
def request_log(live_server):
    """URLs of every request the browser makes in this test; none may leave the live server.

    The check runs after the browser contexts have closed, so it covers every page the test opened.
    """
    urls: list[str] = []
    yield urls
    outside = [url for url in urls if not is_local(url, live_server.url)]
    assert not outside, f"Requests left the live server at {live_server.url}: {outside}"


def is_local(url: str, live_server_url: str) -> bool:
    return url.startswith(f"{live_server_url}/") or url.startswith("data:")


@pytest.fixture
def new_context(new_context, request_log):
    """pytest-playwright's context factory, recording every request in `request_log`.

    The `context` and `page` fixtures open theirs through it, and a test calls it for a
    second person on their own device.
    """
    opened = []

    def open_context(**kwargs):
        context = new_context(**kwargs)
        # Pages here load in well under a second, so a step still waiting after 10 s has failed.
        context.set_default_timeout(10_000)
        context.on("request", lambda request: request_log.append(request.url))
        opened.append(context)
        return context

    yield open_context
    # Let late requests finish before the test's database is flushed under the live server.
    for context in opened:
        for open_page in context.pages:
            open_page.wait_for_load_state("networkidle")


@pytest.fixture
def site_url(settings, live_server):
    """Point the links in emails built from SITE_URL at the live server."""
    settings.SITE_URL = live_server.url
    return live_server.url
