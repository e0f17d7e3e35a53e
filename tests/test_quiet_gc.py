"""The web process collects its garbage between requests (resolutionflow.quiet_gc), so an
escalation is never the request that pays for a collection."""

import asyncio
import gc
import subprocess
import sys
import time

import httpx

from resolutionflow.quiet_gc import QuietCollector
from tests import helpers

TOKEN = "quiet-gc-metrics-token"


class _App:
    """An ASGI app whose requests last until `release` is set."""

    def __init__(self):
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        await self.release.wait()


class _Counts:
    """CPython's collection counters, as the test sets them."""

    def __init__(self, young=0, middle=0):
        self.young, self.middle = young, middle

    def __call__(self):
        return self.young, self.middle, 0


def _collector(app, counts=None, **timing):
    collections = []

    def collect(generation):
        collections.append((generation, time.monotonic()))
        if counts is not None:
            counts.young = 0

    timing.setdefault("full_every", 3600)
    timing.setdefault("poll", 0.005)
    return QuietCollector(app, collect=collect, counts=counts or _Counts(), **timing), collections


def _request(collector):
    return asyncio.ensure_future(collector({"type": "http"}, None, None))


def test_a_full_collection_waits_until_no_request_is_in_flight():
    async def scenario():
        app = _App()
        # Due after 0.15-0.25 s, and again 0.15-0.25 s after each collection.
        collector, collections = _collector(app, full_every=0.2, full_max_wait=10)
        request = _request(collector)
        await asyncio.sleep(0.35)  # due since 0.25 s at the latest: the request holds it
        assert collections == [] and collector.in_flight == 1
        app.release.set()
        await request
        ended = time.monotonic()
        await asyncio.sleep(0.05)
        assert [generation for generation, _ in collections] == [2]
        assert collections[0][1] >= ended and collector.in_flight == 0

    asyncio.run(scenario())


def test_a_young_collection_waits_for_the_request_then_takes_the_generation_cpython_would():
    async def scenario():
        app = _App()
        counts = _Counts(young=701, middle=3)
        collector, collections = _collector(app, counts=counts, young_threshold=700, middle_threshold=10,
                                            young_max_wait=10)
        request = _request(collector)
        await asyncio.sleep(0.1)
        assert collections == []
        app.release.set()
        await request
        await asyncio.sleep(0.05)
        assert [generation for generation, _ in collections] == [0]
        counts.young, counts.middle = 701, 11  # more young collections than CPython's threshold (10)
        await asyncio.sleep(0.05)
        assert [generation for generation, _ in collections] == [0, 1]
        await asyncio.sleep(0.05)  # below the threshold: nothing more
        assert len(collections) == 2

    asyncio.run(scenario())


def test_a_process_that_is_never_quiet_still_collects():
    async def scenario():
        app = _App()
        counts = _Counts(young=5000)
        collector, collections = _collector(app, counts=counts, full_every=0.2, full_max_wait=0.2,
                                            young_max_wait=0.1, poll=0.01)
        started = time.monotonic()
        request = _request(collector)
        await asyncio.sleep(0.12)
        counts.young = 5000
        await asyncio.sleep(0.7)
        generations = [generation for generation, _ in collections]
        assert generations[0] == 0 and collections[0][1] - started >= 0.1
        assert 2 in generations, "no full collection while a request was always in flight"
        full_at = next(at for generation, at in collections if generation == 2)
        assert full_at - started >= 0.15 + 0.2  # due at 0.15-0.25 s, then waited full_max_wait
        app.release.set()
        await request

    asyncio.run(scenario())


def test_open_websockets_are_not_requests_in_flight():
    async def scenario():
        app = _App()
        collector, collections = _collector(app, counts=_Counts(young=701), young_max_wait=10)
        socket = asyncio.ensure_future(collector({"type": "websocket"}, None, None))
        await asyncio.sleep(0.1)
        assert collections and collector.in_flight == 0
        app.release.set()
        await socket

    asyncio.run(scenario())


def test_the_web_process_collects_on_its_own_schedule_and_times_it(transactional_db):
    """The real web process: CPython's automatic collector off, its own collections in /metrics."""
    probe = ("import gc; from resolutionflow.quiet_gc import automatic_collections_off;"
             "before = gc.get_threshold()[:2]; kept = automatic_collections_off();"
             "print(kept == before, gc.isenabled())")
    kept, enabled = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                   check=True).stdout.split()
    assert (kept, enabled) == ("True", "False")

    server = helpers.LiveAsgiServer(extra_env={"METRICS_TOKEN": TOKEN, "WEB_FULL_GC_SECONDS": "0.2"})
    try:
        def collections(generation: str) -> float:
            response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            assert response.status_code == 200
            for line in response.text.splitlines():
                if line.startswith(f'gc_collection_seconds_count{{generation="{generation}"}}'):
                    return float(line.split()[-1])
            return 0.0

        deadline = time.monotonic() + 10
        while collections("2") < 2 or collections("0") < 1:  # the scrapes themselves allocate
            assert time.monotonic() < deadline, "the web process ran no collection of its own"
            time.sleep(0.2)
    finally:
        server.stop()
    assert gc.isenabled()  # the test process itself was left alone
