"""The outbox: every outbound send is a `Delivery` row first, dispatched after commit.

Life of a delivery (docs/notifications.md):

1. `save_and_dispatch(...)` writes the rows (status `pending`) inside the caller's transaction
   and registers one on-commit callback that publishes a Celery task per row. A rollback
   sends nothing. A broker that is down at commit loses nothing either: the publish error is
   logged and the row stays pending, with `dispatched_at` empty.
2. `attempt(id)` (the task body) claims the row with a conditional UPDATE (pending and due →
   sending), sends it through the transport of its kind, and records the outcome: delivered;
   pending again with `next_attempt_at` set by exponential backoff with jitter (or 429's
   Retry-After); failed (permanent error); dead (retry window exhausted). A second run of the
   same task, or a duplicate message, finds nothing to claim and sends nothing.
3. `sweep()` (celery beat, every 30 s) re-publishes due pending rows whose message is missing
   or overdue, and returns rows stuck in `sending` (their worker died) to pending.

Delivery is at-least-once: a worker killed after the remote accepted but before the row was
marked delivered sends again; webhook receivers dedupe on `X-ResolutionFlow-Delivery`.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryKind,
    DeliveryStatus,
    NotificationChannel,
    WebhookEndpoint,
)
from notifications.transports import sender_for
from notifications.transports.base import TransportError
from resolutionflow import metrics
from resolutionflow.outbound import excerpt

logger = logging.getLogger(__name__)

# Backoff: 30 s doubling per attempt, capped at an hour, with ±20 % jitter so deliveries that
# failed together (an endpoint's outage) do not retry in lockstep.
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
JITTER = 0.2
# A failed attempt re-publishes its task with a countdown only for short waits: Redis holds ETA
# messages in the worker and redelivers them after the visibility timeout (1 h), so long waits
# are left to the sweeper, which finds the row when it is due.
COUNTDOWN_MAX_SECONDS = 300
# A published message not consumed this long after it was due counts as lost.
REDISPATCH_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 500


def retry_window(kind: str) -> timedelta:
    """How long a delivery is retried. Webhooks and PSA notes: at least 24 h (API.md): integrators
    and ticket history want them even late. Chat and email pings are about a live escalation:
    after six hours a ping is noise."""
    if kind in (DeliveryKind.WEBHOOK, DeliveryKind.PSA):
        return timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    return timedelta(hours=6)


def backoff_seconds(attempts: int) -> float:
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


# The Celery tasks this module publishes. `notifications.tasks` imports this module (its tasks run
# `attempt`, `dispatch` and `sweep`), so this one does not import it back: NotificationsConfig.ready
# hands the tasks over with `use_tasks`.
_tasks: dict = {}


def use_tasks(*, deliver, deliver_psa, dispatch_batch) -> None:
    _tasks.update(deliver=deliver, deliver_psa=deliver_psa, dispatch_batch=dispatch_batch)


def task_for(kind: str):
    return _tasks["deliver_psa"] if kind == DeliveryKind.PSA else _tasks["deliver"]


# --- Create and dispatch ----------------------------------------------------------------------

def dumps(payload: dict) -> str:
    """The one serialisation of a stored body (compact, stable key order)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def new(*, account_id, kind: str, event_type: str, payload: dict, target: str = "", handoff=None,
        channel=None, endpoint=None, psa_connection=None, recipient=None, dedupe_key: str = "") -> Delivery:
    """An unsaved pending delivery; `save_and_dispatch` writes a batch of them. `dedupe_key`
    names the target within its event (one delivery per event and target)."""
    return Delivery(
        account_id=account_id, kind=kind, event_type=event_type, body=dumps(payload), target=target[:300],
        handoff=handoff, channel=channel, endpoint=endpoint, psa_connection=psa_connection, recipient=recipient,
        dedupe_key=dedupe_key,
    )


def save_and_dispatch(deliveries: list[Delivery], *, batch: bool = True) -> list[Delivery]:
    """Write the deliveries in the current transaction (one INSERT) and publish their tasks once
    it commits: one callback per batch, so a broker outage costs one failed connection, not
    one per row. Nothing is published on rollback. `batch=False` (a worker, which may spend
    time per row) publishes each row's task directly instead of one batch message."""
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries)
    ids = [(d.pk, d.kind) for d in deliveries]
    if batch:
        transaction.on_commit(lambda: dispatch_from_request(ids), robust=True)
    else:
        transaction.on_commit(lambda: dispatch(ids), robust=True)
    return deliveries


