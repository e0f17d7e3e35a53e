"""After commit: the request does no network I/O to channels, a broker outage loses nothing,
and a real Celery worker delivers what the request queued. These tests really commit."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from escalations import handoffs
from escalations.models import EscalationEvent, Handoff
from notifications import fanout, outbox
from notifications.models import Delivery
from resolutionflow.celery import app
from tests.helpers import add_step, escalate, make_session, run_fanouts
from tests.notifications.builders import psa, slack, teams, webhook
from tests.notifications.conftest import BROKER_PREFIX, BROKER_URL, use_broker
from tests.notifications.loopback import Blackhole, dead_port_url


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming this test's broker key space."""
    app.conf.worker_hijack_root_logger = False

    def start():
        from celery.contrib.testing.worker import start_worker

        return start_worker(app, pool="solo", perform_ping_check=False, queues=["fanout", "notifications", "psa"],
                            shutdown_timeout=20)

    return start


def _escalate_timed(client, session_id):
    started = time.perf_counter()
    response = escalate(client, session_id)
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.content
    return response.json(), elapsed


def test_the_escalate_request_does_no_network_io_to_channels(transactional_db, api, acme_tech, acme_senior,
                                                             acme_admin, receiver):
    client = api(acme_tech)
    # Baseline: an escalation with nothing configured (median of three).
    baseline = []
    for i in range(3):
        session = make_session(client, title=f"Baseline {i}")
        add_step(client, session["id"])
        baseline.append(_escalate_timed(client, session["id"])[1])
    run_fanouts()
    Delivery.objects.all().delete()

    hole = Blackhole()
    slack(acme_tech.account, dead_port_url())
    teams(acme_tech.account, hole.url())
    webhook(acme_tech.account, hole.url("/events"))
    webhook(acme_tech.account, receiver.url("/events"))
    psa(acme_tech.account, dead_port_url(""))
    session = make_session(client, title="With every channel dead")
    add_step(client, session["id"])
    _handoff, with_channels = _escalate_timed(client, session["id"])
    # The request wrote the event and nothing per channel or recipient.
    assert not Delivery.objects.exists()
    assert EscalationEvent.objects.filter(fanned_out_at__isnull=True).count() == 1
    run_fanouts()  # the worker's part

    kinds = sorted(Delivery.objects.values_list("kind", flat=True))
    assert kinds == ["email", "email", "psa", "slack", "teams", "webhook", "webhook"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {0}
    assert receiver.requests == [] and hole.connections_waiting() == 0  # nobody was contacted
    # Dispatched to the broker after the fan-out's commit: every row has its message.
    assert Delivery.objects.filter(dispatched_at__isnull=True).count() == 0
    print(f"\nescalate request: no channels median {sorted(baseline)[1] * 1000:.1f} ms; "
          f"7 deliveries to dead/blackholed targets {with_channels * 1000:.1f} ms")
    hole.stop()


def test_a_real_worker_delivers_after_commit(worker, api, acme_tech, acme_senior, receivers):
    slack_rx, hook_rx = receivers(2)
    slack(acme_tech.account, slack_rx.url("/slack"))
    webhook(acme_tech.account, hook_rx.url("/events"))
    client = api(acme_tech)
    session = make_session(client)
    with worker():
        handoff, _ = _escalate_timed(client, session["id"])
        assert slack_rx.wait_for(1)[0].path == "/slack"
        assert hook_rx.wait_for(1)[0].json()["data"]["id"] == handoff["id"]
        deadline = time.monotonic() + 10
        while Delivery.objects.exclude(status="delivered").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_rolled_back_escalation_writes_and_sends_nothing(transactional_db, api, acme_tech, acme_senior, receiver):
    webhook(acme_tech.account, receiver.url())
    session = make_session(api(acme_tech))
    from escalations.models import PilotSession

    with pytest.raises(RuntimeError), transaction.atomic():
        handoffs.handoff_create(session=PilotSession.objects.get(pk=session["id"]), actor=acme_tech,
                                intent="escalate", reason="r")
        raise RuntimeError("something after the escalation failed")
    assert Handoff.objects.count() == 0 and Delivery.objects.count() == 0
    assert outbox.sweep()["due"] == 0
    assert receiver.requests == []


def test_a_broker_outage_at_commit_loses_nothing_the_sweeper_delivers_when_it_is_back(
        worker, private_redis, api, acme_tech, acme_senior, receivers):
    port, start_redis = private_redis
    slack_rx, hook_rx = receivers(2)
    slack(acme_tech.account, slack_rx.url("/slack"))
    webhook(acme_tech.account, hook_rx.url("/events"))
    client = api(acme_tech)
    session = make_session(client)
    use_broker(f"redis://127.0.0.1:{port}/0", prefix=BROKER_PREFIX)  # nothing listens there yet
    try:
        handoff, elapsed = _escalate_timed(client, session["id"])  # the escalation itself succeeds
        # Its fan-out could not be queued: the event waits, durable, with nothing lost.
        [event] = EscalationEvent.objects.all()
        assert event.fanned_out_at is None and not Delivery.objects.exists()
        assert slack_rx.requests == hook_rx.requests == []
        print(f"\nescalate with the broker down: {elapsed * 1000:.0f} ms")

        start_redis()
        use_broker(f"redis://127.0.0.1:{port}/0", prefix=BROKER_PREFIX)
        with worker():
            # What celery beat runs every 30 s, once the event is overdue.
            assert fanout.sweep_events(now=timezone.now() + timedelta(minutes=1)) == 1
            assert slack_rx.wait_for(1)[0].path == "/slack"
            assert hook_rx.wait_for(1)[0].json()["data"]["id"] == handoff["id"]
            deadline = time.monotonic() + 10
            while Delivery.objects.exclude(status="delivered").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
        assert len(slack_rx.requests) == len(hook_rx.requests) == 1
    finally:
        use_broker(BROKER_URL)


def test_the_request_publishes_one_fan_out_and_the_worker_delivers_every_channel(worker, api, acme_tech,
                                                                                  acme_senior, receivers):
    from notifications import tasks

    hook_rxs = receivers(5)
    for rx in hook_rxs:
        webhook(acme_tech.account, rx.url("/events"))
    client = api(acme_tech)
    session = make_session(client)
    published = []
    original = tasks.fan_out_event.apply_async

    def spy(args, **kwargs):
        published.append(args[0])
        return original(args, **kwargs)

    tasks.fan_out_event.apply_async = spy
    try:
        with worker():
            handoff, _ = _escalate_timed(client, session["id"])
            # Five webhooks and one email: one fan-out message from the request, not six.
            assert published == [str(EscalationEvent.objects.get().pk)]
            for rx in hook_rxs:
                assert rx.wait_for(1)[0].json()["data"]["id"] == handoff["id"]
            deadline = time.monotonic() + 10
            while Delivery.objects.exclude(status="delivered").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        tasks.fan_out_event.apply_async = original
    assert Delivery.objects.count() == 6
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
