"""Failing channels are retried with backoff, never block the others, and never send twice."""

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from notifications import outbox, tasks
from notifications.models import Delivery, DeliveryAttempt, DeliveryStatus, NotificationChannel, WebhookEndpoint
from tests.notifications.builders import (
    escalate_and_commit,
    make_due,
    run_due,
    slack,
    teams,
    verify_signature,
    webhook,
)


def test_a_channel_answering_500_is_retried_while_the_others_deliver(
        api, acme_tech, receivers, django_capture_on_commit_callbacks):
    broken, fine_teams, fine_hook = receivers(3)
    broken.reply(500, b"internal_error")
    slack(acme_tech.account, broken.url())
    teams(acme_tech.account, fine_teams.url())
    webhook(acme_tech.account, fine_hook.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))

    before = timezone.now()
    run_due()

    statuses = dict(Delivery.objects.values_list("kind", "status"))
    assert statuses == {"slack": "pending", "teams": "delivered", "webhook": "delivered"}
    failed = Delivery.objects.get(kind="slack")
    assert failed.attempts == 1 and failed.last_status_code == 500
    assert "internal_error" in failed.last_error
    # First retry after 30 s ± 20 % jitter.
    assert before + timedelta(seconds=23) <= failed.next_attempt_at <= timezone.now() + timedelta(seconds=37)
    assert run_due(kind="slack") == []  # not due yet: nothing claimed, nothing sent
    assert len(broken.requests) == 1

    make_due(failed)
    run_due()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("delivered", 2, "")
    log = list(DeliveryAttempt.objects.filter(delivery=failed).values_list("number", "succeeded", "status_code"))
    assert log == [(1, False, 500), (2, True, 200)]
    assert broken.requests[0].body == broken.requests[1].body


