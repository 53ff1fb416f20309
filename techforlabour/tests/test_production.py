"""
Production settings, the request id and JSON logging.

The settings module is imported afresh in each test with a controlled
environment, so every value checked here is the one production would get.
"""

import importlib
import io
import json
import logging
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory, override_settings

from techforlabour import logging as json_logging
from techforlabour.middleware import REQUEST_ID_HEADER, RequestIdMiddleware
from volunteers.tests.factories import DEFAULT_PASSWORD, UserFactory

PROD_MODULE = "techforlabour.settings.prod"
PROJECT_DIR = Path(__file__).resolve().parents[2]
PUBLIC_HOST = "techforlabour.example"
PUBLIC_ORIGIN = f"https://{PUBLIC_HOST}"
# Made up for these tests: long and varied enough for Django's deployment check.
FAKE_SECRET_KEY = "test-only-7Qm2vX9pL4rT8wZ1nB6cK3hJ5dF0gS2aE7uY9iO4pR1tW6qN8mV3xC5"

PROD_ENVIRONMENT = {
    "SECRET_KEY": FAKE_SECRET_KEY,
    "ALLOWED_HOSTS": PUBLIC_HOST,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/techforlabour_settings_test",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "SITE_URL": PUBLIC_ORIGIN,
    "EMAIL_URL": "smtp+tls://mailer:not-a-real-password@127.0.0.1:587",
}

# Variables the production settings read; each test starts with none of them set.
PROD_VARIABLES = [
    *PROD_ENVIRONMENT,
    "EMAIL_BACKEND",
    "CSRF_TRUSTED_ORIGINS",
    "ALLAUTH_TRUSTED_PROXY_COUNT",
    "ACCOUNT_RATE_LIMITS",
    "SECURE_SSL_REDIRECT",
    "SENTRY_DSN",
    "LOG_LEVEL",
    "DEBUG",
]


def load_prod_settings(monkeypatch, **environment):
    """Import the production settings with PROD_ENVIRONMENT plus `environment`; None unsets a variable."""
    for name in [*PROD_VARIABLES, *(key for key in os.environ if key.startswith("ANYMAIL_"))]:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**PROD_ENVIRONMENT, **environment}.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    sys.modules.pop(PROD_MODULE, None)
    try:
        return importlib.import_module(PROD_MODULE)
    finally:
        sys.modules.pop(PROD_MODULE, None)


@pytest.fixture
def prod(monkeypatch):
    return load_prod_settings(monkeypatch)


# Refusing to start


def test_refusal_names_every_missing_variable(monkeypatch):
    unset = dict.fromkeys(PROD_ENVIRONMENT)

    with pytest.raises(ImproperlyConfigured) as refusal:
        load_prod_settings(monkeypatch, **unset)

    message = str(refusal.value)
    assert message.startswith("Production settings cannot start: missing environment variables:")
    for name in ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SITE_URL", "EMAIL_URL or EMAIL_BACKEND"]:
        assert name in message


def test_refusal_names_only_what_is_missing(monkeypatch):
    with pytest.raises(ImproperlyConfigured) as refusal:
        load_prod_settings(monkeypatch, SECRET_KEY=None, ALLOWED_HOSTS="  ")

    message = str(refusal.value)
    assert "missing environment variables: SECRET_KEY, ALLOWED_HOSTS." in message
    assert "DATABASE_URL" not in message


def test_email_backend_counts_as_email_setting(monkeypatch):
    prod = load_prod_settings(monkeypatch, EMAIL_URL=None, EMAIL_BACKEND="anymail.backends.postmark.EmailBackend")

    assert prod.EMAIL_BACKEND == "anymail.backends.postmark.EmailBackend"


def test_short_secret_key_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is 12 characters long; production needs 50"):
        load_prod_settings(monkeypatch, SECRET_KEY="short-secret")


def test_sqlite_database_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="production needs PostgreSQL"):
        load_prod_settings(monkeypatch, DATABASE_URL="sqlite:///db.sqlite3")


def test_plain_http_trusted_origin_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="these are not: http://techforlabour.example"):
        load_prod_settings(monkeypatch, CSRF_TRUSTED_ORIGINS=f"{PUBLIC_ORIGIN},http://{PUBLIC_HOST}")


# Values


