"""Full garbage collections at quiet moments, not inside a request (the production web process).

CPython's cycle collector stops the whole process while it runs. A young collection walks the
objects made since the last one (a few thousand: a few ms). A full collection walks every object
the process keeps that is not frozen: at 250 sockets per process ~46,000 of them (each socket's
connection, protocol, consumer and awaiting coroutines), 15–27 ms on this project's 2-core
benchmark machine on a fast day and 66–85 ms on a slow one (docs/performance.md). Left automatic,
a full collection starts when an allocation crosses its threshold, so most often inside a
request, since requests are what allocates; when that request is an escalation, every card of it
waits. At 500 sockets a full collection came about once a minute: each socket's waits, re-made at
every ping, are promoted to the old generation, and CPython counts promotions, not deaths.

So the web process turns automatic full collections off (the young generations still collect by
themselves) and runs them itself, on its event loop, about every `WEB_FULL_GC_SECONDS` (a minute,
give or take a quarter, so processes started together do not pause together), at a moment when
no HTTP request is in flight: it looks again every `POLL_SECONDS` and after
`MAX_WAIT_SECONDS` collects regardless, so a process that is never quiet still frees its cycles. Websocket frames
are not requests: a card the hub is writing is one callback of the event loop, which a collection
(another callback) never splits.

Each full collection is timed into `gc_full_collection_seconds` (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import gc
import random
import time

from resolutionflow import metrics

MAX_WAIT_SECONDS = 5.0
POLL_SECONDS = 0.01
# CPython counts young (generation 1) collections towards the next full one; it never gets here.
NEVER = 2**31 - 1


def automatic_full_collections_off() -> None:
    """Keep the young generations' thresholds; the oldest one is collected by `QuietCollector`."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)


class QuietCollector:
    """ASGI middleware: counts the HTTP requests in flight, and from the first call on runs a full
    collection every `every` seconds when none is (or after `max_wait` seconds of waiting)."""

    def __init__(self, app, *, every: float, max_wait: float = MAX_WAIT_SECONDS,
                 poll: float = POLL_SECONDS, collect=gc.collect):
        self.app = app
        self.every, self.max_wait, self.poll = every, max_wait, poll
        self.collect = collect
        self.in_flight = 0
        self.timer: asyncio.TimerHandle | None = None
        self.waiting_since: float | None = None

    async def __call__(self, scope, receive, send):
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self._interval(), self._due)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.in_flight += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _due(self) -> None:
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        if self.waiting_since is None:
            self.waiting_since = now
        if self.in_flight and now - self.waiting_since < self.max_wait:
            self.timer = loop.call_later(self.poll, self._due)
            return
        self.waiting_since = None
        started = time.perf_counter()
        self.collect()
        metrics.GC_FULL_COLLECTION.observe(time.perf_counter() - started)
        self.timer = loop.call_later(self._interval(), self._due)

    def _interval(self) -> float:
        return self.every * random.uniform(0.75, 1.25)
