"""Websocket sessions end with their authority (issue #10, item 6): a socket opened by a user who is
then deactivated, loses their role, logs out, changes their password or loses the token it was
opened with is closed within seconds and gets no frame after that. The real web process, real clients.

Close codes: 4401 (signed out: do not reconnect) and 4403 (rights changed: reconnect, and the new
connection gets the rights the user has now). See docs/realtime.md.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from websockets.exceptions import ConnectionClosed

from accounts.models import ApiToken
from accounts.services import api_token_create
from escalations import events, ws_auth
from tests.helpers import browser_client, recv_json, recv_types, ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

HANDOFF_FRAMES = {"handoff.created", "handoff.claimed", "handoff.updated", "notification.created"}


def committed(fn, *args):
    """Run a change in a thread of its own, as a request would: its control message goes out on
    commit through async_to_sync, which cannot run on a thread that has an event loop (this
    worker's may have Playwright's, after the browser tests)."""
    from django.db import connections

    def call():
        try:
            return fn(*args)
        finally:
            connections.close_all()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=20)


def _save(user, **changes):
    for field, value in changes.items():
        setattr(user, field, value)
    committed(user.save)


def _token_socket(server, user, key=None):
    ws = ws_connect(server, token=key or api_token_create(user=user))
    assert recv_json(ws) == {"type": "ready"}
    return ws


def _cookie(user) -> str:
    return browser_client(user).cookies[settings.SESSION_COOKIE_NAME].value


def _cookie_socket(server, session_key):
    ws = ws_connect(server, cookie=f"{settings.SESSION_COOKIE_NAME}={session_key}", origin=server.url)
    assert recv_json(ws) == {"type": "ready"}
    return ws


def _escalate(server, tech, title="Printer spooler dies"):
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=10,
                      headers={"Authorization": f"Token {api_token_create(user=tech)}"}) as client:
        session = client.post("/sessions", json={"title": title, "problem": "Stops hourly"}).json()
        response = client.post(f"/sessions/{session['id']}/escalate", json={"reason": "Keeps coming back"})
        assert response.status_code == 201, response.text
        return response.json()


def _closed_with(ws, code, timeout=5.0):
    """The socket closes with `code` within `timeout`, and no handoff frame arrives before."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            frame = json.loads(ws.recv(timeout=timeout))
            assert frame["type"] not in HANDOFF_FRAMES, f"a closed session still received {frame}"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


def _gets_the_escalation(ws, handoff):
    assert recv_types(ws, {"handoff.created"})["handoff.created"]["handoff"]["id"] == handoff["id"]


def _token_digest(key: str) -> str:
    from knox.crypto import hash_token

    return hash_token(key)


def test_a_deactivated_user_loses_every_socket_at_once(live_asgi, acme_tech, acme_senior, acme_senior2):
    by_token = _token_socket(live_asgi, acme_senior)
    by_cookie = _cookie_socket(live_asgi, _cookie(acme_senior))
    witness = _token_socket(live_asgi, acme_senior2)

    _save(acme_senior, is_active=False)
    handoff = _escalate(live_asgi, acme_tech)

    _closed_with(by_token, 4401)
    _closed_with(by_cookie, 4401)
    _gets_the_escalation(witness, handoff)
    witness.close()


def test_a_rolled_back_deactivation_closes_nothing(live_asgi, acme_tech, acme_senior):
    ws = _token_socket(live_asgi, acme_senior)

    def fail():
        with transaction.atomic():
            acme_senior.is_active = False
            acme_senior.save()
            raise RuntimeError("the admin's change failed")

    with pytest.raises(RuntimeError):
        committed(fail)
    _gets_the_escalation(ws, _escalate(live_asgi, acme_tech))
    ws.close()


def test_a_role_change_closes_with_4403_and_the_reconnect_gets_the_new_rights(live_asgi, acme_tech, acme_senior):
    key = api_token_create(user=acme_senior)
    ws = _token_socket(live_asgi, acme_senior, key)

    _save(acme_senior, role="technician")
    handoff = _escalate(live_asgi, acme_tech)
    _closed_with(ws, 4403)

    again = _token_socket(live_asgi, acme_senior, key)  # a technician now: not on the queue
    _escalate(live_asgi, acme_tech, title="Second ticket")
    with pytest.raises(TimeoutError):
        frame = recv_json(again, timeout=1.0)
        assert frame["type"] != "handoff.created", frame
        recv_json(again, timeout=1.0)
    again.close()
    assert handoff