SECURITY_VALUES = [
    ("DEBUG", False),
    ("SESSION_COOKIE_SECURE", True),
    ("SESSION_COOKIE_HTTPONLY", True),
    ("CSRF_COOKIE_SECURE", True),
    ("CSRF_COOKIE_HTTPONLY", True),
    ("SECURE_HSTS_SECONDS", 31_536_000),
    ("SECURE_HSTS_INCLUDE_SUBDOMAINS", True),
    ("SECURE_SSL_REDIRECT", True),
    ("SECURE_PROXY_SSL_HEADER", ("HTTP_X_FORWARDED_PROTO", "https")),
    ("SECURE_CONTENT_TYPE_NOSNIFF", True),
    ("SECURE_REFERRER_POLICY", "same-origin"),
    ("X_FRAME_OPTIONS", "DENY"),
    ("ALLAUTH_TRUSTED_PROXY_COUNT", 1),
    ("ALLOWED_HOSTS", [PUBLIC_HOST]),
    ("CSRF_TRUSTED_ORIGINS", []),
    ("CELERY_TASK_ALWAYS_EAGER", False),
    ("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13"),
    ("ACCOUNT_DEFAULT_HTTP_PROTOCOL", "https"),
]


@pytest.mark.parametrize(("name", "expected"), SECURITY_VALUES)
def test_security_value(prod, name, expected):
    assert getattr(prod, name) == expected


def test_debug_stays_off_when_environment_asks(monkeypatch):
    assert load_prod_settings(monkeypatch, DEBUG="true").DEBUG is False


def test_cache_is_redis(prod):
    assert prod.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert prod.CACHES["default"]["LOCATION"] == "redis://127.0.0.1:6379/13"


def test_database_from_url_keeps_connections(prod):
    database = prod.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "techforlabour_settings_test"
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_trusted_origins_and_proxy_count_from_environment(monkeypatch):
    prod = load_prod_settings(
        monkeypatch,
        CSRF_TRUSTED_ORIGINS=f"{PUBLIC_ORIGIN},https://www.{PUBLIC_HOST}",
        ALLAUTH_TRUSTED_PROXY_COUNT="2",
    )

    assert prod.CSRF_TRUSTED_ORIGINS == [PUBLIC_ORIGIN, f"https://www.{PUBLIC_HOST}"]
    assert prod.ALLAUTH_TRUSTED_PROXY_COUNT == 2


def test_ssl_redirect_off_by_environment(monkeypatch):
    assert load_prod_settings(monkeypatch, SECURE_SSL_REDIRECT="false").SECURE_SSL_REDIRECT is False


def test_rate_limits_are_allauth_defaults_unless_overridden(monkeypatch):
    assert not hasattr(load_prod_settings(monkeypatch), "ACCOUNT_RATE_LIMITS")

    prod = load_prod_settings(monkeypatch, ACCOUNT_RATE_LIMITS='{"signup": "100000/m/ip"}')

    assert prod.ACCOUNT_RATE_LIMITS == {"signup": "100000/m/ip"}


def test_rate_limits_must_be_json_object(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="must be a JSON object"):
        load_prod_settings(monkeypatch, ACCOUNT_RATE_LIMITS='["signup"]')


def test_smtp_email_from_email_url(prod):
    assert prod.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert prod.EMAIL_HOST == "127.0.0.1"
    assert prod.EMAIL_PORT == 587
    assert prod.EMAIL_USE_TLS is True
    assert prod.EMAIL_TIMEOUT == 10


def test_anymail_settings_from_environment(monkeypatch):
    prod = load_prod_settings(
        monkeypatch,
        EMAIL_URL=None,
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL_POSTMARK_SERVER_TOKEN="not-a-real-token",
    )

    assert prod.EMAIL_BACKEND == "anymail.backends.postmark.EmailBackend"
    assert prod.ANYMAIL == {"POSTMARK_SERVER_TOKEN": "not-a-real-token"}


def test_content_security_policy_allows_no_inline_code(prod):
    directives = prod.CONTENT_SECURITY_POLICY["DIRECTIVES"]

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "csp.middleware.CSPMiddleware" in prod.MIDDLEWARE
    for sources in directives.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources


def test_middleware_order(prod):
    assert prod.MIDDLEWARE[:4] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "techforlabour.middleware.RequestIdMiddleware",
        "csp.middleware.CSPMiddleware",
    ]


def test_logging_is_json_on_stdout(prod):
    handler = prod.LOGGING["handlers"]["stdout"]
    assert handler["stream"] == "ext://sys.stdout"
    assert prod.LOGGING["formatters"]["json"]["()"] == "techforlabour.logging.JsonFormatter"
    assert prod.LOGGING["root"]["handlers"] == ["stdout"]
    assert prod.CELERY_WORKER_HIJACK_ROOT_LOGGER is False


@pytest.fixture
def sentry_calls(monkeypatch):
    """The options of every sentry_sdk.init call, which is replaced so nothing is sent."""
    calls = []
    monkeypatch.setattr("sentry_sdk.init", lambda **options: calls.append(options))
    return calls


def test_sentry_off_without_dsn(monkeypatch, sentry_calls):
    load_prod_settings(monkeypatch)

    assert sentry_calls == []


