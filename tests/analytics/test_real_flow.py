"""The metric as the product really records it: escalate, claim and act through the API."""

from analytics.metrics import escalation_analytics, window_for_period
from tests.helpers import add_step, escalate, make_session

URL = "/api/v1/analytics/escalations?period=7d"


def test_the_claimers_first_action_stops_the_clock(api, acme_tech, acme_senior):
    tech, senior = api(acme_tech), api(acme_senior)
    session = make_session(tech)
    add_step(tech, session["id"])
    handoff = escalate(tech, session["id"]).json()
    assert senior.post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200

    body = senior.get(URL).json()
    assert (body["escalations"], body["claimed"]) == (1, 1)
    assert body["time_to_claim"]["samples"] == 1
    assert body["time_to_first_action"]["samples"] == 0  # claimed, no action yet

    acted = senior.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "On it"}, format="json")
    assert acted.status_code == 201
    body = senior.get(URL).json()
    assert body["time_to_first_action"]["samples"] == 1
    assert body["time_to_first_action"]["median_seconds"] >= 0
    assert body["trend"][-1]["escalations"] == 1


def test_an_engineer_who_claims_their_own_escalation_is_not_a_pickup(api, acme, acme_senior):
    senior = api(acme_senior)
    session = make_session(senior)
    handoff = escalate(senior, session["id"]).json()
    assert senior.post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200
    add_step(senior, session["id"])  # records first_action_at: the service does not know about analytics
    figures = escalation_analytics(account=acme, window=window_for_period("7d"))
    assert (figures["escalations"], figures["claimed"]) == (1, 0)
    assert figures["time_to_first_action"]["samples"] == 0


def test_resolving_before_anyone_claims_is_an_escalation_that_was_never_claimed(api, acme, acme_tech, acme_senior):
    tech = api(acme_tech)
    session = make_session(tech)
    escalate(tech, session["id"])
    assert tech.post(f"/api/v1/sessions/{session['id']}/resolve", {"resolution": "Rebooted"},
                     format="json").status_code == 200
    body = api(acme_senior).get(URL).json()
    assert (body["escalations"], body["claimed"], body["resolved_after_claim"]) == (1, 0, 0)
    assert body["conversion_rate"] is None
