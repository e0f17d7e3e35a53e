"""Builders and a live ASGI server for the tests."""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Account, User
from accounts.services import api_token_create

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"


def make_account(name, slug):
    return Account.objects.create(name=name, slug=slug)


def make_user(account, email, role, name=""):
    return User.objects.create_user(email=email, password=PASSWORD, account=account, role=role, name=name)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)}")
    return client


def browser_client(user):
    """A Django test client logged in as `user` (the web UI's session cookie)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def make_session(api_client, **overrides):
    body = {"title": "Outlook keeps asking for password", "problem": "User prompted for credentials every 5 min.",
            "client_name": "Initech", "psa_ticket_id": "T-1001"}
    body.update(overrides)
    response = api_client.post("/api/v1/sessions", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def add_step(api_client, session_id, action="Cleared cached credentials", outcome="did_not_work",
             result="Still prompts"):
    response = api_client.post(f"/api/v1/sessions/{session_id}/steps",
                               {"action": action, "result": result, "outcome": outcome}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def escalate(api_client, session_id, reason="Stuck after clearing creds", **extra):
    return api_client.post(f"/api/v1/sessions/{session_id}/escalate", {"reason": reason, **extra}, format="json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for_current_test_db() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def web_process_command(port: int) -> list[str]:
    """The production web process (resolutionflow.serve) on 127.0.0.1:`port`."""
    return [sys.executable, "-m", "resolutionflow.serve", "--host", "127.0.0.1", "--port", str(port)]


class LiveAsgiServer:
    """The production web process (resolutionflow.serve: uvicorn) in a subprocess (pytest-django's
    live_server has no websockets). One per worker, started on first use; it reads the test
    database, which transactional tests commit to."""

    _instance: LiveAsgiServer | None = None

    def __init__(self, extra_env: dict | None = None, port: int | None = None):
        # A fixed `port` lets a test restart the server where its clients will reconnect.
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": database_url_for_current_test_db(),
            "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi"),
            "DEBUG": "1",
            "CELERY_TASK_ALWAYS_EAGER": env.get("LIVE_CELERY_TASK_ALWAYS_EAGER", "1"),
            "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1",
            "THROTTLE_USER": "100000/min",
            "THROTTLE_ANON": "100000/min",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "LOG_LEVEL": "WARNING",
        })
        env.update(extra_env or {})
        self.log = open(ROOT / f".live-asgi-{os.getpid()}-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            web_process_command(self.port), cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self._wait_ready()
        atexit.register(self.stop)

    def _wait_ready(self, timeout=30):
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the web process exited: {(ROOT / self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the web process did not become ready")

    @classmethod
    def shared(cls) -> LiveAsgiServer:
        if cls._instance is None or cls._instance.proc.poll() is not None:
            cls._instance = cls()
        return cls._instance

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def ws_connect(server: LiveAsgiServer, *, token: str | None = None, cookie: str | None = None,
               origin: str | None = None):
    """A real websocket client (websockets' sync client)."""
    from websockets.sync.client import connect

    headers = {}
    if token:
        headers["Authorization"] = f"Token {token}"
    if cookie:
        headers["Cookie"] = cookie
    return connect(f"{server.ws_url}/ws/escalations/", additional_headers=headers, origin=origin, open_timeout=5)


def recv_json(ws, timeout=3.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def recv_types(ws, types: set[str], timeout=5.0) -> dict:
    """Read frames until one of each wanted type arrived; others (e.g. the assessment's
    `handoff.updated`, presence) may interleave and are skipped."""
    deadline = time.monotonic() + timeout
    found: dict = {}
    while set(found) != types:
        frame = recv_json(ws, timeout=max(0.01, deadline - time.monotonic()))
        if frame["type"] in types:
            assert frame["type"] not in found, f"duplicate {frame['type']} frame"
            found[frame["type"]] = frame
    return found


def run_fanouts(capture=None) -> int:
    """Run the fan-out of every pending escalation event synchronously, as a worker does (the
    task function itself). `capture` is pytest-django's django_capture_on_commit_callbacks, to
    run what the fan-out does after its commit (bell frames, publishing deliveries) inside a
    test transaction; None where the test really commits."""
    from escalations.models import EscalationEvent
    from notifications import tasks

    ids = list(EscalationEvent.objects.filter(fanned_out_at__isnull=True).order_by("created_at")
               .values_list("pk", flat=True))

    def run():
        for pk in ids:
            tasks.fan_out_event(str(pk))

    if capture is None:
        run()
    else:
        with capture(execute=True):
            run()
    return len(ids)


def start_celery_worker(*, broker_url: str, name: str, log, redis_url: str | None = None,
                        pool: str = "solo") -> subprocess.Popen:
    """A real Celery worker process (solo pool, or `pool="prefork"`: one child, as in production)
    on the fan-out and notifications queues, using the current test database and this worker's
    channel-layer prefix; its output goes to `log`."""
    env = dict(os.environ)
    env.update({
        # Its connections are named after it in pg_stat_activity.
        "DATABASE_URL": f"{database_url_for_current_test_db()}?application_name=celery-{name}",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi"),
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
    })
    if redis_url:
        env["REDIS_URL"] = redis_url
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "resolutionflow", "worker", "-Q", "fanout,notifications",
         "-P", pool, *(["-c", "1"] if pool == "prefork" else []), "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-n", f"{name}@%h", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen, timeout: float = 30) -> None:
    """A warm shutdown (SIGTERM: the worker finishes its task and stops its pool's children), then
    SIGKILL if it has not exited after `timeout` seconds. SIGKILL alone would orphan a prefork
    child, its database connections with it."""
    from tests.load.common import stop

    stop(worker, timeout)
