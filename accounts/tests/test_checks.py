"""System checks guard what allauth's rate limits need: a cache that remembers, shared between processes."""

from django.test import override_settings

from accounts.checks import rate_limits_need_a_cache, rate_limits_shared_between_processes

DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}}


@override_settings(CACHES=DUMMY)
def test_dummy_cache_is_an_error():
    assert [error.id for error in rate_limits_need_a_cache(None)] == ["accounts.E001"]


@override_settings(CACHES=LOCAL)
def test_local_cache_is_a_deployment_warning():
    assert rate_limits_need_a_cache(None) == []
    assert [warning.id for warning in rate_limits_shared_between_processes(None)] == ["accounts.W001"]


@override_settings(CACHES=REDIS)
def test_redis_passes():
    assert rate_limits_need_a_cache(None) == []
    assert rate_limits_shared_between_processes(None) == []
