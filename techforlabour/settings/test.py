"""
Settings for the test suite.

Every outside integration is made safe: email stays in memory (django.core.mail.outbox),
Celery runs tasks eagerly unless a test starts a real worker, and passwords hash fast.
The database still comes from DATABASE_URL, so the same suite runs on SQLite and PostgreSQL.
"""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A test database in a file rather than in memory: SQLite's shared in-memory
    # cache fails at once with "database table is locked" when a Celery worker
    # thread writes while the test reads, where a file database waits its turn.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests share one rate-limit bucket per client address; a fresh local cache keeps them apart from Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SITE_URL = "http://testserver"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
