"""Two web processes, one queue: an escalation posted to web process A reaches an engineer's websocket held
by web process B. Nothing in a process's memory carries it: channels-redis does (docs/operations.md,
"Scaling out"). Both processes run on this worker's test database and Redis prefix
(`tests.helpers.LiveAsgiServer`, as the browser tests start theirs).

Only what a client sees is asserted: frames of type `handoff.created` (the queue card) and
`notification.created` (the bell) arriving on B's socket."""

import httpx
import pytest
from django.conf import settings

from accounts.services import api_token_create
from tests import helpers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_web_processes(transactional_db):
    servers = []
    try:
        servers.append(helpers.LiveAsgiServer())
        servers.append(helpers.LiveAsgiServer())
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_an_escalation_posted_to_one_process_reaches_a_socket_held_by_another(
        two_web_processes, acme_tech, acme_senior, globex_senior):
    a, b = two_web_processes
    assert a.port != b.port and a.proc.pid != b.proc.pid

    # The engineer's browser on B: session cookie and Origin, as the page's realtime.js connects.
    cookie = helpers.browser_client(acme_senior).cookies[settings.SESSION_COOKIE_NAME].value
    engineer = helpers.ws_connect(b, cookie=f"{settings.SESSION_COOKIE_NAME}={cookie}", origin=b.url)
    assert helpers.recv_json(engineer) == {"type": "ready"}
    # Another account's engineer, also on B, hears nothing.
    outsider = helpers.ws_connect(b, token=api_token_create(user=globex_senior))
    assert helpers.recv_json(outsider) == {"type": "ready"}

    with httpx.Client(base_url=f"{a.url}/api/v1", timeout=20,
                      headers={"Authorization": f"Token {api_token_create(user=acme_tech)}"}) as tech:
        session = tech.post("/sessions", json={"title": "Printer spooler dies", "problem": "Stops hourly"})
        assert session.status_code == 201, session.text
        handoff = tech.post(f"/sessions/{session.json()['id']}/escalate", json={"reason": "Keeps coming back"})
        assert handoff.status_code == 201, handoff.text

    frames = helpers.recv_types(engineer, {"handoff.created", "notification.created"}, timeout=10)
    assert frames["handoff.created"]["handoff"]["id"] == handoff.json()["id"]
    with pytest.raises(TimeoutError):
        outsider.recv(timeout=0.5)
    engineer.close()
    outsider.close()
