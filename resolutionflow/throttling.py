"""API throttles that fail open when their cache is unreachable.

DRF's throttles keep each client's request history in the default cache, which is Redis in
production. Redis down made every API call a 500 (issue #10): an integrator's escalate was lost
to a rate limiter. Throttling protects the service, it is not what the service is for, so a
cache error lets the request through unthrottled instead. The error is logged and counted
(`throttle_cache_errors_total`), and for `PAUSE_SECONDS` after it this process does not ask the
cache at all, so an outage where connects hang until their timeout does not cost every request
that timeout. The cache's own connection options (settings.CACHES) keep each attempt short.

The cache client is one per process (`FailOpenCache.backend`), not Django's `caches[alias]`: under
ASGI that handle is per request context (asgiref's `Local`), so every request built a new
`RedisCache` with a new connection pool and opened a new TCP connection to Redis (issue #13,
docs/performance.md "The request floor"). redis-py's pool is thread-safe; the one client serves
every request thread. It is rebuilt when the CACHES setting changes (tests).
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import caches
from django.core.signals import setting_changed
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

# How long a web process leaves the cache alone after a failed call.
PAUSE_SECONDS = 5.0
CACHE_ERRORS = (RedisError, OSError)


class FailOpenCache:
    """The two calls DRF's throttles make (`get`, `set`), on the default cache. A failed call is
    logged and counted; `get` then answers the default (no history: the request is allowed) and
    `set` does nothing."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._backend = None

    @property
    def backend(self):
        """The process's client of the cache (built on first use; a race builds two, one wins)."""
        backend = self._backend
        if backend is None:
            backend = self._backend = caches.create_connection(self.alias)
        return backend

    def reset(self) -> None:
        self._backend = None

    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _failed(self, operation: str, exc: BaseException) -> None:
        from resolutionflow import metrics

        metrics.THROTTLE_CACHE_ERRORS.labels(operation=operation).inc()
        with self._lock:
            first = not self.paused()
            self._paused_until = time.monotonic() + PAUSE_SECONDS
        if first:  # at most one line per pause, however many requests arrive meanwhile
            logger.warning("throttle cache unreachable (%s: %r): requests pass unthrottled for %.0f s",
                           operation, exc, PAUSE_SECONDS)

    def get(self, key, default=None):
        if self.paused():
            return default
        try:
            return self.backend.get(key, default)
        except CACHE_ERRORS as exc:
            self._failed("get", exc)
            return default

    def set(self, key, value, timeout=None):
        if self.paused():
            return
        try:
            self.backend.set(key, value, timeout)
        except CACHE_ERRORS as exc:
            self._failed("set", exc)


fail_open_cache = FailOpenCache()


def _caches_changed(*, setting, **kwargs):
    if setting == "CACHES":
        fail_open_cache.reset()


setting_changed.connect(_caches_changed, weak=False)


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = fail_open_cache


class UserRateThrottle(throttling.UserRateThrottle):
    cache = fail_open_cache
