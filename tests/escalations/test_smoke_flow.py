from tests.helpers import add_step, escalate, make_session


def test_technician_escalates_and_engineer_claims(api, acme_tech, acme_senior):
    tech, senior = api(acme_tech), api(acme_senior)
    session = make_session(tech)
    add_step(tech, session["id"])
    response = escalate(tech, session["id"])
    assert response.status_code == 201, response.content
    handoff = response.json()
    assert handoff["steps_tried"][0]["action"] == "Cleared cached credentials"
    queue = senior.get("/api/v1/handoffs").json()
    assert [h["id"] for h in queue["results"]] == [handoff["id"]]
    claimed = senior.post(f"/api/v1/handoffs/{handoff['id']}/claim")
    assert claimed.status_code == 200
    assert claimed.json()["claimed_by"]["email"] == "senior@acme.test"
