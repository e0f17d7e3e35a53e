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

On Redis, a throttle's check is one round trip: DRF's sliding window (the times of the client's
requests within the last `duration`, newest first) is a Redis list that one Lua script trims,
counts and appends to (`FailOpenCache.window`), instead of DRF's GET of the pickled history and
SET of the new one: a round trip less on every API request (issue #13), and two concurrent
requests can no longer both pass on the same stale history. Other caches (the embedded mode's
local memory) keep DRF's own GET and SET.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

# How long a web process leaves the cache alone after a failed call.
PAUSE_SECONDS = 5.0
CACHE_ERRORS = (RedisError, OSError)


# KEYS[1]: the client's window (a list of request times, newest first). ARGV: now, duration (s),
# allowed requests. Drops the times older than the window, then records `now` if there is room.
# Returns {1 if recorded else 0, the requests in the window (this one included), the oldest (now
# when the window is empty: a limit of 0)}.
WINDOW_SCRIPT = """
local key, now, duration, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
while true do
  local last = redis.call('LINDEX', key, -1)
  if not last or tonumber(last) > now - duration then break end
  redis.call('RPOP', key)
end
local count = redis.call('LLEN', key)
if count >= limit then
  return {0, count, redis.call('LINDEX', key, -1) or ARGV[1]}
end
redis.call('LPUSH', key, ARGV[1])
redis.call('EXPIRE', key, math.ceil(duration))
return {1, count + 1, redis.call('LINDEX', key, -1)}
"""


class FailOpenCache:
    """The two calls DRF's throttles make (`get`, `set`), on the default cache. A failed call is
    logged and counted; `get` then answers the default (no history: the request is allowed) and
    `set` does nothing."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._backend = None
        self._script = None

    @property
    def backend(self):
        """The process's client of the cache (built on first use; a race builds two, one wins)."""
        backend = self._backend
        if backend is None:
            backend = self._backend = caches.create_connection(self.alias)
        return backend

    def reset(self) -> None:
        self._backend = None
        self._script = None

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

    def window(self, key: str, now: float, duration: int, limit: int) -> tuple[bool, int, float] | None:
        """Check and record one request in `key`'s sliding window, in one round trip (Redis only):
        (allowed, requests in the window, the oldest one's time). None when the cache is not
        Redis. A failed call is logged and counted, and the request allowed."""
        backend = self.backend
        if not isinstance(backend, RedisCache):
            return None
        if self.paused():
            return (True, 0, now)
        try:
            name = backend.make_and_validate_key(f"window:{key}")
            client = backend._cache.get_client(name, write=True)
            script = self._script
            if script is None:
                script = self._script = client.register_script(WINDOW_SCRIPT)
            allowed, count, oldest = script(keys=[name], args=[repr(now), duration, limit], client=client)
        except CACHE_ERRORS as exc:
            self._failed("window", exc)
            return (True, 0, now)
        return bool(allowed), int(count), float(oldest)

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


class WindowInRedis:
    """DRF's SimpleRateThrottle, checked in one Redis round trip when the cache is Redis
    (`FailOpenCache.window`); the same limits, the same Retry-After."""

    cache = fail_open_cache

    def allow_request(self, request, view):
        self.counted = None
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        counted = self.cache.window(self.key, self.now, self.duration, self.num_requests)
        if counted is None:  # not Redis: DRF's GET and SET
            return super().allow_request(request, view)
        self.counted = counted
        return counted[0]

    def wait(self):
        if self.counted is None:
            return super().wait()
        _, count, oldest = self.counted
        remaining = self.duration - (self.now - oldest) if count else self.duration
        available = self.num_requests - count + 1
        if available <= 0:
            return None
        return remaining / float(available)


class AnonRateThrottle(WindowInRedis, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(WindowInRedis, throttling.UserRateThrottle):
    pass
