"""`/metrics`: bearer-token access, the Prometheus text, the metrics moving with real traffic,
the outbox gauges, and the multi-process mode (several processes, one scrape)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from accounts.services import api_token_create
from notifications import outbox
from notifications.models import Delivery, DeliveryStatus
from resolutionflow import metrics
from tests import helpers

TOKEN = "metrics-token-for-tests-0123456789"


def samples(text: str) -> dict:
    """{(sample name, frozenset(labels)): value} of a Prometheus text exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


# --- Access ------------------------------------------------------------------------------------

def test_without_a_configured_token_metrics_are_not_served(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer wrong-token", f"Token {TOKEN}",
                                    f"Bearer {TOKEN}x", f"Basic {TOKEN}"])
def test_a_missing_or_wrong_token_is_refused_with_401(client, metrics_on, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"escalate_latency_seconds" not in response.content


@pytest.mark.django_db
def test_the_right_token_gets_the_prometheus_text_of_every_metric(client, metrics_on):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    for name, kind in [("escalate_latency_seconds", "histogram"), ("websocket_connections", "gauge"),
                       ("frames_sent_total", "counter"), ("frames_failed_total", "counter"),
                       ("deliveries_total", "counter"), ("assessment_duration_seconds", "histogram"),
                       ("outbox_pending_deliveries", "gauge"), ("outbox_oldest_pending_age_seconds", "gauge")]:
        assert f"# TYPE {name} {kind}" in text, name
    samples(text)  # parses as Prometheus text


# --- The outbox gauges -------------------------------------------------------------------------

def _delivery(account, kind, *, status=DeliveryStatus.PENDING, age=timedelta(0), **fields):
    return Delivery.objects.create(account=account, kind=kind, event_type="handoff.created", body="{}",
                                   status=status, created_at=timezone.now() - age, **fields)


def test_the_backlog_gauges_show_pending_deliveries_per_kind(client, metrics_on, acme):
    _delivery(acme, "webhook", age=timedelta(seconds=90))
    _delivery(acme, "webhook", age=timedelta(seconds=10))
    _delivery(acme, "email", status=DeliveryStatus.DELIVERED, age=timedelta(hours=2))
    _delivery(acme, "slack", status=DeliveryStatus.FAILED, age=timedelta(hours=2))

    found = samples(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode())
    assert value(found, "outbox_pending_deliveries", kind="webhook") == 2
    assert 90 <= value(found, "outbox_oldest_pending_age_seconds", kind="webhook") < 150
    for kind in ("email", "slack", "teams", "psa"):  # every kind is there, at zero
        assert ("outbox_pending_deliveries", frozenset({("kind", kind)})) in found
        assert value(found, "outbox_pending_deliveries", kind=kind) == 0
        assert value(found, "outbox_oldest_pending_age_seconds", kind=kind) == 0


def test_the_backlog_is_one_grouped_query(client, metrics_on, acme, django_assert_num_queries):
    _delivery(acme, "webhook")
    _delivery(acme, "email")
    with django_assert_num_queries(1):
        metrics.render()


# --- Instrumented code paths (in this process) ---------------------------------------------------

def test_a_failed_delivery_attempt_is_counted_by_kind_and_outcome(acme):
    delivery = _delivery(acme, "slack")  # its channel is gone: a permanent failure
    before = REGISTRY.get_sample_value("deliveries_total", {"kind": "slack", "outcome": "failed"}) or 0
    assert outbox.attempt(delivery.pk) == DeliveryStatus.FAILED
    assert REGISTRY.get_sample_value("deliveries_total", {"kind": "slack", "outcome": "failed"}) == before + 1


def test_the_web_escalate_form_is_timed(acme_tech, acme_senior, api):
    session = helpers.make_session(api(acme_tech))
    labels = {"via": "web", "intent": "escalate"}
    before = REGISTRY.get_sample_value("escalate_latency_seconds_count", labels) or 0
    response = helpers.browser_client(acme_tech).post(f"/pilot/{session['id']}/escalate", {"reason": "Stuck"})
    assert response.status_code == 302
    assert REGISTRY.get_sample_value("escalate_latency_seconds_count", labels) == before + 1


# --- A real web process: an escalation, a websocket --------------------------------------------

@pytest.fixture
def metered_server(transactional_db):
    server = helpers.LiveAsgiServer(extra_env={"METRICS_TOKEN": TOKEN})
    yield server
    server.stop()


def _scrape(server) -> dict:
    response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return samples(response.text)


def test_an_escalation_through_the_api_moves_the_latency_delivery_and_assessment_metrics(
        metered_server, acme_tech, acme_senior):
    before = _scrape(metered_server)
    tech = httpx.Client(base_url=f"{metered_server.url}/api/v1", timeout=20,
                        headers={"Authorization": f"Token {api_token_create(user=acme_tech)}"})
    session = tech.post("/sessions", json={"title": "VPN drops", "problem": "Every 10 minutes"}).json()
    assert tech.post(f"/sessions/{session['id']}/escalate", json={"reason": "Stuck"}).status_code == 201
    after = _scrape(metered_server)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("escalate_latency_seconds_count", via="api", intent="escalate") == 1
    assert moved("escalate_latency_seconds_sum", via="api", intent="escalate") > 0
    # Tasks run eagerly in this server: the engineer's email went out after commit.
    assert moved("deliveries_total", kind="email", outcome="delivered") >= 1
    assert moved("assessment_duration_seconds_count", outcome="ready") == 1


def test_websocket_connections_count_authenticated_sockets_while_they_are_open(metered_server, acme_senior):
    assert value(_scrape(metered_server), "websocket_connections") == 0
    ws = helpers.ws_connect(metered_server, token=api_token_create(user=acme_senior))
    assert helpers.recv_json(ws) == {"type": "ready"}
    anonymous = helpers.ws_connect(metered_server, token="not-a-token")  # closed with 4401: not counted
    assert value(_scrape(metered_server), "websocket_connections") == 1
    ws.close()
    anonymous.close()
    deadline = time.monotonic() + 10
    while value(_scrape(metered_server), "websocket_connections") != 0:  # the close is asynchronous
        assert time.monotonic() < deadline, "websocket_connections did not return to 0"
        time.sleep(0.1)


# --- Several processes ---------------------------------------------------------------------------

PROCESS = textwrap.dedent("""
    import os, sys
    from resolutionflow import metrics
    metrics.DELIVERIES.labels(kind="email", outcome="delivered").inc()
    metrics.WEBSOCKET_CONNECTIONS.inc()
    if sys.argv[1] == "celery-child":  # a prefork child: no atexit, the signal says it is gone
        from celery.signals import worker_process_shutdown
        worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
        os._exit(0)
    if sys.argv[1] == "alive":
        print("ready", flush=True)
        sys.stdin.readline()
""")


@pytest.mark.django_db
def test_multiprocess_mode_sums_every_process_and_forgets_dead_ones(tmp_path, monkeypatch):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))

    def run(role):
        return subprocess.Popen([sys.executable, "-c", PROCESS, role], cwd=helpers.ROOT, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    alive = run("alive")
    assert alive.stdout.readline().strip() == "ready"
    for role in ("exits", "celery-child"):
        assert run(role).wait(30) == 0
    try:
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        found = samples(metrics.render()[0].decode())
    finally:
        alive.communicate("\n", timeout=30)
    assert value(found, "deliveries_total", kind="email", outcome="delivered") == 3  # summed
    assert value(found, "websocket_connections") == 1  # only the live process's sockets
    assert ("outbox_pending_deliveries", frozenset({("kind", "email")})) in found
