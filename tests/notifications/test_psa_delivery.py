"""PSA notes: an escalation and its claim are written on the session's ticket through the
vendor's real REST API (notifications.psa clients), on the `psa` queue."""

import base64
import json

from notifications.models import Delivery
from resolutionflow.celery import app
from tests.helpers import run_fanouts
from tests.notifications.builders import escalate_and_commit, psa, run_due


def test_psa_deliveries_are_routed_to_the_psa_queue():
    assert app.amqp.router.route({}, "notifications.tasks.deliver_psa")["queue"].name == "psa"
    assert app.amqp.router.route({}, "notifications.tasks.deliver")["queue"].name == "notifications"


def test_connectwise_gets_an_internal_note_on_escalation_and_on_claim(
        api, acme_tech, acme_senior, receiver, django_capture_on_commit_callbacks):
    receiver.default.body = json.dumps({"id": 987}).encode()
    psa(acme_tech.account, receiver.base, kind="connectwise")
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="#4242")
    assert receiver.requests == []
    run_due(kind="psa")

    [request] = receiver.requests
    assert request.path == "/v4_6_release/apis/3.0/service/tickets/4242/notes"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"acme+pub:priv").decode()
    assert request.headers["clientid"] == "cid"
    note = request.json()
    assert note["internalAnalysisFlag"] is True and note["processNotifications"] is False
    assert note["text"].startswith("ResolutionFlow: Tina Tech escalated this ticket.\n"
                                   "Reason: Stuck after clearing creds")
    assert "- Cleared cached credentials → did_not_work" in note["text"]
    assert f"https://rf.example.com/pilot/{handoff['session_id']}?pickup=true" in note["text"]
    delivery = Delivery.objects.get(kind="psa")
    assert (delivery.status, delivery.external_id, delivery.target) == ("delivered", "987",
                                                                        "ConnectWise Manage ticket #4242")

    with django_capture_on_commit_callbacks(execute=True):
        assert api(acme_senior).post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200
    run_fanouts(django_capture_on_commit_callbacks)
    run_due(kind="psa")
    assert receiver.requests[1].json()["text"].startswith("ResolutionFlow: Sam Senior picked up this escalation")


def test_autotask_gets_a_ticket_note_with_its_headers_and_options(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.default.body = b'{"itemId": 555}'
    connection = psa(acme_tech.account, receiver.base, kind="autotask", username="api@acme.test", secret="s3",
                     integration_code="CODE")
    connection.options = {"note_type": 3, "publish": 1}
    connection.save()
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="777")
    run_due(kind="psa")
    [request] = receiver.requests
    assert request.path == "/atservicesrest/v1.0/Tickets/777/Notes"
    assert (request.headers["username"], request.headers["secret"], request.headers["apiintegrationcode"]) == (
        "api@acme.test", "s3", "CODE")
    body = request.json()
    assert (body["ticketID"], body["noteType"], body["publish"]) == (777, 3, 1)
    assert Delivery.objects.get(kind="psa").external_id == "555"


def test_autotask_zone_discovered_on_first_use_is_kept_on_the_connection(
        api, acme_tech, settings, django_capture_on_commit_callbacks):
    from tests.escalations.loopback import LoopbackServer

    zone = LoopbackServer(routes={("POST", "/atservicesrest/v1.0/Tickets/777/Notes")})
    directory = LoopbackServer(routes={("GET", "/atservicesrest/v1.0/zoneInformation")})
    try:
        zone.default.body = {"itemId": 556}
        directory.default.body = {"url": f"{zone.url}/atservicesrest/"}
        settings.AUTOTASK_ZONE_DISCOVERY_URL = directory.url
        # Saved with the discovery host (not a zone): discovered at first use.
        connection = psa(acme_tech.account, directory.url, kind="autotask", username="api@acme.test", secret="s3",
                         integration_code="CODE")
        escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="777")
        run_due(kind="psa")
        assert [r.query for r in directory.requests] == [{"user": "api@acme.test"}]
        assert [r.path for r in zone.requests] == ["/atservicesrest/v1.0/Tickets/777/Notes"]
        connection.refresh_from_db()
        assert connection.options["zone_url"] == zone.url
        assert Delivery.objects.get(kind="psa").external_id == "556"
    finally:
        zone.stop()
        directory.stop()


def test_halopsa_gets_a_token_then_a_private_note(api, acme_tech, django_capture_on_commit_callbacks):
    from notifications.psa import halopsa
    from tests.escalations.loopback import LoopbackServer

    halopsa.clear_token_cache()
    halo = LoopbackServer(routes={("GET", "/api/authinfo"), ("POST", "/auth/token"), ("POST", "/api/Actions")})
    try:
        halo.answer(200, {"auth_url": f"{halo.url}/auth"})  # GET /api/authinfo: no auth_url configured
        halo.answer(200, {"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"})
        halo.answer(201, [{"id": 31337}])
        psa(acme_tech.account, halo.url, kind="halopsa", client_id="halo-id", client_secret="halo-secret")
        escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="1234")
        run_due(kind="psa")
        authinfo, token, action = halo.requests
        assert (authinfo.method, authinfo.path) == ("GET", "/api/authinfo")
        assert token.path == "/auth/token"
        assert b"client_secret=halo-secret" in token.body
        assert action.path == "/api/Actions" and action.headers["authorization"] == "Bearer tok-1"
        assert Delivery.objects.get(kind="psa").external_id == "31337"
    finally:
        halo.stop()
        halopsa.clear_token_cache()



def test_a_psa_outage_is_retried_and_a_session_without_ticket_writes_no_note(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.reply(503, b"maintenance")
    receiver.default.body = b'{"id": 1}'
    psa(acme_tech.account, receiver.base)
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="10")
    run_due(kind="psa")
    delivery = Delivery.objects.get(kind="psa")
    assert (delivery.status, delivery.last_status_code) == ("pending", 503)
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech), psa_ticket_id="", title="No ticket")
    assert Delivery.objects.filter(kind="psa").count() == 1