# Up to this many deliveries are published one by one after commit; more (an escalation with
# many email recipients) go out as one batch message that a worker fans out, so the request
# that committed them pays for one publish, not fifty.
DIRECT_PUBLISH_MAX = 3


def dispatch_from_request(ids: list[tuple]) -> int:
    if settings.CELERY_TASK_ALWAYS_EAGER or len(ids) <= DIRECT_PUBLISH_MAX:
        return dispatch(ids)
    try:
        _tasks["dispatch_batch"].apply_async(([[str(pk), kind] for pk, kind in ids],))
    except Exception:  # the broker is down: every row stays pending, the sweeper publishes them
        logger.warning("Could not publish a batch of %d deliveries (broker unavailable?); the sweeper will retry.",
                       len(ids), exc_info=True)
        return 0
    # Their message is on its way: the sweeper re-publishes only if they are still pending
    # REDISPATCH_AFTER past due (the batch was lost).
    Delivery.objects.filter(pk__in=[pk for pk, _ in ids], status=DeliveryStatus.PENDING).update(
        dispatched_at=timezone.now())
    return len(ids)


def dispatch(ids: list[tuple], *, countdown: float | None = None) -> int:
    """Publish one task per (id, kind). Stops at the first publish error (the broker is down):
    the rest stay pending for the sweeper. Returns how many were published."""
    published = []
    for pk, kind in ids:
        try:
            task_for(kind).apply_async((str(pk),), countdown=countdown)
        except Exception:  # kombu raises OperationalError, redis ConnectionError, socket errors...
            logger.warning("Could not publish delivery %s (broker unavailable?); the sweeper will retry it.",
                           pk, exc_info=True)
            break
        published.append(pk)
    if published and not settings.CELERY_TASK_ALWAYS_EAGER:  # eager: the attempt already ran
        due = timezone.now() + timedelta(seconds=countdown or 0)
        Delivery.objects.filter(pk__in=published, status=DeliveryStatus.PENDING).update(dispatched_at=due)
    return len(published)


# --- One attempt (the task body) ---------------------------------------------------------------

