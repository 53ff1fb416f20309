"""
Settings for production: web processes behind a TLS-terminating proxy on the
same server, Celery workers and one beat, PostgreSQL and Redis.

Select them with DJANGO_SETTINGS_MODULE=techforlabour.settings.prod. They
refuse to start while a required variable is missing, and name every missing
one at once. Everything that base.py derives from the environment and that
production depends on is read again here, so that these values never come
from a default meant for a developer's machine.
"""

import os

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from techforlabour.logging import init_sentry, logging_config

from .base import *  # noqa: F403
from .base import INSTALLED_APPS as BASE_INSTALLED_APPS
from .base import MIDDLEWARE as BASE_MIDDLEWARE
from .base import env, without_jit

REQUIRED_VARIABLES = ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SITE_URL"]
MIN_SECRET_KEY_LENGTH = 50


def missing_variables() -> list[str]:
    """Return every required variable that is unset or blank, in the order of REQUIRED_VARIABLES."""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name, "").strip()]
    if not (os.environ.get("EMAIL_URL", "").strip() or os.environ.get("EMAIL_BACKEND", "").strip()):
        missing.append("EMAIL_URL or EMAIL_BACKEND")
    return missing


_missing = missing_variables()
if _missing:
    raise ImproperlyConfigured(
        f"Production settings cannot start: missing environment variables: {', '.join(_missing)}. "
        "Set them (see the Deploy section of README.md) or choose other settings with DJANGO_SETTINGS_MODULE."
    )

DEBUG = False

SECRET_KEY = env.str("SECRET_KEY")
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"SECRET_KEY is {len(SECRET_KEY)} characters long; production needs {MIN_SECRET_KEY_LENGTH} or more "
        "random characters. Make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SITE_URL = env.str("SITE_URL").rstrip("/")
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"

DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL names a {DATABASES['default']['ENGINE']} database; production needs PostgreSQL, "
        "such as postgres://user:password@127.0.0.1:5432/techforlabour"
    )
DATABASES["default"].update(
    ATOMIC_REQUESTS=False,
    # Each web process keeps its connection for a minute instead of opening one per request.
    CONN_MAX_AGE=60,
    CONN_HEALTH_CHECKS=True,
)
# Seconds; without it a request waits for the operating system's TCP timeout when PostgreSQL is away.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
without_jit(DATABASES["default"])

# Redis is the broker and the cache. allauth's rate limits live in the cache, so
# a per-process memory cache would give every process its own, higher, limit.
REDIS_URL = env.str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}
# The worker logs through LOGGING below, as JSON, instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Email: SMTP from EMAIL_URL, or any Django email backend named by EMAIL_BACKEND,
# such as anymail.backends.postmark.EmailBackend. Every ANYMAIL_<NAME> variable
# becomes ANYMAIL["<NAME>"], for example ANYMAIL_POSTMARK_SERVER_TOKEN.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
    ANYMAIL = {
        name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")
    }
# Seconds. Signup sends its confirmation email inside the web request, which
# gunicorn kills after 30 seconds; an SMTP server that hangs must fail first.
EMAIL_TIMEOUT = 10

# HTTPS is terminated by the proxy, which must overwrite X-Forwarded-Proto on
# every request. Only the proxy may reach gunicorn (it listens on 127.0.0.1),
# or a client could claim HTTPS for itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off only for a local load test over plain HTTP.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Monitors on the server itself ask over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The preload flag alone changes nothing: only submitting the domain to the
# browsers' preload list does, and that stays the domain owner's decision.
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
# No script reads the CSRF cookie: every form carries the token in a hidden field.
CSRF_COOKIE_HTTPONLY = True

# Needed only when the proxy changes the Host header; Django already trusts
# https://<the request's own host>.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
_plain_origins = [origin for origin in CSRF_TRUSTED_ORIGINS if not origin.startswith("https://")]
if _plain_origins:
    raise ImproperlyConfigured(
        f"CSRF_TRUSTED_ORIGINS must list https:// origins only; these are not: {', '.join(_plain_origins)}"
    )

# allauth rate-limits by client address. Behind one proxy that appends the
# client's address to X-Forwarded-For, the last entry is the client's. With
# allauth's default of 0, every visitor would share the proxy's address, and so one limit.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=1)

# For load tests only, such as {"signup": "100000/m/ip"}: every simulated user
# comes from 127.0.0.1, so allauth's 20 signups a minute per address would stop
# the test. allauth merges these over its defaults. Never set it on a live site.
_rate_limit_overrides = env.json("ACCOUNT_RATE_LIMITS", default={})
if not isinstance(_rate_limit_overrides, dict):
    raise ImproperlyConfigured(
        'ACCOUNT_RATE_LIMITS must be a JSON object such as {"signup": "100000/m/ip"}, '
        f"not {type(_rate_limit_overrides).__name__}"
    )
if _rate_limit_overrides:
    ACCOUNT_RATE_LIMITS = _rate_limit_overrides

INSTALLED_APPS = [*BASE_INSTALLED_APPS, "csp"]

# WhiteNoise serves static files and comes first after the HTTPS redirect.
# Every page passes on to the middleware after it, which gives it a request id,
# one log line and the CSP header.
_after_whitenoise = BASE_MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
MIDDLEWARE = [
    *BASE_MIDDLEWARE[:_after_whitenoise],
    "techforlabour.middleware.RequestIdMiddleware",
    "csp.middleware.CSPMiddleware",
    *BASE_MIDDLEWARE[_after_whitenoise:],
]

# Bootstrap's stylesheet draws form controls with data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"))

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
