"""
No page requests anything from a host other than the site itself: fonts,
scripts, styles and images all come from static/. Every browser test checks this
as it ends, through the `request_log` fixture. The test here visits each public
page on purpose, and shows that the log records the site's own files.
"""

import pytest
from playwright.sync_api import Page

from .conftest import is_local
from .helpers import ANONYMOUS_PAGES

LIVE_SERVER = "http://127.0.0.1:8081"


@pytest.mark.browser
def test_public_pages_request_only_live_server(page: Page, live_server, request_log):
    for _, path in ANONYMOUS_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")

    for asset in ["vendor/bootstrap/bootstrap.min.css", "css/site.css", "js/site.js", "img/logo.svg"]:
        assert any(url.endswith(f"/static/{asset}") for url in request_log), f"The browser never loaded {asset}"
    outside = [url for url in request_log if not is_local(url, live_server.url)]
    assert not outside, f"Requests left the live server: {outside}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{LIVE_SERVER}/static/css/site.css", True),
        (f"{LIVE_SERVER}/", True),
        ("data:image/svg+xml;base64,PHN2Zz4=", True),
        ("http://127.0.0.1:80810/static/css/site.css", False),
        ("http://127.0.0.1:8081.example.com/", False),
        ("https://fonts.googleapis.com/css2?family=Inter", False),
        ("https://cdn.jsdelivr.net/npm/bootstrap/dist/css/bootstrap.min.css", False),
    ],
)
def test_is_local_accepts_only_live_server(url, expected):
    assert is_local(url, LIVE_SERVER) is expected
