"""
Settings for the test suite.

Every outside integration is made safe: email stays in memory (django.core.mail.outbox),
Celery runs tasks eagerly unless a test starts a real worker, and passwords hash fast.
The database still comes from DATABASE_URL, so the same suite runs on SQLite and PostgreSQL.
"""

from .base import *  # noqa: F403

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
