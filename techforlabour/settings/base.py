"""
Settings shared by every environment.

Every value that differs between machines comes from the environment through
django-environ, which rejects malformed values (a DEBUG of "maybe" raises).
With no environment at all the project runs on its embedded defaults: SQLite,
Celery tasks run eagerly in the web process, and emails are written as files.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    REDIS_URL=(str, ""),
    EMAIL_URL=(str, ""),
    EMAIL_FILE_PATH=(str, str(BASE_DIR / "var" / "mail")),
    DEFAULT_FROM_EMAIL=(str, "Tech for Labour <hello@techforlabour.invalid>"),
    SITE_URL=(str, "http://127.0.0.1:8000"),
)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-never-use-in-production")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

# Absolute address of the site, used to build links in emails sent by Celery,
# where there is no request to build them from.
SITE_URL = env("SITE_URL").rstrip("/")

INSTALLED_APPS = [
    # Django's admin, on a site that requires two-factor authentication for staff.
    "techforlabour.admin_apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "accounts",
    "volunteers",
    "candidates",
    "matching",
    # The project package itself, for its management commands.
    "techforlabour",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: they read request.user.
    "accounts.middleware.PrivacyNoticeMiddleware",
    "accounts.middleware.NoStoreForSignedInMiddleware",
]

ROOT_URLCONF = "techforlabour.urls"
WSGI_APPLICATION = "techforlabour.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL names another database.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False


def without_jit(database: dict) -> dict:
    """Turn PostgreSQL's JIT compiler off for this connection.

    The app's queries run in milliseconds; compiling one took hundreds of
    milliseconds whenever its estimated cost crossed the threshold (docs/benchmarks.md).
    """
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    return database


without_jit(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: the email address is the login and must be verified.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Tech for Labour: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"
# Changing the email address or the password, or setting up two-factor
# authentication, asks for the password again when the last sign-in was more
# than ACCOUNT_REAUTHENTICATION_TIMEOUT seconds ago (allauth's default, 300).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# A field that people never see and bots fill in; a filled one creates no
# account. Its widget is restyled by accounts.forms.hide_honeypot, because
# allauth's own uses a style attribute, which the Content Security Policy blocks.
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "honeypot"

# Two-factor authentication: an authenticator app (TOTP) with recovery codes.
# Staff must use it before the admin lets them in (techforlabour.admin_site).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tech for Labour"
MFA_ADAPTER = "accounts.mfa_adapter.MFAAdapter"
# Encrypts the secrets of authenticator apps in the database. Set it apart from
# SECRET_KEY in production, so that rotating SECRET_KEY keeps staff's authenticators working.
MFA_ENCRYPTION_KEY = env("MFA_ENCRYPTION_KEY", default=SECRET_KEY)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: files in a folder a person can open unless EMAIL_URL names an SMTP server.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env("EMAIL_URL"):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")

# Redis serves as Celery's broker and Django's cache when REDIS_URL is set.
# Without it, tasks run eagerly inside the web process and the cache is local memory.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis redelivers a task that is not acknowledged within this many seconds.
# Every task here takes seconds, so an hour never re-runs a task still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

# Every scheduled job, in one place. Each job is safe to run twice.
CELERY_BEAT_SCHEDULE = {
    # Send emails still waiting after a few minutes, such as one approved while Redis was down.
    "requeue-unsent-emails": {"task": "matching.tasks.requeue_unsent_emails", "schedule": 60.0},
    # Offers nobody answered in OFFER_ANSWER_DAYS lapse; the next on the shortlist is offered.
    "lapse-expired-offers": {"task": "matching.tasks.lapse_expired_offers", "schedule": 15 * 60.0},
    # One reminder half-way through the time a volunteer has to answer an offer.
    "send-offer-reminders": {"task": "matching.tasks.send_offer_reminders", "schedule": 15 * 60.0},
    # One check-in to both sides a week after an introduction.
    "send-check-ins": {"task": "matching.tasks.send_check_ins", "schedule": 60 * 60.0},
    # After polling day, ask each introduced campaign for its result.
    "request-results": {"task": "matching.tasks.request_results", "schedule": 6 * 60 * 60.0},
    # Every hour, close the ballots whose polling day has passed: their waiting requests close,
    # unanswered offers are withdrawn, and introduced campaigns are asked for their result.
    "close-ballots-after-polling-day": {
        "task": "candidates.tasks.close_ballots_after_polling_day",
        "schedule": 60 * 60.0,
    },
    # Once a day, erase volunteers and campaigns past their retention period (RETENTION_* below).
    "apply-retention": {"task": "accounts.tasks.apply_retention", "schedule": 24 * 60 * 60.0},
    # Once a day, rewrite every volunteer's ranking rows. Saves keep them in step; this
    # catches a change made without signals, such as an UPDATE run by hand.
    "rebuild-ranking-rows": {"task": "matching.tasks.rebuild_ranking_rows", "schedule": 24 * 60 * 60.0},
    # Every 5 minutes, re-rank the open requests that volunteers who signed up or changed
    # their profile since the last run could join or leave. A run still queued after
    # 4 minutes is dropped: the next one picks up from where the last finished run ended.
    "refresh-suggestions-for-recent-volunteers": {
        "task": "matching.tasks.refresh_suggestions_for_recent_volunteers",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60.0},
    },
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Matching: weights of each score part (their sum is the maximum total score),
# and distances in miles. Changing them changes the ranking without code changes.
MATCHING = {
    "WEIGHTS": {
        "skill": env.float("MATCHING_WEIGHT_SKILL", default=40.0),
        "distance": env.float("MATCHING_WEIGHT_DISTANCE", default=25.0),
        "availability": env.float("MATCHING_WEIGHT_AVAILABILITY", default=20.0),
        "capacity": env.float("MATCHING_WEIGHT_CAPACITY", default=5.0),
        "fairness": env.float("MATCHING_WEIGHT_FAIRNESS", default=10.0),
    },
    # Score of each skill level before the skill weight is applied.
    "LEVEL_FACTORS": {1: 0.5, 2: 0.8, 3: 1.0},
    # For remote work, closeness only breaks ties: it earns at most this share
    # of the distance weight, falling to zero at REMOTE_LOCALITY_MILES.
    "REMOTE_LOCALITY_SHARE": 0.1,
    "REMOTE_LOCALITY_MILES": 200,
    # A volunteer whose last match was this many days ago (or who never had
    # one) gets the full fairness part.
    "FAIRNESS_FULL_AFTER_DAYS": 90,
    "SUGGESTIONS_PER_REQUEST": 10,
}

# The number of volunteers the network aims for, shown against the total on the admin dashboard.
VOLUNTEER_GOAL = env.int("VOLUNTEER_GOAL", default=100)

PRIVACY_NOTICE_VERSION = "2026-12-01"

# Parties whose candidates an import of Democracy Club's candidates file keeps, spelt
# as in its party_name column; the ballots of every party are imported.
IMPORT_PARTY_NAMES = env.list("IMPORT_PARTY_NAMES", default=["Labour Party", "Labour and Co-operative Party"])

# Retention, in calendar months. A volunteer with no sign-in, profile change or
# answer to an offer for this long is erased, and a campaign's personal data is
# erased this long after its polling day. The beat job "apply-retention" runs it.
RETENTION_VOLUNTEER_INACTIVE_MONTHS = env.int("RETENTION_VOLUNTEER_INACTIVE_MONTHS", default=24)
RETENTION_CANDIDATE_MONTHS_AFTER_POLLING_DAY = env.int("RETENTION_CANDIDATE_MONTHS_AFTER_POLLING_DAY", default=6)

# Offers and follow-ups, in days; emails in the outbox, in seconds.
OFFER_ANSWER_DAYS = env.int("OFFER_ANSWER_DAYS", default=3)
CAMPAIGN_LINK_DAYS = 180
CHECK_IN_AFTER_DAYS = 7
# A pending email older than this is queued again by beat, for when the broker was down at approval.
EMAIL_REQUEUE_AFTER_SECONDS = env.int("EMAIL_REQUEUE_AFTER_SECONDS", default=120)
# A worker that claimed an email and died is assumed gone after this long, and the email is sent again.
EMAIL_CLAIM_TIMEOUT_SECONDS = env.int("EMAIL_CLAIM_TIMEOUT_SECONDS", default=600)
# First wait before retrying an email after a transport error; it doubles on each retry, up to ten minutes.
EMAIL_RETRY_BACKOFF_SECONDS = env.int("EMAIL_RETRY_BACKOFF_SECONDS", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
