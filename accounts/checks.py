"""System checks for what the account security depends on."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
PER_PROCESS_CACHES = {DUMMY_CACHE, "django.core.cache.backends.locmem.LocMemCache"}


@register(Tags.security)
def rate_limits_need_a_cache(app_configs, **kwargs):
    """Report a dummy cache: allauth counts attempts in the cache, and the dummy cache stores nothing."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend == DUMMY_CACHE:
        return [
            Error(
                "The default cache is DummyCache, so allauth's rate limits on sign-in, signup and password "
                "reset count nothing.",
                hint="Use Redis (set REDIS_URL) or, on a single process, LocMemCache.",
                id="accounts.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def rate_limits_shared_between_processes(app_configs, **kwargs):
    """Warn of a per-process cache, with which each web process keeps its own count and the real limit is multiplied."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return [
            Warning(
                f"The default cache is {backend.rsplit('.', 1)[-1]}, so every web process counts failed "
                "sign-ins separately.",
                hint="Set REDIS_URL so that the cache, and allauth's rate limits, are shared.",
                id="accounts.W001",
            )
        ]
    return []