def test_sentry_sends_no_personal_data(monkeypatch, sentry_calls):
    load_prod_settings(monkeypatch, SENTRY_DSN="https://public@127.0.0.1/1")

    (options,) = sentry_calls
    assert options["dsn"] == "https://public@127.0.0.1/1"
    assert options["send_default_pii"] is False
    assert {type(integration).__name__ for integration in options["integrations"]} == {
        "DjangoIntegration",
        "CeleryIntegration",
    }


def test_deploy_check_reports_nothing():
    """`manage.py check --deploy --fail-level WARNING` passes on the production settings."""
    environment = {key: value for key, value in os.environ.items() if key not in PROD_VARIABLES}
    environment.update(PROD_ENVIRONMENT, DJANGO_SETTINGS_MODULE=PROD_MODULE)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # Django always prints this one line; any issue would be listed before it.
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


# Behind the proxy


def proxied_settings(prod) -> dict:
    """The production values that decide how a request through the proxy is treated."""
    names = [
        "MIDDLEWARE",
        "ALLOWED_HOSTS",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_REDIRECT_EXEMPT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_REFERRER_POLICY",
        "X_FRAME_OPTIONS",
        "CSRF_TRUSTED_ORIGINS",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SECURE",
        "CONTENT_SECURITY_POLICY",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
    ]
    return {name: getattr(prod, name) for name in names}


def proxied_client() -> Client:
    """A client whose every request looks as it does after the proxy: HTTPS, public host."""
    return Client(enforce_csrf_checks=True, HTTP_HOST=PUBLIC_HOST, HTTP_X_FORWARDED_PROTO="https")


def csrf_token_from(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "the page has a CSRF token"
    return match.group(1)


def sign_in_through_proxy(origin: str):
    user = UserFactory()
    client = proxied_client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    return client.post(
        "/accounts/login/",
        {"login": user.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": csrf_token_from(page)},
        HTTP_ORIGIN=origin,
    )


@pytest.mark.django_db
def test_post_through_proxy_with_public_origin_passes_csrf(prod):
    with override_settings(**proxied_settings(prod)):
        response = sign_in_through_proxy(PUBLIC_ORIGIN)

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_post_through_proxy_with_foreign_origin_is_403(prod):
    with override_settings(**proxied_settings(prod)):
        response = sign_in_through_proxy("https://attacker.example")

    assert response.status_code == 403


@pytest.mark.django_db
def test_post_with_http_origin_is_403_behind_proxy(prod):
    with override_settings(**proxied_settings(prod)):
        response = sign_in_through_proxy(f"http://{PUBLIC_HOST}")

    assert response.status_code == 403


@pytest.mark.django_db
def test_plain_http_from_proxy_redirects_to_https(prod):
    with override_settings(**proxied_settings(prod)):
        response = Client(HTTP_HOST=PUBLIC_HOST, HTTP_X_FORWARDED_PROTO="http").get("/privacy/")

    assert response.status_code == 301
    assert response["Location"] == f"{PUBLIC_ORIGIN}/privacy/"


@pytest.mark.django_db
def test_health_answers_over_plain_http(prod):
    with override_settings(**proxied_settings(prod), REDIS_URL=""):
        response = Client(HTTP_HOST=PUBLIC_HOST).get("/livez")

    assert response.status_code == 200


@pytest.mark.django_db
def test_https_response_has_security_headers(prod):
    with override_settings(**proxied_settings(prod)):
        response = proxied_client().get("/privacy/")

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


# Public pages under the Content Security Policy


class InlineCodeFinder(HTMLParser):
    """Collect what a CSP without 'unsafe-inline' would block: inline scripts, styles and handlers."""

    # Data blocks, which browsers never run.
    DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}

    def __init__(self):
        super().__init__()
        self.violations = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type") not in self.DATA_SCRIPT_TYPES:
            self.violations.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.violations.append(f"<style> element at line {self.getpos()[0]}")
        for name, value in attrs:
            if name == "style":
                self.violations.append(f'style="{value}" on <{tag}> at line {self.getpos()[0]}')
            if name.startswith("on"):
                self.violations.append(f"{name} handler on <{tag}> at line {self.getpos()[0]}")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.violations.append(f"javascript: URL on <{tag}> at line {self.getpos()[0]}")


PUBLIC_PAGES = [
    "/",
    "/privacy/",
    "/accessibility/",
    "/volunteer/signup/",
    "/campaigns/ask-for-help/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/confirm-email/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_needs_no_inline_code(prod, path):
    with override_settings(**proxied_settings(prod)):
        response = proxied_client().get(path)

    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    assert finder.violations == []


@pytest.mark.django_db
def test_form_errors_page_needs_no_inline_code(prod):
    """The signup page with its error summary, as shown after an invalid post."""
    with override_settings(**proxied_settings(prod)):
        client = proxied_client()
        page = client.get("/volunteer/signup/")
        response = client.post(
            "/volunteer/signup/",
            {"email": "not-an-email", "csrfmiddlewaretoken": csrf_token_from(page)},
            HTTP_ORIGIN=PUBLIC_ORIGIN,
        )

    assert response.status_code == 200
    assert "data-error-summary" in response.content.decode()
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    assert finder.violations == []


# Request id and JSON logging


def echo_view(request):
    from django.http import HttpResponse

    return HttpResponse(json_logging.current_request_id.get())


def test_request_id_is_generated_and_returned():
    request = RequestFactory().get("/")

    response = RequestIdMiddleware(echo_view)(request)

    request_id = response[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.content.decode() == request_id
    assert json_logging.current_request_id.get() == "", "the id does not leak into the next request"


def test_request_id_from_proxy_is_kept():
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="proxy-1a2b3c4d")

    response = RequestIdMiddleware(echo_view)(request)

    assert response[REQUEST_ID_HEADER] == "proxy-1a2b3c4d"


@pytest.mark.parametrize("incoming", ["short", "has spaces in it", "line\nbreak-injection", "x" * 129])
def test_unsafe_request_id_is_replaced(incoming):
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=incoming)

    response = RequestIdMiddleware(echo_view)(request)

    assert response[REQUEST_ID_HEADER] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response[REQUEST_ID_HEADER])


