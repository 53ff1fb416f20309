"""Settings for the Celery worker processes that the fault tests start and kill."""

import os

from techforlabour.settings.dev import *  # noqa: F403

DEBUG = False
EMAIL_BACKEND = os.environ["FAULT_EMAIL_BACKEND"]
