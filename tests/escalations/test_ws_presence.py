"""Presence over the websocket: who is viewing a handoff, shared through Redis, staff of the
account only, cleaned up when a socket goes away."""

import pytest

from accounts.services import api_token_create
from tests.helpers import add_step, escalate, make_session, recv_json, ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


def _listen(server, user):
    ws = ws_connect(server, token=api_token_create(user=user))
    assert recv_json(ws) == {"type": "ready"}
    return ws


def _send(ws, **frame):
    import json

    ws.send(json.dumps(frame))


def _next_of(ws, kind, timeout=10.0):
    while True:
        frame = recv_json(ws, timeout=timeout)
        if frame["type"] == kind:
            return frame


@pytest.fixture
def handoff(api, acme_tech):
    tech = api(acme_tech)
    session = make_session(tech)
    add_step(tech, session["id"])
    response = escalate(tech, session["id"])
    assert response.status_code == 201
    return response.json()


def test_joining_tells_the_accounts_engineers_who_is_viewing(live_asgi, handoff, acme_senior, acme_senior2):
    watcher = _listen(live_asgi, acme_senior2)
    viewer = _listen(live_asgi, acme_senior)
    _send(viewer, type="presence.join", handoff_id=handoff["id"])
    frame = _next_of(watcher, "presence")
    assert frame == {"type": "presence", "handoff_id": handoff["id"],
                     "viewers": [{"id": str(acme_senior.pk), "name": "Sam Senior"}]}
    assert _next_of(viewer, "presence") == frame

    _send(viewer, type="presence.leave", handoff_id=handoff["id"])
    assert _next_of(watcher, "presence")["viewers"] == []
    viewer.close()
    watcher.close()


def test_two_tabs_of_one_engineer_are_one_viewer_and_closing_one_keeps_the_other(
        live_asgi, handoff, acme_senior, acme_senior2):
    watcher = _listen(live_asgi, acme_senior2)
    tab1, tab2 = _listen(live_asgi, acme_senior), _listen(live_asgi, acme_senior)
    _send(tab1, type="presence.join", handoff_id=handoff["id"])
    _next_of(watcher, "presence")
    _send(tab2, type="presence.join", handoff_id=handoff["id"])
    assert len(_next_of(watcher, "presence")["viewers"]) == 1
    tab1.close()
    assert [v["name"] for v in _next_of(watcher, "presence")["viewers"]] == ["Sam Senior"]
    tab2.close()
    assert _next_of(watcher, "presence")["viewers"] == []
    watcher.close()


def test_a_late_comer_syncs_the_current_viewers(live_asgi, handoff, acme_senior, acme_senior2):
    viewer = _listen(live_asgi, acme_senior)
    _send(viewer, type="presence.join", handoff_id=handoff["id"])
    _next_of(viewer, "presence")
    late = _listen(live_asgi, acme_senior2)
    _send(late, type="presence.sync")
    frame = _next_of(late, "presence")
    assert frame["handoff_id"] == handoff["id"] and frame["viewers"][0]["name"] == "Sam Senior"
    viewer.close()
    late.close()


def test_foreign_handoffs_and_technicians_are_refused(live_asgi, handoff, acme_tech, globex_senior):
    outsider = _listen(live_asgi, globex_senior)
    _send(outsider, type="presence.join", handoff_id=handoff["id"])
    assert _next_of(outsider, "error") == {"type": "error", "detail": "Not found.", "about": "presence.join"}
    _send(outsider, type="presence.join", handoff_id="not-a-uuid")
    assert _next_of(outsider, "error")["detail"] == "Not found."
    tech = _listen(live_asgi, acme_tech)
    _send(tech, type="presence.join", handoff_id=handoff["id"])
    assert _next_of(tech, "error")["about"] == "presence.join"
    # Nobody joined: a sync by an outsider finds nothing of Acme's, and pings still pong.
    _send(outsider, type="presence.sync")
    _send(outsider, type="ping")
    assert recv_json(outsider) == {"type": "pong"}
    outsider.close()
    tech.close()
