"""The web process's full garbage collections wait for a moment with no request in flight
(resolutionflow.quiet_gc), so an escalation is never the request that pays for one."""

import asyncio
import gc
import subprocess
import sys
import time

import httpx
import pytest

from resolutionflow.quiet_gc import NEVER, QuietCollector
from tests import helpers

TOKEN = "quiet-gc-metrics-token"


class _App:
    """An ASGI app whose requests last until `release` is set."""

    def __init__(self):
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        await self.release.wait()


def _collector(app, **timing):
    collections = []
    collector = QuietCollector(app, collect=lambda: collections.append(time.monotonic()), **timing)
    return collector, collections


def test_a_full_collection_waits_until_no_request_is_in_flight():
    async def scenario():
        app = _App()
        collector, collections = _collector(app, every=0.05, max_wait=10, poll=0.005)
        request = asyncio.ensure_future(collector({"type": "http"}, None, None))
        await asyncio.sleep(0.3)  # due since 0.25 s: the request holds it
        assert collections == [] and collector.in_flight == 1
        app.release.set()
        await request
        ended = time.monotonic()
        await asyncio.sleep(0.05)
        assert len(collections) == 1 and collections[0] >= ended
        assert collector.in_flight == 0

    asyncio.run(scenario())


def test_a_process_that_is_never_quiet_still_collects():
    async def scenario():
        app = _App()
        collector, collections = _collector(app, every=0.05, max_wait=0.2, poll=0.01)
        started = time.monotonic()
        request = asyncio.ensure_future(collector({"type": "http"}, None, None))
        await asyncio.sleep(0.5)
        assert collections, "no collection while a request was always in flight"
        assert collections[0] - started >= 0.2
        app.release.set()
        await request

    asyncio.run(scenario())


def test_open_websockets_are_not_requests_in_flight():
    async def scenario():
        app = _App()
        collector, collections = _collector(app, every=0.05, max_wait=10, poll=0.01)
        socket = asyncio.ensure_future(collector({"type": "websocket"}, None, None))
        await asyncio.sleep(0.2)
        assert collections and collector.in_flight == 0
        app.release.set()
        await socket

    asyncio.run(scenario())


def test_the_web_process_runs_full_collections_itself_and_times_them(transactional_db):
    """The real web process: automatic full collections off, its own on schedule, in /metrics."""
    probe = ("import gc; from resolutionflow.quiet_gc import automatic_full_collections_off;"
             "young = gc.get_threshold()[:2]; automatic_full_collections_off();"
             "print(gc.get_threshold()[:2] == young, gc.get_threshold()[2])")
    kept, oldest = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                  check=True).stdout.split()
    assert kept == "True" and int(oldest) == NEVER

    server = helpers.LiveAsgiServer(extra_env={"METRICS_TOKEN": TOKEN, "WEB_FULL_GC_SECONDS": "0.2"})
    try:
        def collections() -> float:
            response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            assert response.status_code == 200
            for line in response.text.splitlines():
                if line.startswith("gc_full_collection_seconds_count"):
                    return float(line.split()[-1])
            pytest.fail("gc_full_collection_seconds is not in /metrics")

        first = collections()
        deadline = time.monotonic() + 10
        while collections() < first + 2:
            assert time.monotonic() < deadline, "the web process ran no full collection of its own"
            time.sleep(0.2)
    finally:
        server.stop()
    assert gc.get_threshold()[2] != NEVER  # the test process itself was left alone
