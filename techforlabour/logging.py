"""
Production logging: one JSON object per line on standard output, each line
carrying the id of the request (or the Celery task) it belongs to.

RequestIdMiddleware (techforlabour.middleware) stores the request id in a
context variable; RequestIdFilter copies it onto every log record, so log
calls elsewhere need no change. The module imports nothing from Django, so
gunicorn can load GunicornJsonLogger before Django starts.
"""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from celery import current_task
from gunicorn.glogging import Logger as GunicornLogger

# Empty outside a request, such as in a Celery worker or a management command.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

# Attributes every LogRecord has, and those that formatting or RequestIdFilter
# add; anything else on a record came from `extra=`.
_STANDARD_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "task_id",
}


def current_task_id() -> str:
    """Return the id of the Celery task running in this thread, or an empty string."""
    # current_task is a proxy: false when no task runs in this thread.
    if not current_task:
        return ""
    return current_task.request.id or ""


class RequestIdFilter(logging.Filter):
    """Add request_id and task_id to every record, empty when there is none."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        record.task_id = current_task_id()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON.

    Fields: time (UTC, ISO 8601), level, logger, message, request_id, task_id,
    any `extra=` values, and exception (the formatted traceback) when there is one.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
            "task_id": getattr(record, "task_id", ""),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str keeps a line even when an extra value is not JSON (a date, a UUID).
        return json.dumps(entry, default=str, ensure_ascii=False)


class GunicornJsonLogger(GunicornLogger):
    """Gunicorn's own messages (start, stop, worker timeouts) as JSON on standard output.

    Gunicorn's access log stays off: RequestIdMiddleware logs each request
    without the client's address, which is personal data.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        formatter = JsonFormatter()
        self._set_handler(self.error_log, cfg.errorlog, formatter, stream=sys.stdout)
        for handler in self.error_log.handlers:
            handler.addFilter(RequestIdFilter())


def logging_config(*, level: str) -> dict:
    """Return the LOGGING setting for production: JSON lines to standard output."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "techforlabour.logging.RequestIdFilter"}},
        "formatters": {"json": {"()": "techforlabour.logging.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Django's own handlers would also email admins and print plain text; send it all to the root.
            "django": {"handlers": [], "level": level, "propagate": True},
        },
    }


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    """Send errors from Django and Celery to Sentry, without personal data.

    send_default_pii=False keeps cookies, users, client addresses and request
    bodies out of events.
    """
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )
