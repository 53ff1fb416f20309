"""
Show whether background work is keeping up: the tasks waiting in the Celery
queue in Redis, and the oldest email of the outbox not yet sent.

A queue that keeps growing means no worker is taking tasks. An unsent email
many minutes old means it was not queued, or its worker died while sending it.
Read only: it changes nothing. --json prints the same figures for a monitor.
"""

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from matching.models import OutgoingEmail

# Kombu keeps one Redis list per priority step, named "<queue>\x06\x16<step>"
# (plain "<queue>" for step 0), and the messages a worker has taken but not yet
# acknowledged in the hash "unacked".
KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
KOMBU_UNACKED_KEY = "unacked"
REDIS_TIMEOUT_SECONDS = 5


@dataclass
class QueueLength:
    queue: str
    waiting: int
    unacknowledged: int


@dataclass
class OldestUnsentEmail:
    id: int
    status: str
    age_seconds: int


def redis_broker_url() -> str | None:
    url = settings.CELERY_BROKER_URL
    return url if urlsplit(url).scheme in {"redis", "rediss"} else None


def queue_length(client: redis.Redis, queue: str) -> QueueLength:
    steps = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("priority_steps", [0, 3, 6, 9])
    names = [queue if step == 0 else f"{queue}{KOMBU_PRIORITY_SEPARATOR}{step}" for step in steps]
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.llen(name)
        pipe.hlen(KOMBU_UNACKED_KEY)
        *lengths, unacknowledged = pipe.execute()
    return QueueLength(queue=queue, waiting=sum(lengths), unacknowledged=unacknowledged)


def oldest_unsent_email() -> OldestUnsentEmail | None:
    email = (
        OutgoingEmail.objects.filter(status__in=[OutgoingEmail.Status.PENDING, OutgoingEmail.Status.SENDING])
        .order_by("created_at", "id")
        .only("id", "status", "created_at")
        .first()
    )
    if email is None:
        return None
    age = timezone.now() - email.created_at
    return OldestUnsentEmail(id=email.pk, status=email.status, age_seconds=int(age.total_seconds()))


def email_counts() -> dict[str, int]:
    counts = dict.fromkeys(OutgoingEmail.Status.values, 0)
    for row in OutgoingEmail.objects.order_by().values("status").annotate(total=Count("id")):
        counts[row["status"]] = row["total"]
    return counts


def describe_age(seconds: int) -> str:
    return str(timedelta(seconds=seconds))


class Command(BaseCommand):
    help = "Show the Celery queue length in Redis and the oldest email not yet sent, with email counts by status."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            default=None,
            help="Celery queue to measure. Default: the app's default queue (task_default_queue, normally celery).",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON object instead of lines of text."
        )

    def handle(self, *args, queue, as_json, **options):
        from techforlabour.celery import app

        queue = queue or app.conf.task_default_queue
        broker_url = redis_broker_url()
        queue_figures = None
        broker_error = None
        if broker_url:
            try:
                queue_figures = measure_queue(broker_url, queue)
            except (redis.RedisError, OSError) as error:
                broker_error = (
                    f"{describe_server(broker_url)} is unreachable ({type(error).__name__}). "
                    "Check that Redis is running and that REDIS_URL names it."
                )

        report = Report(
            broker_url=broker_url,
            queue=queue,
            queue_figures=queue_figures,
            broker_error=broker_error,
            oldest=oldest_unsent_email(),
            counts=email_counts(),
        )
        if as_json:
            self.stdout.write(json.dumps(report.as_json(), sort_keys=True))
        else:
            for line in report.as_lines(verbosity=options["verbosity"]):
                self.stdout.write(line)

        # Fail after printing, so the email figures still show while Redis is away.
        if broker_error:
            raise CommandError(broker_error)


def measure_queue(broker_url: str, queue: str) -> QueueLength:
    client = redis.Redis.from_url(
        broker_url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        return queue_length(client, queue)
    finally:
        client.close()


def describe_server(url: str) -> str:
    """Return Redis's host and port, without the rest of the URL, which can hold a password."""
    location = urlsplit(url)
    return f"Redis at {location.hostname}:{location.port or 6379}"


@dataclass
class Report:
    broker_url: str | None
    queue: str
    queue_figures: QueueLength | None
    broker_error: str | None
    oldest: OldestUnsentEmail | None
    counts: dict[str, int]

    def as_json(self) -> dict:
        if self.queue_figures:
            queue = asdict(self.queue_figures)
        else:
            queue = {"queue": self.queue, "waiting": None, "unacknowledged": None}
        return {
            "broker": "redis" if self.broker_url else "none",
            "queue": queue,
            "broker_error": self.broker_error,
            "oldest_unsent_email": asdict(self.oldest) if self.oldest else None,
            "emails_by_status": self.counts,
        }

    def as_lines(self, *, verbosity: int) -> list[str]:
        lines = []
        if not self.broker_url:
            lines.append("No Redis broker: CELERY_BROKER_URL is not a redis:// URL, so tasks run in the web process.")
        elif self.queue_figures:
            lines.append(
                f'Celery queue "{self.queue}": {self.queue_figures.waiting} waiting, '
                f"{self.queue_figures.unacknowledged} taken by workers and not yet acknowledged (all queues)"
            )

        if self.oldest:
            age = describe_age(self.oldest.age_seconds)
            lines.append(f"Oldest unsent email: #{self.oldest.id}, {self.oldest.status}, {age} old")
        else:
            lines.append("Oldest unsent email: none, every email is sent, failed or cancelled")

        if verbosity >= 1:
            summary = ", ".join(f"{status} {total}" for status, total in self.counts.items())
            lines.append(f"Emails by status: {summary}")
        return lines
