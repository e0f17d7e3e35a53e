"""Each transport speaks its protocol to a real HTTP server on loopback: exact paths, headers
and bodies."""

import json

import pytest
from django.core import mail

from notifications.models import ChatIdentity, Delivery, DeliveryStatus
from tests.helpers import run_fanouts
from tests.notifications.builders import escalate_and_commit, run_due, slack, teams, verify_signature, webhook


def test_slack_gets_a_block_kit_message_with_the_reason_requester_problem_and_pickup_link(
        api, acme_tech, acme_senior, receiver, django_capture_on_commit_callbacks):
    slack(acme_tech.account, receiver.url("/services/T000/B000/XXXX"))
    ChatIdentity.objects.create(account=acme_tech.account, user=acme_senior, slack_member_id="U012AB3CD")
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech),
                                  problem="Outlook <prompts> & prompts")
    assert receiver.requests == []  # nothing is sent in the request

    run_due()

    [request] = receiver.requests
    assert request.path == "/services/T000/B000/XXXX"
    assert request.headers["content-type"] == "application/json"
    message = request.json()
    assert message["text"].startswith("Escalation: Outlook keeps asking for password")
    blocks = message["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                                    "text": "Escalation: Outlook keeps asking for password"}}
    assert blocks[1]["text"]["text"] == "*Reason:* Stuck after clearing creds"
    assert {"type": "mrkdwn", "text": "*Requested by*\nTina Tech", "verbatim": True} in blocks[2]["fields"]
    assert {"type": "mrkdwn", "text": "*Ticket*\nT-1001", "verbatim": True} in blocks[2]["fields"]
    assert blocks[3]["text"]["text"] == "*Problem*\n>Outlook &lt;prompts&gt; &amp; prompts"  # mrkdwn escaped
    assert blocks[4] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "cc <@U012AB3CD>"}]}
    button = blocks[-1]["elements"][0]
    assert button["url"] == f"https://rf.example.com/pilot/{handoff['session_id']}?pickup=true"
    assert Delivery.objects.get(kind="slack").status == DeliveryStatus.DELIVERED


def test_teams_gets_an_adaptive_card_1_4_in_a_message_envelope_and_mentions_by_email(
        api, acme_tech, acme_senior, receiver, django_capture_on_commit_callbacks):
    receiver.default.status = 202  # Workflows answers 202 Accepted
    teams(acme_tech.account, receiver.url("/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t"))
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))

    run_due()

    [request] = receiver.requests
    assert request.path == "/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t"
    body = request.json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "Escalation: Outlook keeps asking for password"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open handoff",
                                "url": f"https://rf.example.com/pilot/{handoff['session_id']}?pickup=true"}]
    assert card["msteams"]["entities"] == [{"type": "mention", "text": "<at>Sam Senior</at>",
                                            "mentioned": {"id": "senior@acme.test", "name": "Sam Senior"}}]
    delivery = Delivery.objects.get(kind="teams")
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 202)


def test_a_user_who_turned_chat_mentions_off_is_not_mentioned(
        api, acme_tech, acme_senior, acme_senior2, receiver, django_capture_on_commit_callbacks):
    acme_senior.chat_mentions = False
    acme_senior.save()
    teams(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    run_due()
    mentioned = [e["mentioned"]["id"] for e in receiver.requests[0].json()["attachments"][0]["content"]
                 ["msteams"]["entities"]]
    assert mentioned == ["senior2@acme.test"]


def test_webhook_is_signed_over_timestamp_and_raw_body_with_event_and_delivery_headers(
        api, acme_tech, acme_senior, receiver, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_tech.account, receiver.url("/rf/events"), events=["handoff.created"])
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))

    run_due()

    [request] = receiver.requests
    delivery = Delivery.objects.get(kind="webhook")
    assert request.path == "/rf/events"
    assert request.headers["x-resolutionflow-event"] == "handoff.created"
    assert request.headers["x-resolutionflow-delivery"] == str(delivery.pk)
    verify_signature(request.headers["x-resolutionflow-signature"], request.body, endpoint.secret)
    assert request.body == delivery.body.encode()  # the stored bytes, exactly
    event = request.json()
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == "handoff.created"
    assert event["data"]["id"] == handoff["id"]
    assert event["data"]["session_id"] == handoff["session_id"]
    assert event["data"]["requested_by"]["email"] == "tech@acme.test"
    assert event["data"]["session"]["psa_ticket_id"] == "T-1001"


