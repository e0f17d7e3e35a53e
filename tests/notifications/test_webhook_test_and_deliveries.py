"""POST /api/v1/webhooks/{id}/test (a `ping` through the outbox), GET .../deliveries (the delivery
log) and POST .../deliveries/{delivery_id}/retry (issue #11)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Delivery, DeliveryAttempt, DeliveryStatus
from tests.notifications.builders import make_due, run_due, verify_signature, webhook


def _test(client, endpoint, capture):
    with capture(execute=True) as callbacks:
        response = client.post(f"/api/v1/webhooks/{endpoint.pk}/test")
    return response, callbacks


def test_a_test_queues_a_ping_through_the_outbox_and_a_worker_delivers_it(
        api, acme_admin, receiver, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_admin.account, receiver.url("/rf/events"), events=["handoff.claimed"])
    response, callbacks = _test(api(acme_admin), endpoint, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    queued = response.json()
    assert queued["event"] == "ping" and queued["status"] == "pending" and queued["attempts"] == 0
    assert queued["last_error"] == "" and queued["next_attempt_at"] is not None
    assert callbacks, "the delivery's task is published after commit"
    assert receiver.requests == []  # the request itself sends nothing

    assert run_due() == ["delivered"]
    [request] = receiver.requests
    delivery = Delivery.objects.get(pk=queued["id"])
    assert request.path == "/rf/events"
    assert request.headers["x-resolutionflow-event"] == "ping"
    assert request.headers["x-resolutionflow-delivery"] == queued["id"]
    verify_signature(request.headers["x-resolutionflow-signature"], request.body, endpoint.secret)
    assert request.body == delivery.body.encode()
    event = request.json()
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == "ping" and event["data"]["webhook_id"] == str(endpoint.pk)
    assert (delivery.kind, delivery.endpoint_id, delivery.attempts) == ("webhook", endpoint.pk, 1)


def test_a_paused_endpoint_cannot_be_tested(api, acme_admin, receiver, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_admin.account, receiver.url())
    client = api(acme_admin)
    client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": False}, format="json")
    response, _ = _test(client, endpoint, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert "paused" in response.json()["detail"]
    assert not Delivery.objects.exists()
    run_due()
    assert receiver.requests == []


def _delivery(endpoint, *, status=DeliveryStatus.DELIVERED, created_at=None, **fields):
    return Delivery.objects.create(account=endpoint.account, kind="webhook", event_type="handoff.created",
                                   endpoint=endpoint, body="{}", status=status,
                                   created_at=created_at or timezone.now(), **fields)


def test_the_delivery_log_is_newest_first_in_pages_of_50_with_only_this_endpoints_rows(
        api, acme_admin, globex_admin):
    endpoint = webhook(acme_admin.account, "https://hooks.example.com/a")
    other = webhook(acme_admin.account, "https://hooks.example.com/b")
    foreign = webhook(globex_admin.account, "https://hooks.example.com/c")
    start = timezone.now() - timedelta(hours=2)
    mine = [_delivery(endpoint, created_at=start + timedelta(minutes=i)) for i in range(51)]
    _delivery(other)
    _delivery(foreign)
    client = api(acme_admin)

    first = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()
    assert first["count"] == 51 and len(first["results"]) == 50 and first["next"]
    assert [d["id"] for d in first["results"]] == [str(d.pk) for d in reversed(mine)][:50]
    second = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries?page=2").json()
    assert [d["id"] for d in second["results"]] == [str(mine[0].pk)]
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries?page=3").status_code == 404


def test_each_delivery_says_its_event_status_attempts_error_summary_and_next_attempt(api, acme_admin):
    endpoint = webhook(acme_admin.account, "https://hooks.example.com/a")
    pending = _delivery(endpoint, status=DeliveryStatus.PENDING, attempts=2, last_status_code=503,
                        next_attempt_at=timezone.now() + timedelta(minutes=2),
                        last_error="HTTP 503 from hooks.example.com: upstream busy")
    leaky = _delivery(endpoint, status=DeliveryStatus.DEAD, attempts=30,
                      last_error="ConnectError: https://hooks.example.com/private/path?token=s3cr3t failed "
                                 "(signed with whsec_abcDEF123-_x)\n" + "x" * 600)
    rows = {d["id"]: d for d in api(acme_admin).get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()["results"]}

    row = rows[str(pending.pk)]
    assert set(row) == {"id", "event", "status", "attempts", "last_status_code", "last_error", "next_attempt_at",
                        "created_at", "updated_at"}
    assert (row["event"], row["status"], row["attempts"], row["last_status_code"]) == (
        "handoff.created", "pending", 2, 503)
    assert row["last_error"] == "HTTP 503 from hooks.example.com: upstream busy"
    assert row["next_attempt_at"] is not None

    row = rows[str(leaky.pk)]
    assert row["status"] == "dead" and row["next_attempt_at"] is None
    summary = row["last_error"]
    assert len(summary) <= 200 and "\n" not in summary
    assert summary.startswith("ConnectError: https://hooks.example.com/… failed")
    assert "private" not in summary and "s3cr3t" not in summary and "abcDEF" not in summary


def test_retrying_a_failed_delivery_sends_it_again_and_records_the_attempt(
        api, acme_admin, receiver, django_capture_on_commit_callbacks):
    receiver.reply(400, b"bad signature")
    endpoint = webhook(acme_admin.account, receiver.url())
    client = api(acme_admin)
    _test(client, endpoint, django_capture_on_commit_callbacks)
    run_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 400)
    listed = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()["results"][0]
    assert listed["status"] == "failed" and "HTTP 400" in listed["last_error"]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry")
    assert response.status_code == 202, response.content
    assert (response.json()["id"], response.json()["status"]) == (str(delivery.pk), "pending")
    assert callbacks and len(receiver.requests) == 1  # queued, not sent by the request

    assert run_due() == ["delivered"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "succeeded", "status_code"))
    assert log == [(1, False, 400), (2, True, 200)]
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["x-resolutionflow-delivery"] == second.headers["x-resolutionflow-delivery"]


def test_a_dead_delivery_can_be_retried(api, acme_admin, receiver, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_admin.account, receiver.url())
    dead = _delivery(endpoint, status=DeliveryStatus.DEAD, attempts=30, last_error="HTTP 503 from 127.0.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(acme_admin).post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{dead.pk}/retry")
    assert response.status_code == 202
    run_due()
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("delivered", 31)
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", ["pending", "sending", "delivered"])
def test_a_delivery_that_is_pending_sending_or_sent_is_409_on_retry(status, api, acme_admin):
    endpoint = webhook(acme_admin.account, "https://hooks.example.com/a")
    delivery = _delivery(endpoint, status=status, attempts=1)
    response = api(acme_admin).post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry")
    assert response.status_code == 409
    assert "Only a failed or dead delivery can be retried" in response.json()["detail"]
    assert dict(Delivery.objects.values_list("status", "attempts")) == {status: 1}


def test_the_second_of_two_retries_is_409(api, acme_admin, django_capture_on_commit_callbacks):
    endpoint = webhook(acme_admin.account, "https://hooks.example.com/a")
    failed = _delivery(endpoint, status=DeliveryStatus.FAILED, attempts=1)
    client = api(acme_admin)
    url = f"/api/v1/webhooks/{endpoint.pk}/deliveries/{failed.pk}/retry"
    assert client.post(url).status_code == 202
    assert client.post(url).status_code == 409


def test_a_paused_endpoints_deliveries_are_409_on_retry(api, acme_admin):
    endpoint = webhook(acme_admin.account, "https://hooks.example.com/a")
    failed = _delivery(endpoint, status=DeliveryStatus.FAILED, attempts=1)
    client = api(acme_admin)
    client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"enabled": False}, format="json")
    response = client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{failed.pk}/retry")
    assert response.status_code == 409 and "paused" in response.json()["detail"]
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_a_retry_that_fails_again_is_retried_within_its_window(api, acme_admin, receiver,
                                                              django_capture_on_commit_callbacks):
    receiver.reply(503)
    endpoint = webhook(acme_admin.account, receiver.url())
    failed = _delivery(endpoint, status=DeliveryStatus.FAILED, attempts=1, last_status_code=404)
    with django_capture_on_commit_callbacks(execute=True):
        api(acme_admin).post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{failed.pk}/retry")
    run_due()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 2, 503)
    make_due(failed)
    run_due()
    failed.refresh_from_db()
    assert failed.status == "delivered"