def test_an_account_change_closes_with_4403(live_asgi, acme_tech, acme_senior, globex):
    ws = _cookie_socket(live_asgi, _cookie(acme_senior))
    _save(acme_senior, account=globex)
    _escalate(live_asgi, acme_tech)
    _closed_with(ws, 4403)


def test_deleting_a_token_closes_the_sockets_it_opened_and_no_other(live_asgi, acme_tech, acme_senior):
    doomed_key, kept_key = api_token_create(user=acme_senior), api_token_create(user=acme_senior)
    doomed = _token_socket(live_asgi, acme_senior, doomed_key)
    kept = _token_socket(live_asgi, acme_senior, kept_key)
    browser = _cookie_socket(live_asgi, _cookie(acme_senior))

    committed(ApiToken.objects.get(digest=_token_digest(doomed_key)).delete)
    handoff = _escalate(live_asgi, acme_tech)

    _closed_with(doomed, 4401)
    _gets_the_escalation(kept, handoff)
    _gets_the_escalation(browser, handoff)
    kept.close()
    browser.close()


def test_revoking_all_tokens_closes_every_token_socket_but_not_the_browser(live_asgi, acme_tech, acme_senior):
    from accounts.services import api_tokens_revoke

    tokens = [_token_socket(live_asgi, acme_senior) for _ in range(2)]
    browser = _cookie_socket(live_asgi, _cookie(acme_senior))
    committed(lambda: api_tokens_revoke(user=acme_senior))
    handoff = _escalate(live_asgi, acme_tech)
    for ws in tokens:
        _closed_with(ws, 4401)
    _gets_the_escalation(browser, handoff)
    browser.close()


def test_logging_out_closes_that_sessions_sockets_only(live_asgi, acme_tech, acme_senior):
    leaving, staying = browser_client(acme_senior), browser_client(acme_senior)
    leaving_ws = _cookie_socket(live_asgi, leaving.cookies[settings.SESSION_COOKIE_NAME].value)
    staying_ws = _cookie_socket(live_asgi, staying.cookies[settings.SESSION_COOKIE_NAME].value)
    token_ws = _token_socket(live_asgi, acme_senior)

    assert committed(leaving.post, "/logout/").status_code == 302
    handoff = _escalate(live_asgi, acme_tech)

    _closed_with(leaving_ws, 4401)
    _gets_the_escalation(staying_ws, handoff)
    _gets_the_escalation(token_ws, handoff)
    staying_ws.close()
    token_ws.close()


def test_a_password_change_closes_the_browser_sockets_and_their_sessions_are_gone(
        live_asgi, acme_tech, acme_senior):
    session_key = _cookie(acme_senior)
    browser = _cookie_socket(live_asgi, session_key)
    token_ws = _token_socket(live_asgi, acme_senior)

    acme_senior.set_password("a-new-and-long-passphrase")
    _save(acme_senior)
    handoff = _escalate(live_asgi, acme_tech)

    _closed_with(browser, 4403)
    _gets_the_escalation(token_ws, handoff)  # API tokens do not hang on the password
    token_ws.close()
    # The browser reconnects as told: its session was made with the old password.
    again = ws_connect(live_asgi, cookie=f"{settings.SESSION_COOKIE_NAME}={session_key}", origin=live_asgi.url)
    _closed_with(again, 4401)


def test_a_login_after_the_password_change_is_not_touched(live_asgi, acme_senior):
    acme_senior.set_password("a-new-and-long-passphrase")
    _save(acme_senior)
    ws = _cookie_socket(live_asgi, _cookie(acme_senior))
    ws.send(json.dumps({"type": "ping"}))
    assert recv_json(ws) == {"type": "pong"}
    ws.close()


# --- What no signal reports: the re-check on every ping ---------------------------------------

def _ping(ws):
    ws.send(json.dumps({"type": "ping"}))


def test_a_ping_answers_pong_while_everything_holds(live_asgi, acme_senior):
    for ws in (_token_socket(live_asgi, acme_senior), _cookie_socket(live_asgi, _cookie(acme_senior))):
        _ping(ws)
        assert recv_json(ws) == {"type": "pong"}
        ws.close()


def test_a_ping_closes_the_socket_of_a_user_deactivated_behind_the_signals_back(live_asgi, acme_senior):
    from accounts.models import User

    ws = _token_socket(live_asgi, acme_senior)
    User.objects.filter(pk=acme_senior.pk).update(is_active=False)
    _ping(ws)
    _closed_with(ws, 4401)