def test_webhooks_only_get_the_events_they_subscribed_to_and_only_of_their_account(
        api, acme_tech, acme_senior, globex, receivers, django_capture_on_commit_callbacks):
    claims_only, everything, globex_hook = receivers(3)
    webhook(acme_tech.account, claims_only.url(), events=["handoff.claimed"])
    webhook(acme_tech.account, everything.url())
    webhook(globex, globex_hook.url())
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    with django_capture_on_commit_callbacks(execute=True):
        assert api(acme_senior).post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200
    run_fanouts(django_capture_on_commit_callbacks)
    run_due()
    assert [r.json()["type"] for r in claims_only.requests] == ["handoff.claimed"]
    assert sorted(r.json()["type"] for r in everything.requests) == ["handoff.claimed", "handoff.created"]
    claimed = next(r.json() for r in everything.requests if r.json()["type"] == "handoff.claimed")
    assert claimed["data"]["claimed_by"]["email"] == "senior@acme.test"
    assert globex_hook.requests == []


def test_session_resolved_and_handoff_assessed_reach_webhooks(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    from escalations import hooks
    from escalations.models import Handoff
    from tests.helpers import make_session

    webhook(acme_tech.account, receiver.url(), events=["session.resolved", "handoff.assessed"])
    client = api(acme_tech)
    session = make_session(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/sessions/{session['id']}/resolve", {"resolution": "Reset MFA"}).status_code == 200
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, client)
    Handoff.objects.filter(pk=handoff["id"]).update(assessment_status="ready", assessment={"summary": "s"})
    with django_capture_on_commit_callbacks(execute=True):
        hooks.handoff_assessed(Handoff.objects.get(pk=handoff["id"]))
    run_fanouts(django_capture_on_commit_callbacks)
    run_due()
    events = {r.json()["type"]: r.json()["data"] for r in receiver.requests}
    assert events["session.resolved"]["resolution"] == "Reset MFA"
    assert events["handoff.assessed"]["assessment"] == {"summary": "s"}


@pytest.mark.parametrize("opted_out", [False, True])
def test_one_email_per_recipient_with_html_and_text_unless_they_turned_email_off(
        opted_out, api, acme_tech, acme_senior, acme_senior2, acme_admin, django_capture_on_commit_callbacks):
    if opted_out:
        acme_senior2.email_notifications = False
        acme_senior2.save()
    handoff = escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    assert mail.outbox == []
    run_due()
    expected = {"admin@acme.test", "senior@acme.test"} | (set() if opted_out else {"senior2@acme.test"})
    assert {m.to[0] for m in mail.outbox} == expected
    assert all(len(m.to) == 1 for m in mail.outbox)
    message = mail.outbox[0]
    assert message.subject == "[ResolutionFlow] Escalation: Outlook keeps asking for password"
    assert f"https://rf.example.com/pilot/{handoff['session_id']}?pickup=true" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Stuck after clearing creds" in html
    assert message.extra_headers["X-ResolutionFlow-Delivery"] in {str(pk) for pk in
                                                                  Delivery.objects.values_list("pk", flat=True)}


def test_a_targeted_escalation_emails_the_target_only(
        api, acme_tech, acme_senior, acme_senior2, django_capture_on_commit_callbacks):
    client = api(acme_tech)
    from tests.helpers import make_session

    session = make_session(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/sessions/{session['id']}/escalate",
                               {"reason": "r", "target_user_id": str(acme_senior2.pk)}, format="json")
    assert response.status_code == 201
    run_fanouts(django_capture_on_commit_callbacks)
    run_due()
    assert [m.to for m in mail.outbox] == [["senior2@acme.test"]]
    assert json.loads(Delivery.objects.get().body)["to"] == ["senior2@acme.test"]