def attempt(delivery_id) -> str | None:
    """Claim, send and record one delivery. Returns the resulting status, or None when there was
    nothing to claim (already delivered, claimed by another worker, not due yet, gone)."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, locked_at=now, attempts=F("attempts") + 1, updated_at=now)
    if claimed != 1:
        return None
    delivery = Delivery.objects.select_related("channel", "endpoint", "psa_connection").get(pk=delivery_id)
    started, clock = timezone.now(), time.monotonic()
    try:
        refusal = _not_sendable(delivery)
        if refusal:
            raise TransportError(refusal, retryable=False)
        result = sender_for(delivery.kind)(delivery)
    except TransportError as exc:
        return _record_failure(delivery, exc, started=started, clock=clock)
    except SoftTimeLimitExceeded:
        return _record_failure(delivery, TransportError("Soft time limit exceeded.", retryable=True),
                               started=started, clock=clock)
    except Exception as exc:  # a bug or an unexpected library error: record it, retry later
        logger.exception("Delivery %s raised", delivery_id)
        return _record_failure(delivery, TransportError(f"{exc.__class__.__name__}: {exc}"[:500], retryable=True),
                               started=started, clock=clock)
    return _record_success(delivery, result, started=started, clock=clock)


def _not_sendable(delivery: Delivery) -> str:
    target = {
        DeliveryKind.SLACK: delivery.channel, DeliveryKind.TEAMS: delivery.channel,
        DeliveryKind.WEBHOOK: delivery.endpoint, DeliveryKind.PSA: delivery.psa_connection,
    }.get(delivery.kind, True)
    if target is None:
        return "The target was removed."
    if target is not True and not target.enabled:
        return "The target is disabled."
    return ""


def _log_attempt(delivery, *, started, clock, succeeded, status_code=None, error=""):
    DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, started_at=started,
        duration_ms=int((time.monotonic() - clock) * 1000), succeeded=succeeded,
        status_code=status_code, error=error[:2000],
    )


def _still_ours(delivery):
    """The row as this attempt claimed it (the sweeper may have taken back a stuck row)."""
    return Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, locked_at=delivery.locked_at)


def _record_success(delivery, result, *, started, clock) -> str:
    status_code = getattr(result, "status_code", None)
    external_id = result if isinstance(result, str) else ""
    # The answer's first characters (an HTTP answer's body: Slack's "ok", a PSA ticket), printable.
    answer = excerpt(result.content) if isinstance(getattr(result, "content", None), bytes) else ""
    with transaction.atomic():
        _log_attempt(delivery, started=started, clock=clock, succeeded=True, status_code=status_code)
        _still_ours(delivery).update(
            status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), locked_at=None, last_error="",
            last_status_code=status_code, last_response=answer, external_id=external_id[:100],
            updated_at=timezone.now(),
        )
    metrics.delivery_attempted(delivery, DeliveryStatus.DELIVERED)
    return DeliveryStatus.DELIVERED


def _record_failure(delivery, exc: TransportError, *, started, clock) -> str:
    now = timezone.now()
    if not exc.retryable:
        status, next_at = DeliveryStatus.FAILED, now
    else:
        delay = exc.retry_after if exc.retry_after is not None else backoff_seconds(delivery.attempts)
        delay = min(max(delay, 1.0), BACKOFF_CAP_SECONDS)
        next_at = now + timedelta(seconds=delay)
        status = DeliveryStatus.DEAD if next_at > delivery.created_at + retry_window(delivery.kind) \
            else DeliveryStatus.PENDING
    with transaction.atomic():
        _log_attempt(delivery, started=started, clock=clock, succeeded=False, status_code=exc.status_code,
                     error=str(exc))
        _still_ours(delivery).update(
            status=status, next_attempt_at=next_at, locked_at=None, last_error=str(exc)[:2000],
            last_status_code=exc.status_code, last_response="", dispatched_at=None, updated_at=now,
        )
        if exc.status_code == 410:
            _disable_gone_target(delivery)
    logger.info("Delivery %s attempt %s failed (%s): %s", delivery.pk, delivery.attempts, status, exc)
    metrics.delivery_attempted(delivery, status)
    if status == DeliveryStatus.PENDING and not settings.CELERY_TASK_ALWAYS_EAGER:
        delay = (next_at - now).total_seconds()
        if delay <= COUNTDOWN_MAX_SECONDS:
            # Eager mode would run the retry immediately and recursively: there the sweeper
            # (`manage.py notifications_tick`) picks the row up when it is due.
            dispatch([(delivery.pk, delivery.kind)], countdown=delay)
    return status


def _disable_gone_target(delivery) -> None:
    """410 Gone: the endpoint or channel no longer exists; stop sending to it (API.md)."""
    now = timezone.now()
    reason = f"Answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC."
    if delivery.endpoint_id:
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, enabled=True).update(
            enabled=False, disabled_at=now, disabled_reason=reason)
    if delivery.channel_id:
        NotificationChannel.objects.filter(pk=delivery.channel_id, enabled=True).update(
            enabled=False, disabled_reason=reason)


# --- The sweeper and manual retries ----------------------------------------------------------

def sweep(*, now=None) -> dict:
    """Return stuck `sending` rows to pending, then publish every due pending row whose task
    message is missing or overdue. Safe to run concurrently (rows are locked SKIP LOCKED)."""
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.DELIVERY_STUCK_AFTER_SECONDS)
    requeued_stuck = Delivery.objects.filter(status=DeliveryStatus.SENDING, locked_at__lt=stuck_before).update(
        status=DeliveryStatus.PENDING, locked_at=None, next_attempt_at=now, dispatched_at=None,
        last_error="The worker sending this was lost (timed out or killed); retrying.", updated_at=now,
    )
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
            .order_by("next_attempt_at")
            .values_list("pk", "kind")[:SWEEP_BATCH]
        )
    published = dispatch(due) if due else 0
    return {"stuck": requeued_stuck, "due": len(due), "published": published}


def requeue(queryset, *, statuses) -> int:
    """Send these deliveries again now: those of them in one of `statuses` go back to pending, due
    now, and their tasks are published after commit. The status is the UPDATE's condition, so a
    row that moved on meanwhile (or that a concurrent requeue took) is left alone. Returns how many
    were re-queued. One more try: a dead delivery that fails again is dead again (its window is
    over); a failed one that fails retryably is retried within its window."""
    with transaction.atomic():
        rows = list(queryset.select_for_update(of=("self",)).filter(status__in=statuses).values_list("pk", "kind"))
        if not rows:
            return 0
        now = timezone.now()
        Delivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, dispatched_at=None, updated_at=now,
        )
        transaction.on_commit(lambda: dispatch(rows), robust=True)
    return len(rows)


def retry_now(queryset) -> int:
    """Admin action: send these deliveries again now (pending, failed or dead ones)."""
    return requeue(queryset, statuses=[DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.DEAD])