@pytest.mark.django_db
def test_request_log_names_route_not_path(prod, caplog):
    confirmation_key = "MTA:1tXyZq:secret-confirmation-key"
    caplog.set_level(logging.INFO, logger="techforlabour.middleware")

    with override_settings(**proxied_settings(prod)):
        response = proxied_client().get(f"/accounts/confirm-email/{confirmation_key}/")

    (record,) = [record for record in caplog.records if record.name == "techforlabour.middleware"]
    assert record.status == response.status_code
    assert "confirm-email" in record.route
    assert confirmation_key not in record.getMessage()
    assert confirmation_key not in record.route


def format_json(record: logging.LogRecord) -> dict:
    json_logging.RequestIdFilter().filter(record)
    line = json_logging.JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def test_json_line_carries_request_id_and_extras():
    token = json_logging.current_request_id.set("abc123def456")
    try:
        record = logging.LogRecord("matching.emails", logging.INFO, __file__, 1, "Sent email %s", (42,), None)
        record.duration_ms = 12.5
        entry = format_json(record)
    finally:
        json_logging.current_request_id.reset(token)

    assert entry["message"] == "Sent email 42"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "matching.emails"
    assert entry["request_id"] == "abc123def456"
    assert entry["task_id"] == ""
    assert entry["duration_ms"] == 12.5
    assert entry["time"].endswith("+00:00")


def test_json_line_includes_exception_on_one_line():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    entry = format_json(record)

    assert "ValueError: broken" in entry["exception"]
    assert entry["request_id"] == ""


def test_log_configuration_writes_json_to_stdout(prod, monkeypatch):
    """Configure a probe logger as production configures the root, and read back one log call."""
    import copy
    import logging.config

    config = copy.deepcopy(prod.LOGGING)
    probe = "techforlabour.tests.logging_probe"
    config["loggers"] = {probe: {**config.pop("root"), "propagate": False}}
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)

    logging.config.dictConfig(config)
    logging.getLogger(probe).warning("Queue is %d long", 7)

    (line,) = stdout.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "Queue is 7 long"
    assert entry["level"] == "WARNING"
    assert entry["request_id"] == ""


def test_json_line_in_celery_task_carries_task_id():
    from techforlabour.celery import app

    @app.task(name="techforlabour.tests.log_probe")
    def log_probe():
        record = logging.LogRecord("matching.tasks", logging.INFO, __file__, 1, "probe", (), None)
        return format_json(record)

    result = log_probe.apply(task_id="task-5e1f")

    # .result, not .get(): a test run that started a worker in this process may have
    # marked it as one where waiting on a result is forbidden.
    assert result.result["task_id"] == "task-5e1f"


# The load test's own guard


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8010",
        "http://10.0.0.5:8010",
        "http://192.168.1.2:8010",
        "https://127.0.0.1:8010",
        "http://127.0.0.1",
        "http://127.0.0.1:8010/admin/",
    ],
)
def test_load_test_rejects_other_targets(url):
    from loadtest.load import TargetNotAllowed, loopback_port

    with pytest.raises(TargetNotAllowed):
        loopback_port(url)


def test_load_test_accepts_loopback_target():
    from loadtest.load import check_database_url, loopback_port

    assert loopback_port("http://127.0.0.1:8010") == 8010
    check_database_url("postgres://postgres@127.0.0.1:5432/techforlabour_load")


def test_load_test_rejects_remote_database():
    from loadtest.load import TargetNotAllowed, check_database_url

    with pytest.raises(TargetNotAllowed):
        check_database_url("postgres://postgres@db.example.org:5432/techforlabour")
