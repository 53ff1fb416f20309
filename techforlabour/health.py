"""
Health checks for the proxy, the process supervisor and uptime monitors.

/livez responds as long as a web process can run Django, and touches nothing
else: restart the process when it fails. /healthz also checks that the
database and Redis answer: take the process out of service when it fails.
Neither says more than "ok" or "down" per component: an error's text can hold
a host name or a user name, and the pages are public.
"""

import logging
from functools import lru_cache

import redis
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"

# A health check that waits longer than the monitor's own timeout is of no use to it.
REDIS_TIMEOUT_SECONDS = 2


@lru_cache(maxsize=4)
def redis_client(url: str) -> redis.Redis:
    """Return a client for the URL, made once per process so its connection pool is reused."""
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS)


def check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Health check: the database query failed", exc_info=True)
        return DOWN
    return OK


def check_redis(url: str) -> str:
    try:
        redis_client(url).ping()
    except (redis.RedisError, OSError):
        logger.warning("Health check: the Redis ping failed", exc_info=True)
        return DOWN
    return OK


def component_status() -> dict[str, str]:
    """Return "ok" or "down" for the database and, when REDIS_URL is set, for Redis."""
    components = {"database": check_database()}
    redis_url = getattr(settings, "REDIS_URL", "")
    if redis_url:
        components["redis"] = check_redis(redis_url)
    return components


@never_cache
@require_safe
def healthz(request):
    components = component_status()
    healthy = all(state == OK for state in components.values())
    body = {"status": OK if healthy else DOWN, "components": components}
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_safe
def livez(request):
    return JsonResponse({"status": OK})