def test_429_retry_after_is_honoured(api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.reply(429, b"rate_limited", headers={"Retry-After": "120"})
    slack(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    before = timezone.now()
    run_due(kind="slack")
    delivery = Delivery.objects.get(kind="slack")
    assert delivery.status == "pending" and delivery.last_status_code == 429
    assert before + timedelta(seconds=119) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=121)
    make_due(delivery)
    run_due(kind="slack")
    assert Delivery.objects.get(kind="slack").status == "delivered"
    assert len(receiver.requests) == 2


def test_webhook_retries_carry_the_same_delivery_id_and_byte_identical_body(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.reply(503).reply(502)
    endpoint = webhook(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    delivery = Delivery.objects.get(kind="webhook")
    for _ in range(3):
        make_due(delivery)
        tasks.deliver(str(delivery.pk))
    assert len(receiver.requests) == 3
    assert {r.headers["x-resolutionflow-delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert len({r.body for r in receiver.requests}) == 1
    for request in receiver.requests:
        verify_signature(request.headers["x-resolutionflow-signature"], request.body, endpoint.secret)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)


def test_a_task_run_twice_sends_once(api, acme_tech, receiver, django_capture_on_commit_callbacks):
    webhook(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    delivery = Delivery.objects.get(kind="webhook")
    assert tasks.deliver(str(delivery.pk)) == "delivered"
    assert tasks.deliver(str(delivery.pk)) is None
    assert len(receiver.requests) == 1


def test_two_workers_racing_for_one_delivery_send_it_once(api, transactional_db, acme_tech, receiver):
    webhook(acme_tech.account, receiver.url())
    escalate_and_commit(None, api(acme_tech))
    delivery_id = str(Delivery.objects.get(kind="webhook").pk)
    results, barrier = [], threading.Barrier(4)

    def worker():
        barrier.wait()
        try:
            results.append(tasks.deliver(delivery_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results, key=str) == sorted(["delivered", None, None, None], key=str)
    assert len(receiver.requests) == 1


def test_an_endpoint_answering_410_is_disabled_and_gets_nothing_more(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.reply(410, b"gone")
    endpoint = webhook(acme_tech.account, receiver.url())
    client = api(acme_tech)
    escalate_and_commit(django_capture_on_commit_callbacks, client)
    run_due()
    endpoint.refresh_from_db()
    assert endpoint.enabled is False and endpoint.disabled_at is not None
    delivery = Delivery.objects.get(kind="webhook")
    assert (delivery.status, delivery.last_status_code) == ("failed", 410)
    escalate_and_commit(django_capture_on_commit_callbacks, client, title="Second ticket")
    assert Delivery.objects.filter(kind="webhook").count() == 1
    assert len(receiver.requests) == 1


def test_a_slack_channel_answering_410_channel_is_archived_is_disabled(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.reply(410, b"channel_is_archived")
    channel = slack(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    run_due(kind="slack")
    channel.refresh_from_db()
    assert channel.enabled is False and "410" in channel.disabled_reason


def test_a_permanent_4xx_is_not_retried(api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.reply(400, b"invalid_payload")
    slack(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    run_due(kind="slack")
    delivery = Delivery.objects.get(kind="slack")
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert outbox.sweep()["due"] == 0


def test_a_webhook_is_retried_for_at_least_24_hours_then_dead(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    receiver.default.status = 500
    webhook(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    delivery = Delivery.objects.get(kind="webhook")
    waited = timedelta(0)
    while True:
        make_due(delivery)
        before = timezone.now()
        tasks.deliver(str(delivery.pk))
        delivery.refresh_from_db()
        if delivery.status != "pending":
            break
        gap = delivery.next_attempt_at - before
        assert gap <= timedelta(hours=1, seconds=1)  # backoff capped at an hour
        waited += gap
        # Pretend the time passed: move the row's clock back instead of sleeping.
        Delivery.objects.filter(pk=delivery.pk).update(created_at=delivery.created_at - gap)
        delivery.refresh_from_db()
    assert delivery.status == "dead"
    assert waited >= timedelta(hours=22)  # with the final gap past the window: the 24 h are covered
    assert 25 <= delivery.attempts <= 40
    assert delivery.attempts == len(receiver.requests)


def test_a_removed_or_disabled_target_fails_without_sending(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    channel = slack(acme_tech.account, receiver.url())
    endpoint = webhook(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    NotificationChannel.objects.filter(pk=channel.pk).delete()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    run_due()
    assert dict(Delivery.objects.filter(kind__in=["slack", "webhook"]).values_list("kind", "last_error")) == {
        "slack": "The target was removed.", "webhook": "The target is disabled."}
    assert receiver.requests == []


def test_a_connection_refused_or_timeout_is_a_retryable_failure(
        api, acme_tech, settings, django_capture_on_commit_callbacks):
    from tests.notifications.loopback import Blackhole, dead_port_url

    settings.OUTBOUND_HTTP_TIMEOUT_SECONDS = 0.5
    hole = Blackhole()
    slack(acme_tech.account, dead_port_url())
    teams(acme_tech.account, hole.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    run_due()
    rows = {d.kind: d for d in Delivery.objects.filter(kind__in=["slack", "teams"])}
    assert rows["slack"].status == rows["teams"].status == "pending"
    assert "ConnectError" in rows["slack"].last_error
    assert "Timed out" in rows["teams"].last_error
    hole.stop()


def test_the_sweeper_returns_rows_stuck_in_sending_and_requeues_due_ones(
        api, acme_tech, receiver, django_capture_on_commit_callbacks):
    webhook(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    delivery = Delivery.objects.get(kind="webhook")
    # A worker claimed it and died: `sending` for ten minutes.
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", locked_at=timezone.now() - timedelta(minutes=10))
    result = outbox.sweep()
    assert result["stuck"] == 1 and result["published"] >= 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.dispatched_at is not None
    # Published again: a second sweep within two minutes does not publish it again.
    assert outbox.sweep()["due"] == 0
    run_due()
    assert Delivery.objects.get(pk=delivery.pk).status == "delivered"


def test_the_tick_command_sweeps_and_renotifies(api, acme_tech, receiver, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    webhook(acme_tech.account, receiver.url())
    escalate_and_commit(django_capture_on_commit_callbacks, api(acme_tech))
    Delivery.objects.update(dispatched_at=None)  # as if the broker had been down at commit
    out = StringIO()
    call_command("notifications_tick", stdout=out)
    assert "'published': 1" in out.getvalue() and "renotified: 0" in out.getvalue()
