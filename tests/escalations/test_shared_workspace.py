"""Two people, one session (issue #12): after a claim the engineer owns the session and the
technician who asked stays on it as a collaborator; both see each other's work live."""

import httpx
import pytest

from accounts.services import api_token_create
from escalations.events import session_group
from escalations.models import Handoff, PilotSession, SessionStatus
from tests.escalations.channel_listener import GroupListener
from tests.helpers import recv_json, recv_types, ws_connect


@pytest.fixture
def claimed(api, acme_tech, acme_senior):
    tech = api(acme_tech)
    session = tech.post("/api/v1/sessions", {"title": "Spooler", "problem": "Spooler stops"}, format="json").json()
    handoff = tech.post(f"/api/v1/sessions/{session['id']}/escalate", {"reason": "Stuck"}, format="json").json()
    assert api(acme_senior).post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200
    return session["id"]


@pytest.mark.django_db
def test_after_the_claim_the_technician_still_adds_steps_and_messages(api, claimed, acme_tech, acme_senior):
    tech = api(acme_tech)
    step = tech.post(f"/api/v1/sessions/{claimed}/steps",
                     {"action": "Checked the event log", "result": "Error 7031", "outcome": "inconclusive"},
                     format="json")
    assert step.status_code == 201, step.content
    assert step.json()["author"]["email"] == acme_tech.email
    message = tech.post(f"/api/v1/sessions/{claimed}/messages", {"body": "It is the reception PC"}, format="json")
    assert message.status_code == 201
    assert api(acme_senior).post(f"/api/v1/sessions/{claimed}/messages", {"body": "Thanks"},
                                 format="json").status_code == 201
    detail = api(acme_senior).get(f"/api/v1/sessions/{claimed}").json()
    assert detail["owner"]["email"] == acme_senior.email
    assert [m["author"]["email"] for m in detail["messages"]] == [acme_tech.email, acme_senior.email]


@pytest.mark.django_db
def test_only_the_owner_resolves_and_a_bystander_cannot_write(api, claimed, acme_tech, acme_senior2):
    assert api(acme_tech).post(f"/api/v1/sessions/{claimed}/resolve", {"resolution": "x"},
                               format="json").status_code == 403
    # Another engineer can read it but is neither its owner nor the one who asked.
    assert api(acme_senior2).post(f"/api/v1/sessions/{claimed}/steps",
                                  {"action": "a", "outcome": "worked"}, format="json").status_code == 403
    assert PilotSession.objects.get(pk=claimed).status == SessionStatus.ACTIVE


@pytest.mark.django_db
def test_before_the_claim_the_escalated_session_stays_the_technicians(api, acme_tech, acme_senior):
    tech = api(acme_tech)
    session = tech.post("/api/v1/sessions", {"title": "T", "problem": "P"}, format="json").json()
    tech.post(f"/api/v1/sessions/{session['id']}/escalate", {"reason": "Stuck"}, format="json")
    assert api(acme_senior).post(f"/api/v1/sessions/{session['id']}/messages", {"body": "hi"},
                                 format="json").status_code == 403


@pytest.mark.django_db
def test_steps_messages_and_the_claim_are_sent_to_the_sessions_page(
        api, acme_tech, acme_senior, django_capture_on_commit_callbacks):
    tech = api(acme_tech)
    session = tech.post("/api/v1/sessions", {"title": "T", "problem": "P"}, format="json").json()
    page = GroupListener(session_group(session["id"]))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            step = tech.post(f"/api/v1/sessions/{session['id']}/steps",
                             {"action": "Rebooted", "result": "Same", "outcome": "did_not_work"}, format="json").json()
        frame = page.receive_type("session.step")
        assert frame["session_id"] == session["id"]
        assert frame["step"]["id"] == step["id"] and frame["step"]["action"] == "Rebooted"
        assert frame["step"]["author"] == {"id": str(acme_tech.pk), "name": acme_tech.display_name,
                                           "email": acme_tech.email}
        with django_capture_on_commit_callbacks(execute=True):
            handoff = tech.post(f"/api/v1/sessions/{session['id']}/escalate", {"reason": "Stuck"},
                                format="json").json()
        assert page.receive_type("session.updated")["status"] == "escalated"
        with django_capture_on_commit_callbacks(execute=True):
            api(acme_senior).post(f"/api/v1/handoffs/{handoff['id']}/claim")
        updated = page.receive_type("session.updated")
        assert updated["status"] == "active" and updated["owner"]["email"] == acme_senior.email
        with django_capture_on_commit_callbacks(execute=True):
            api(acme_tech).post(f"/api/v1/sessions/{session['id']}/messages", {"body": "Over to you"}, format="json")
        message = page.receive_type("session.message")["message"]
        assert message["body"] == "Over to you" and message["author_name"] == acme_tech.display_name
    finally:
        page.close()


@pytest.mark.django_db(transaction=True)
def test_a_socket_follows_only_sessions_its_user_may_see(live_asgi, acme_tech, acme_tech2, acme_senior,
                                                         globex_senior):
    def listen(user):
        ws = ws_connect(live_asgi, token=api_token_create(user=user))
        assert recv_json(ws) == {"type": "ready"}
        return ws

    http = httpx.Client(base_url=f"{live_asgi.url}/api/v1",
                        headers={"Authorization": f"Token {api_token_create(user=acme_tech)}"}, timeout=10)
    session = http.post("/sessions", json={"title": "T", "problem": "P"}).json()
    joins = {"type": "session.join", "session_id": session["id"]}
    import json

    owner, staff, other_tech, foreign = (listen(u) for u in (acme_tech, acme_senior, acme_tech2, globex_senior))
    for ws in (owner, staff):
        ws.send(json.dumps(joins))
        assert recv_types(ws, {"session.joined"})["session.joined"]["session_id"] == session["id"]
    for ws in (other_tech, foreign):  # a colleague's private session, another account's: alike
        ws.send(json.dumps(joins))
        assert recv_json(ws) == {"type": "error", "detail": "Not found.", "about": "session.join"}
    ws_bad = listen(acme_senior)
    ws_bad.send(json.dumps({"type": "session.join", "session_id": "not-a-uuid"}))
    assert recv_json(ws_bad)["detail"] == "Not found."

    http.post(f"/sessions/{session['id']}/steps", json={"action": "Swapped the cable", "outcome": "worked"})
    for ws in (owner, staff):
        assert recv_types(ws, {"session.step"})["session.step"]["step"]["action"] == "Swapped the cable"
    for ws in (other_tech, foreign):
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)
    assert Handoff.objects.count() == 0