def test_a_ping_closes_with_4403_after_a_silent_role_change(live_asgi, acme_senior):
    from accounts.models import User

    ws = _cookie_socket(live_asgi, _cookie(acme_senior))
    User.objects.filter(pk=acme_senior.pk).update(role="technician")
    _ping(ws)
    _closed_with(ws, 4403)


def test_a_ping_closes_a_socket_whose_token_is_gone_or_expired(live_asgi, acme_senior):
    gone_key, expired_key = api_token_create(user=acme_senior), api_token_create(user=acme_senior)
    gone, expired = _token_socket(live_asgi, acme_senior, gone_key), _token_socket(live_asgi, acme_senior, expired_key)
    ApiToken.objects.filter(digest=_token_digest(gone_key))._raw_delete("default")  # no signal
    ApiToken.objects.filter(digest=_token_digest(expired_key)).update(expiry=timezone.now() - timedelta(seconds=1))
    for ws in (gone, expired):
        _ping(ws)
        _closed_with(ws, 4401)


def test_a_ping_closes_a_socket_whose_browser_session_is_gone(live_asgi, acme_senior):
    session_key = _cookie(acme_senior)
    ws = _cookie_socket(live_asgi, session_key)
    Session.objects.filter(session_key=session_key).delete()  # expired and cleared, or flushed
    _ping(ws)
    _closed_with(ws, 4403)


@pytest.fixture
def fast_recheck_server(transactional_db):
    from tests.helpers import LiveAsgiServer

    server = LiveAsgiServer(extra_env={"WEBSOCKET_RECHECK_SECONDS": "1"})
    yield server
    server.stop()


def test_a_socket_that_never_pings_is_rechecked_all_the_same(fast_recheck_server, acme_tech, acme_senior):
    from accounts.models import User

    quiet = _token_socket(fast_recheck_server, acme_senior)
    User.objects.filter(pk=acme_senior.pk).update(is_active=False)  # no signal, and no ping follows
    time.sleep(2.5)  # WEBSOCKET_RECHECK_SECONDS=1: re-checked within a second and a half
    _escalate(fast_recheck_server, acme_tech)
    _closed_with(quiet, 4401, timeout=5)


# --- The pieces -------------------------------------------------------------------------------

def test_a_control_message_names_its_sockets_by_hash_and_never_carries_a_session_key():
    key = "k" * 32
    message = events.session_revoke_message("logged_out", session_key=key)
    assert key not in json.dumps(message)
    fingerprint = events.session_fingerprint(key)
    assert events.session_revoke_applies(message, token_digest=None, session_fingerprint=fingerprint)
    assert not events.session_revoke_applies(message, token_digest=None,
                                             session_fingerprint=events.session_fingerprint("x" * 32))
    assert not events.session_revoke_applies(message, token_digest="d", session_fingerprint=None)

    browsers = events.session_revoke_message("password_changed", code=events.CLOSE_REAUTHORISE, auth="session")
    assert events.session_revoke_applies(browsers, token_digest=None, session_fingerprint=fingerprint)
    assert not events.session_revoke_applies(browsers, token_digest="d", session_fingerprint=None)

    everyone = events.session_revoke_message("deactivated")
    assert events.session_revoke_applies(everyone, token_digest="d", session_fingerprint=None)
    assert events.session_revoke_applies(everyone, token_digest=None, session_fingerprint=fingerprint)


def test_the_recheck_reads_the_user_the_token_and_the_session(acme_senior, acme_tech):
    key = api_token_create(user=acme_senior)
    mine = {"user_id": str(acme_senior.pk), "role": "engineer", "account_id": str(acme_senior.account_id)}
    by_token = ws_auth.Authority(**mine, token_digest=_token_digest(key))
    session_key = _cookie(acme_senior)
    by_session = ws_auth.Authority(**mine, session_key=session_key)
    assert ws_auth.check(by_token) is None and ws_auth.check(by_session) is None

    someone_elses = ws_auth.Authority(**mine, session_key=_cookie(acme_tech))
    assert ws_auth.check(someone_elses) == (events.CLOSE_REAUTHORISE, "session_changed")
    Session.objects.filter(session_key=session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert ws_auth.check(by_session) == (events.CLOSE_REAUTHORISE, "session_changed")
    assert ws_auth.check(ws_auth.Authority(**{**mine, "role": "admin"}, token_digest=_token_digest(key))) == (
        events.CLOSE_REAUTHORISE, "role_changed")
    assert ws_auth.check(ws_auth.Authority(**mine, token_digest="0" * 128)) == (events.CLOSE_SIGNED_OUT,
                                                                               "token_revoked")
