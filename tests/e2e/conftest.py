"""Browser tests: Debian's Chromium driven by Playwright (pytest-playwright), against the web process on the
full stack (PostgreSQL + Redis) through `tests.helpers.LiveAsgiServer`.

- The browser is Debian's package (`scripts/ensure-chromium.sh`; Playwright cannot download its
  own here), launched headless without the sandbox (we run as root).
- People log in by a session cookie made with Django's test client on the test database, which
  the web process subprocess reads (the tests are transactional, so it sees every commit).
- Frames the server would send after an event the test makes itself are pushed with
  `push_frame`, from a worker thread (Playwright's sync API owns this thread's event loop).
- A JavaScript error on any page fails the test: the demo must never crash.
"""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.services import api_token_create
from tests import helpers

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests run last in each process. Playwright's sync API keeps its event loop running
    in the main thread from the first browser test to the end of the session, and any later test
    whose code calls async_to_sync there (readyz's channel-layer check, group sends) would fail
    with "You cannot use AsyncToSync in the same thread as an async event loop". pytest-django and
    pytest's own fixture grouping decide the rest of the order; this stable sort only moves the
    e2e tests behind the others. Every test in this directory is marked e2e here, so a new file
    that forgets its pytestmark still runs last."""
    e2e_dir = Path(__file__).resolve().parent
    for item in items:
        if e2e_dir in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1360, "height": 860}

# Generous but bounded: two workers share two cores with two web processes and two browsers.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run scripts/ensure-chromium.sh (make test does).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Browsers:
    """Opens pages as a given user, each in its own browser context (its own cookies)."""

    def __init__(self, new_context, server):
        self.new_context = new_context
        self.server = server
        self.errors: list[str] = []

    # The browser's own reports of a dropped connection (the reconnect test causes them).
    NETWORK_NOISE = ("WebSocket connection to", "Failed to load resource", "net::ERR_")

    def _console(self, user, page, message):
        if message.type == "error" and not any(n in message.text for n in self.NETWORK_NOISE):
            self.errors.append(f"{user.email} {page.url}: console.error: {message.text}")

    def open(self, user, path="/", *, server=None, route_ws=None, init_script=None, **context_args):
        server = server or self.server
        context = self.new_context(**{"base_url": server.url, "viewport": VIEWPORT, **context_args})
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie(user),
                              "url": server.url}])
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{user.email} {page.url}: {exc}"))
        page.on("console", lambda msg: self._console(user, page, msg))
        if init_script:
            page.add_init_script(init_script)
        if route_ws:
            page.route_web_socket("**/ws/escalations/", route_ws)
        page.goto(path)
        return page


@pytest.fixture
def browsers(new_context, live_asgi):
    opened = Browsers(new_context, live_asgi)
    yield opened
    assert not opened.errors, "JavaScript errors on the page:\n" + "\n".join(opened.errors)


def wait_live(page):
    """The page's websocket said "ready" (events from now on reach it)."""
    expect(page.locator("[data-rt-status]")).to_have_attribute("data-state", "live")


@pytest.fixture
def api_http(live_asgi):
    """`api_http(user)` → an httpx client on the live server's API with a real token of `user`."""
    clients = []

    def make(user, server=None):
        client = httpx.Client(base_url=f"{(server or live_asgi).url}/api/v1", timeout=20,
                              headers={"Authorization": f"Token {api_token_create(user=user)}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def escalation(http, *, title="Outlook keeps asking for password", reason="Stuck after clearing creds",
               steps=(("Cleared cached credentials", "Still prompts", "did_not_work"),), **session_fields):
    session = http.post("/sessions", json={"title": title, "problem": "User prompted for credentials every 5 min.",
                                           "client_name": "Initech", "psa_ticket_id": "T-1001", **session_fields})
    assert session.status_code == 201, session.text
    session = session.json()
    for action, result, outcome in steps:
        response = http.post(f"/sessions/{session['id']}/steps",
                             json={"action": action, "result": result, "outcome": outcome})
        assert response.status_code == 201, response.text
    handoff = http.post(f"/sessions/{session['id']}/escalate", json={"reason": reason})
    assert handoff.status_code == 201, handoff.text
    return session, handoff.json()


_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)


def in_thread(fn, *args, **kwargs):
    """Run `fn` in a worker thread: Django code that sends to the channel layer (async_to_sync)
    cannot run on the thread whose event loop Playwright's sync API drives."""
    from django.db import connections

    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    return _pool.submit(call).result(timeout=20)


def push_frame(group: str, frame: dict) -> None:
    """Send a frame to a group as the server would."""
    from escalations import events

    in_thread(events.send_now, group, frame)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), animations="disabled")
    return path


@pytest.fixture
def restartable_server(transactional_db):
    """A web process of this test's own, which the test may stop and start again on the same port."""
    servers = [helpers.LiveAsgiServer()]

    class Handle:
        @property
        def current(self):
            return servers[-1]

        def stop(self):
            servers[-1].stop()

        def start(self):
            servers.append(helpers.LiveAsgiServer(port=servers[-1].port))
            return servers[-1]

    yield Handle()
    for server in servers:
        server.stop()
