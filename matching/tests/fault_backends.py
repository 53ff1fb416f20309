"""Email backends that misbehave on purpose, for the fault tests' worker processes.

Each writes delivered messages as files, like Django's file backend, so the test
can count exactly what went out. Their behaviour comes from environment
variables, because they run inside a separate Celery worker process.
"""

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class SlowFileBackend(FileBackend):
    """Wait FAULT_EMAIL_DELAY seconds before delivering, so a test can kill the worker mid-send."""

    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("FAULT_EMAIL_DELAY", "0")))
        return super().send_messages(email_messages)


class FlakyFileBackend(FileBackend):
    """Fail with a transport error for the first FAULT_EMAIL_FAILURES sends, then deliver.

    The count of failures so far is kept in a file beside the delivered emails,
    so it survives retries and worker restarts.
    """

    def send_messages(self, email_messages):
        counter = Path(self.file_path) / "failures.count"
        failures_so_far = int(counter.read_text()) if counter.exists() else 0
        if failures_so_far < int(os.environ.get("FAULT_EMAIL_FAILURES", "0")):
            counter.write_text(str(failures_so_far + 1))
            raise smtplib.SMTPServerDisconnected("the mail server went away (on purpose)")
        return super().send_messages(email_messages)
