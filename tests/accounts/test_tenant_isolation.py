"""Globex never sees anything of Acme: by id, in lists, over every endpoint (404, never 403)."""

import pytest

from tests.helpers import add_step, escalate, make_session, run_fanouts


@pytest.fixture
def acme_world(api, acme_tech, acme_senior, acme_admin):
    tech = api(acme_tech)
    session = make_session(tech)
    add_step(tech, session["id"])
    handoff = escalate(tech, session["id"]).json()
    run_fanouts()
    notification = api(acme_senior).get("/api/v1/notifications").json()["results"][0]
    return {"session": session, "handoff": handoff, "notification": notification}


@pytest.mark.parametrize("who", ["globex_tech", "globex_senior", "globex_admin"])
def test_globex_gets_404_for_every_acme_object(request, api, acme_world, who):
    client = api(request.getfixturevalue(who))
    sid, hid, nid = acme_world["session"]["id"], acme_world["handoff"]["id"], acme_world["notification"]["id"]
    step = {"action": "x", "result": "y", "outcome": "worked"}
    calls = [
        ("get", f"/api/v1/sessions/{sid}", None),
        ("post", f"/api/v1/sessions/{sid}/steps", step),
        ("post", f"/api/v1/sessions/{sid}/messages", {"body": "hi"}),
        ("post", f"/api/v1/sessions/{sid}/escalate", {"reason": "r"}),
        ("post", f"/api/v1/sessions/{sid}/handoff", {"reason": "r", "target_user_id": sid}),
        ("post", f"/api/v1/sessions/{sid}/resolve", {"resolution": "done"}),
        ("get", f"/api/v1/handoffs/{hid}", None),
        ("post", f"/api/v1/notifications/{nid}/read", None),
    ]
    if who != "globex_tech":
        calls.append(("post", f"/api/v1/handoffs/{hid}/claim", None))
    for method, url, body in calls:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (url, response.status_code, response.content)


def test_globex_technician_claim_is_a_role_403_that_reveals_nothing(api, acme_world, globex_tech):
    hid = acme_world["handoff"]["id"]
    unknown = "00000000-0000-4000-8000-000000000000"
    own = api(globex_tech).post(f"/api/v1/handoffs/{hid}/claim")
    missing = api(globex_tech).post(f"/api/v1/handoffs/{unknown}/claim")
    assert own.status_code == missing.status_code == 403
    assert own.json() == missing.json()


def test_acme_objects_never_appear_in_globex_lists(api, acme_world, globex_senior, globex_admin):
    for user in (globex_senior, globex_admin):
        client = api(user)
        assert client.get("/api/v1/sessions").json()["count"] == 0
        for state in ("unclaimed", "claimed", "all"):
            assert client.get(f"/api/v1/handoffs?state={state}").json()["count"] == 0
        assert client.get("/api/v1/notifications").json()["count"] == 0


def test_globex_escalation_notifies_only_globex_staff(api, acme_world, acme_senior, globex_tech, globex_senior):
    tech = api(globex_tech)
    session = make_session(tech, title="Globex VPN")
    assert escalate(tech, session["id"]).status_code == 201
    run_fanouts()
    globex_titles = [n["title"] for n in api(globex_senior).get("/api/v1/notifications").json()["results"]]
    acme_titles = [n["title"] for n in api(acme_senior).get("/api/v1/notifications").json()["results"]]
    assert any("Globex VPN" in t for t in globex_titles)
    assert not any("Globex VPN" in t for t in acme_titles)


def test_a_target_from_another_account_is_refused_without_writing(api, acme_tech, globex_senior):
    from escalations.models import Handoff

    tech = api(acme_tech)
    session = make_session(tech)
    response = escalate(tech, session["id"], target_user_id=str(globex_senior.pk))
    assert response.status_code == 400
    assert "target_user_id" in response.json()
    assert Handoff.objects.count() == 0


def test_web_pages_404_for_another_accounts_session(client, acme_world, globex_senior):
    client.force_login(globex_senior)
    assert client.get(f"/pilot/{acme_world['session']['id']}").status_code == 404
    page = client.get("/sessions/")
    assert page.status_code == 200
    assert acme_world["session"]["title"].encode() not in page.content
