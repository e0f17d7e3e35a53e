"""The live queue over real websockets: the web process (uvicorn) in a subprocess, channels-redis, PostgreSQL."""

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from accounts.services import api_token_create
from tests.helpers import browser_client, recv_json, recv_types, ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


def _http(server, user):
    return httpx.Client(base_url=f"{server.url}/api/v1",
                        headers={"Authorization": f"Token {api_token_create(user=user)}"}, timeout=10)


def _listen(server, user):
    ws = ws_connect(server, token=api_token_create(user=user))
    assert recv_json(ws) == {"type": "ready"}
    return ws


def _assert_silent(ws, wait=0.5):
    with pytest.raises(TimeoutError):
        ws.recv(timeout=wait)


def test_escalation_reaches_every_engineer_of_the_account_and_no_one_else(
        live_asgi, acme_tech, acme_senior, acme_senior2, acme_admin, globex_senior, globex_admin):
    staff = {u.email: _listen(live_asgi, u) for u in (acme_senior, acme_senior2, acme_admin)}
    outsiders = [_listen(live_asgi, globex_senior), _listen(live_asgi, globex_admin)]
    tech_ws = _listen(live_asgi, acme_tech)

    tech = _http(live_asgi, acme_tech)
    session = tech.post("/sessions", json={"title": "Printer spooler dies", "problem": "Spooler stops hourly"}).json()
    assert tech.post(f"/sessions/{session['id']}/steps",
                     json={"action": "Restarted spooler", "result": "Works 1h", "outcome": "inconclusive"}
                     ).status_code == 201
    handoff = tech.post(f"/sessions/{session['id']}/escalate", json={"reason": "Keeps coming back"}).json()

    for ws in staff.values():
        by_type = recv_types(ws, {"handoff.created", "notification.created"})
        created = by_type["handoff.created"]["handoff"]
        assert created["id"] == handoff["id"]
        assert created["session_id"] == session["id"]
        assert created["intent"] == "escalate" and created["reason"] == "Keeps coming back"
        assert created["requested_by"]["email"] == "tech@acme.test"
        assert created["target_user"] is None and created["created_at"].endswith("Z")
        note = by_type["notification.created"]["notification"]
        assert note["kind"] == "escalation" and note["link"] == f"/pilot/{session['id']}?pickup=true"
        assert set(note) == {"id", "kind", "title", "link", "created_at"}
    for ws in outsiders + [tech_ws]:
        _assert_silent(ws, wait=0.3)

    senior = _http(live_asgi, acme_senior)
    assert senior.post(f"/handoffs/{handoff['id']}/claim").status_code == 200
    for ws in staff.values():
        claimed = recv_types(ws, {"handoff.claimed"})["handoff.claimed"]
        assert claimed["handoff"]["id"] == handoff["id"]
        assert claimed["handoff"]["claimed_by"]["email"] == "senior@acme.test"
        assert claimed["handoff"]["claimed_at"]
    # The members group's `notifications.read` (the escalation's bells are no longer news) may come
    # before or after it: another group, another path to the socket.
    told = recv_types(tech_ws, {"notification.created"})["notification.created"]
    assert told["notification"]["kind"] == "claimed"
    assert "Sam Senior" in told["notification"]["title"]
    for ws in outsiders:
        _assert_silent(ws, wait=0.3)
    for ws in [*staff.values(), *outsiders, tech_ws]:
        ws.close()


def test_a_technician_receives_only_their_own_notifications(live_asgi, acme_tech, acme_tech2, acme_senior):
    other_ws = _listen(live_asgi, acme_tech2)
    target_ws = _listen(live_asgi, acme_senior)
    tech = _http(live_asgi, acme_tech)
    session = tech.post("/sessions", json={"title": "VPN", "problem": "Drops"}).json()
    tech.post(f"/sessions/{session['id']}/escalate", json={"reason": "r", "target_user_id": str(acme_senior.pk)})
    recv_types(target_ws, {"handoff.created", "notification.created"})
    _assert_silent(other_ws)


def test_unauthenticated_connections_are_closed_with_4401(live_asgi, acme_tech):
    for kwargs in ({"origin": live_asgi.url}, {"token": "bogus-token"}):
        ws = ws_connect(live_asgi, **kwargs)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=3)
        assert closed.value.rcvd.code == 4401


def test_a_revoked_token_cannot_connect(live_asgi, acme_senior):
    from accounts.services import api_tokens_revoke

    key = api_token_create(user=acme_senior)
    api_tokens_revoke(user=acme_senior)
    ws = ws_connect(live_asgi, token=key)
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=3)
    assert closed.value.rcvd.code == 4401


def _session_cookie(user):
    return f"sessionid={browser_client(user).cookies['sessionid'].value}"


def test_browsers_authenticate_with_the_session_cookie_from_an_allowed_origin(live_asgi, acme_senior):
    ws = ws_connect(live_asgi, cookie=_session_cookie(acme_senior), origin=live_asgi.url)
    assert recv_json(ws) == {"type": "ready"}
    ws.close()


@pytest.mark.parametrize("origin", ["http://evil.example", None])
def test_a_cookie_from_a_foreign_or_missing_origin_is_refused(live_asgi, acme_senior, origin):
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(live_asgi, cookie=_session_cookie(acme_senior), origin=origin)
    assert refused.value.response.status_code == 403
