"""Prometheus metrics: every metric of the project is defined here (docs/operations.md says what
each means and what to alert on), and `/metrics` renders them.

One process (`make run`, tests): the default registry. Several processes (web replicas,
Celery workers and their prefork children): set `PROMETHEUS_MULTIPROC_DIR` to a directory shared
by every process of one host, emptied before they start. prometheus_client then keeps each
process's values in files there, and a scrape of any web process sums them
(`MultiProcessCollector`). A process marks itself dead when it exits (atexit; Celery's prefork
children on `worker_process_shutdown`), so its `websocket_connections` stop counting.

The outbox gauges are not kept by any process: `OutboxCollector` asks the database at scrape
time (one grouped query).
"""

from __future__ import annotations

import atexit
import hmac
import logging
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)
delivery_logger = logging.getLogger("resolutionflow.delivery")

# `*_created` series double the output and mean nothing across processes.
disable_created_metrics()

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):  # the metrics below write their files there from the start
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
ASSESSMENT_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

ESCALATE_LATENCY = Histogram(
    "escalate_latency_seconds",
    "Time to answer an escalate/handoff request (API or web form), in seconds.",
    ["via", "intent"], buckets=LATENCY_BUCKETS,
)
WEBSOCKET_CONNECTIONS = Gauge(
    "websocket_connections",
    "Authenticated websocket connections open now (summed over live web processes).",
    multiprocess_mode="livesum",
)
FRAMES_SENT = Counter(
    "frames_sent_total", "Realtime frames handed to the channel layer, by frame type.", ["type"],
)
FRAMES_FAILED = Counter(
    "frames_failed_total", "Realtime frames the channel layer refused (group_send raised), by frame type.", ["type"],
)
DELIVERIES = Counter(
    "deliveries_total",
    "Outbox delivery attempts by kind and outcome (delivered, pending = will retry, failed, dead).",
    ["kind", "outcome"],
)
THROTTLE_CACHE_ERRORS = Counter(
    "throttle_cache_errors_total",
    "API throttle cache calls that failed (Redis unreachable): the request went through unthrottled.",
    ["operation"],
)
GC_COLLECTION = Histogram(
    "gc_collection_seconds",
    "Time a web process stood still for a garbage collection, by generation (every socket of it waits).",
    ["generation"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
ASSESSMENT_DURATION = Histogram(
    "assessment_duration_seconds",
    "Time an AI assessment took, by outcome (ready, timed_out, failed).",
    ["outcome"], buckets=ASSESSMENT_BUCKETS,
)


# --- Instrumentation helpers ------------------------------------------------------------------

def escalate_timer(via: str, intent):
    """Decorator or context manager: observe `escalate_latency_seconds{via, intent}`."""
    return ESCALATE_LATENCY.labels(via=via, intent=str(intent)).time()


def websocket_opened(consumer) -> None:
    consumer._metrics_counted = True
    WEBSOCKET_CONNECTIONS.inc()


def websocket_closed(consumer) -> None:
    if getattr(consumer, "_metrics_counted", False):
        consumer._metrics_counted = False
        WEBSOCKET_CONNECTIONS.dec()


def delivery_attempted(delivery, outcome: str) -> None:
    """One delivery attempt ended: count it and write its log line."""
    outcome = str(outcome)
    DELIVERIES.labels(kind=delivery.kind, outcome=outcome).inc()
    delivery_logger.info(
        "delivery %s (%s) attempt %s: %s", delivery.pk, delivery.kind, delivery.attempts, outcome,
        extra={"delivery_id": str(delivery.pk), "kind": delivery.kind, "outcome": outcome,
               "attempt": delivery.attempts,
               "handoff_id": str(delivery.handoff_id) if delivery.handoff_id else None,
               "account_id": str(delivery.account_id)},
    )


# --- The outbox, at scrape time ----------------------------------------------------------------

class OutboxCollector:
    """`outbox_pending_deliveries{kind}` and `outbox_oldest_pending_age_seconds{kind}`: pending
    rows of the outbox (waiting for their first attempt or a retry) and how long ago the oldest
    of them was created. Every kind is reported, 0 when it has none."""

    def collect(self):
        from django.db.models import Count, Min
        from django.utils import timezone

        from notifications.models import Delivery, DeliveryKind, DeliveryStatus

        try:
            rows = {
                row["kind"]: row
                for row in Delivery.objects.filter(status=DeliveryStatus.PENDING)
                .order_by().values("kind").annotate(pending=Count("pk"), oldest=Min("created_at"))
            }
        except Exception:  # a scrape must not fail with the database: the gauges go missing instead
            logger.warning("outbox metrics: the database query failed", exc_info=True)
            return
        now = timezone.now()
        pending = GaugeMetricFamily("outbox_pending_deliveries", "Outbox deliveries pending (first attempt or retry).",
                                    labels=["kind"])
        age = GaugeMetricFamily("outbox_oldest_pending_age_seconds",
                                "Age of the oldest pending outbox delivery (since it was created), in seconds.",
                                labels=["kind"])
        for kind in DeliveryKind.values:
            row = rows.get(kind)
            pending.add_metric([kind], row["pending"] if row else 0)
            age.add_metric([kind], max(0.0, (now - row["oldest"]).total_seconds()) if row else 0.0)
        yield pending
        yield age


class _Registered:
    """A registry's collectors, re-exposed in the per-scrape registry."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def multiproc_dir() -> str:
    return os.environ.get(MULTIPROC_ENV, "")


def render() -> tuple[bytes, str]:
    """The exposition of every metric (all processes of the host in multi-process mode)."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiproc_dir()
    if path:
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        registry.register(_Registered(REGISTRY))
    registry.register(OutboxCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_view(request):
    """`GET /metrics`: 404 unless METRICS_TOKEN is set; 401 without `Authorization: Bearer <it>`."""
    from django.conf import settings
    from django.http import Http404, HttpResponse

    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("Metrics are not enabled.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = render()
    return HttpResponse(body, content_type=content_type)


# --- Multi-process bookkeeping -----------------------------------------------------------------

def mark_dead(pid: int | None = None) -> None:
    path = multiproc_dir()
    if path:
        multiprocess.mark_process_dead(pid or os.getpid(), path)


def _setup_multiprocess() -> None:
    path = multiproc_dir()
    if not path:
        return
    atexit.register(mark_dead)
    # Celery's prefork children leave with os._exit (no atexit): they say so on this signal.
    from celery.signals import worker_process_shutdown

    worker_process_shutdown.connect(lambda pid=None, **kw: mark_dead(pid), weak=False)


_setup_multiprocess()
