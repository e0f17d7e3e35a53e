"""Garbage collections between requests, not inside them (the production web process).

CPython's cycle collector stops the whole process while it runs. A young collection walks the
objects made since the last ones: at 250 sockets per process a few thousand, a few ms; a full
collection walks every object the process keeps that is not frozen: ~46,000 at 250 sockets (each
socket's connection, protocol, consumer and awaiting coroutines), 15–39 ms on this project's
2-core benchmark machine on a fast day, 66–85 ms on a slow one (docs/performance.md). Left
automatic, a collection starts when an allocation crosses a threshold, that is most often inside
a request, since requests are what allocates; when that request is an escalation, every card of
it waits for the collection.

So the web process turns the automatic collector off and collects out of band, as Ruby's Unicorn
does with its OobGC: on its event loop, between requests. Every `POLL_SECONDS` it looks at
CPython's own counters, against CPython's own thresholds: when a young collection is due it runs
it at once if no HTTP request is in flight, or when one has waited `YOUNG_MAX_WAIT_SECONDS`; a full
collection comes about every `WEB_FULL_GC_SECONDS` (a minute, give or take a quarter, so processes
started together do not pause together) at a moment with no request in flight, or after waiting
`FULL_MAX_WAIT_SECONDS`. A process that is never quiet still frees its cycles, a little later.
Websocket frames are not requests: a card the hub is writing is one callback of the event loop,
which a collection (another callback) never splits.

Each collection is timed into `gc_collection_seconds{generation}` (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import gc
import random
import time

from resolutionflow import metrics

POLL_SECONDS = 0.02
YOUNG_MAX_WAIT_SECONDS = 0.5
FULL_MAX_WAIT_SECONDS = 5.0


def automatic_collections_off() -> tuple[int, int]:
    """Turn CPython's automatic collections off; returns its young thresholds (generation 0's
    growth, generation 1's count of young collections), which `QuietCollector` applies itself."""
    young, middle, _ = gc.get_threshold()
    gc.disable()
    return young, middle


class QuietCollector:
    """ASGI middleware: counts the HTTP requests in flight, and from the first call on collects
    between them (see the module docstring)."""

    def __init__(self, app, *, full_every: float, young_threshold: int = 700, middle_threshold: int = 10,
                 poll: float = POLL_SECONDS, young_max_wait: float = YOUNG_MAX_WAIT_SECONDS,
                 full_max_wait: float = FULL_MAX_WAIT_SECONDS, collect=gc.collect, counts=gc.get_count):
        self.app = app
        self.full_every, self.young_threshold, self.middle_threshold = full_every, young_threshold, middle_threshold
        self.poll, self.young_max_wait, self.full_max_wait = poll, young_max_wait, full_max_wait
        self.collect, self.counts = collect, counts
        self.in_flight = 0
        self.timer: asyncio.TimerHandle | None = None
        self.full_due = 0.0
        self.young_due_since: float | None = None

    async def __call__(self, scope, receive, send):
        if self.timer is None:
            self.full_due = time.monotonic() + self._full_interval()
            self.timer = asyncio.get_running_loop().call_later(self.poll, self._tick)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.in_flight += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _tick(self) -> None:
        now = time.monotonic()
        quiet = not self.in_flight
        if now >= self.full_due:
            if quiet or now - self.full_due >= self.full_max_wait:
                self._collect(2)
                self.full_due = now + self._full_interval()
                self.young_due_since = None
        else:
            young, middle, _ = self.counts()
            if young > self.young_threshold:
                if self.young_due_since is None:
                    self.young_due_since = now
                if quiet or now - self.young_due_since >= self.young_max_wait:
                    self._collect(1 if middle > self.middle_threshold else 0)
                    self.young_due_since = None
        self.timer = asyncio.get_running_loop().call_later(self.poll, self._tick)

    def _collect(self, generation: int) -> None:
        started = time.perf_counter()
        self.collect(generation)
        metrics.GC_COLLECTION.labels(generation=str(generation)).observe(time.perf_counter() - started)

    def _full_interval(self) -> float:
        return self.full_every * random.uniform(0.75, 1.25)
