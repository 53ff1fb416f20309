"""
Delivery under faults, with real Celery worker processes and a real Redis server.

Each test starts its own redis-server on a free port, so it can stop and start
the broker without disturbing anything else, and runs workers as separate
processes that share the PostgreSQL test database, so a worker can be killed
mid-send. Delivered emails are files, so the tests count exactly what went out.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from matching import followups
from matching.models import OutgoingEmail
from matching.services import accept_offer, approve_match
from matching.tests.factories import MatchFactory
from techforlabour.celery import app

pytestmark = pytest.mark.celery_live

REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")


def wait_until(condition, timeout=60.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own, on 127.0.0.1, that keeps nothing on disk."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self._answers, timeout=10), "redis-server did not start"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class WorkerProcess:
    """A `celery worker` in its own process group, logging to a file the test can read."""

    def __init__(self, environment: dict, log_path: Path):
        self.log_path = log_path
        self.log = open(log_path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "techforlabour",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=REPOSITORY,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert wait_until(lambda: "ready." in self.log_path.read_text(), timeout=60), self.log_path.read_text()

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def faults(transactional_db, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the test database only on PostgreSQL")
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed, so the test cannot run a broker of its own")

    redis = RedisServer(tmp_path)
    redis.start()
    mail_folder = tmp_path / "mail"
    mail_folder.mkdir()

    database = connection.settings_dict
    base_environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "matching.tests.worker_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
            f"/{database['NAME']}"
        ),
        "REDIS_URL": redis.url,
        "EMAIL_FILE_PATH": str(mail_folder),
        "FAULT_EMAIL_BACKEND": "matching.tests.fault_backends.SlowFileBackend",
        "EMAIL_CLAIM_TIMEOUT_SECONDS": "3",
        "EMAIL_RETRY_BACKOFF_SECONDS": "1",
        "CELERY_VISIBILITY_TIMEOUT": "3",
    }
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    app.conf.update(broker_url=redis.url, task_always_eager=False, broker_transport_options={"visibility_timeout": 3})
    # Drop connections pooled for the previous broker, as Celery does in a forked child.
    app._after_fork()

    workers = []

    class Faults:
        def __init__(self):
            self.redis = redis
            self.mail_folder = mail_folder

        def start_worker(self, **extra_environment):
            log_path = tmp_path / f"worker{len(workers)}.log"
            worker = WorkerProcess({**base_environment, **extra_environment}, log_path)
            workers.append(worker)
            return worker

        def delivered(self) -> list[str]:
            return sorted(path.read_text() for path in mail_folder.glob("*.log"))

    try:
        yield Faults()
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.stop()
        app.conf.update(previous)
        app._after_fork()
        redis.stop()


def sent_count() -> int:
    return OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count()


def test_approval_while_redis_is_down_is_sent_once_it_is_back(faults, organiser, settings):
    match = MatchFactory()
    settings.EMAIL_REQUEUE_AFTER_SECONDS = 0

    faults.redis.stop()
    approve_match(match_id=match.pk, organiser=organiser)
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.PENDING

    faults.redis.start()
    worker = faults.start_worker()
    assert followups.requeue_unsent_emails() == 1, "beat's job queues the email again"
    assert wait_until(lambda: sent_count() == 1), worker.log_path.read_text()

    worker.stop()
    faults.redis.stop()
    accept_offer(match_id=match.pk)
    faults.redis.start()
    worker = faults.start_worker()
    assert followups.requeue_unsent_emails() == 2
    assert wait_until(lambda: sent_count() == 3), worker.log_path.read_text()

    # Another pass of the beat job, and a little time, send nothing more.
    assert followups.requeue_unsent_emails() == 0
    time.sleep(2)
    delivered = faults.delivered()
    assert len(delivered) == 3
    assert sum(f"To: {match.volunteer.user.email}" in message for message in delivered) == 2
    assert len(mail.outbox) == 0, "the emails went through the worker, not this process"


def test_worker_killed_mid_send_still_sends_once(faults, organiser):
    match = MatchFactory()
    slow_worker = faults.start_worker(FAULT_EMAIL_DELAY="30")

    approve_match(match_id=match.pk, organiser=organiser)
    assert wait_until(lambda: OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENDING).exists())
    slow_worker.kill()
    assert faults.delivered() == []

    # Once the visibility timeout has passed, a new worker gets the unacknowledged
    # task back from Redis when it starts, and takes over the stale claim.
    time.sleep(4)
    worker = faults.start_worker(FAULT_EMAIL_DELAY="0")
    assert wait_until(lambda: sent_count() == 1, timeout=90), worker.log_path.read_text()
    time.sleep(2)
    assert len(faults.delivered()) == 1
    email = OutgoingEmail.objects.get()
    assert email.attempts == 2


def test_backend_failing_twice_then_working_sends_once(faults, organiser):
    match = MatchFactory()
    worker = faults.start_worker(
        FAULT_EMAIL_BACKEND="matching.tests.fault_backends.FlakyFileBackend", FAULT_EMAIL_FAILURES="2"
    )

    approve_match(match_id=match.pk, organiser=organiser)

    assert wait_until(lambda: sent_count() == 1, timeout=90), worker.log_path.read_text()
    time.sleep(2)
    assert len(faults.delivered()) == 1
    log = worker.log_path.read_text()
    assert log.count(f"for match {match.pk} failed: SMTPServerDisconnected") == 2
    assert match.volunteer.user.email not in log, "logs carry ids, never addresses"
    assert OutgoingEmail.objects.get().attempts == 3
