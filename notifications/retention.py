"""Retention: rows that only grow are deleted once nobody needs them (issue #10, item 12).

Run hourly by celery beat (`notifications.tasks.purge_expired_rows`) and by `notifications_tick`
in embedded mode. What goes, each after its own period (settings, docs/operations.md):

- `IdempotencyRecord`: older than IDEMPOTENCY_WINDOW (24 h). A retry with the same key gets the
  first answer for 24 h; after that the key is new anyway.
- `Delivery` rows delivered, failed or dead, with their `DeliveryAttempt`s: created more than
  RETENTION_DELIVERY_DAYS ago. The outbox history admins read; pending and sending rows stay.
- `Notification` rows already read: created more than RETENTION_NOTIFICATION_DAYS ago. Unread
  ones stay until read.
- `EscalationEvent` rows fanned out: created more than RETENTION_EVENT_DAYS ago. Until then a
  rerun of the fan-out finds them done; bells and deliveries that point at one keep their rows
  (the reference becomes null).

Each kind is deleted in batches of RETENTION_BATCH_SIZE primary keys, oldest first, at most
RETENTION_MAX_BATCHES per run: one run does bounded work and holds short locks, and a backlog
(after an outage, or on first deploy) shrinks run by run. Each batch is its own statement, so a
run killed halfway loses nothing. Two runs at once (two beats by mistake) delete the same rows
once between them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from escalations.models import EscalationEvent, IdempotencyRecord
from notifications.models import Delivery, DeliveryStatus, Notification

logger = logging.getLogger(__name__)

FINISHED = [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.DEAD]


def _purge(model, expired, *, batch: int, batches: int) -> int:
    """Delete the rows of `expired` (a queryset of `model`) oldest first, batch by batch."""
    deleted = 0
    for _ in range(batches):
        ids = list(expired.order_by("created_at").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        # Django deletes the cascade (a delivery's attempts) and nulls SET_NULL references
        # (notifications and deliveries pointing at an event) for the same batch.
        model._base_manager.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch:
            break
    return deleted


def expired_querysets(*, now=None) -> dict:
    """What the next run would delete, by kind (also for the tests and an operator's shell)."""
    now = now or timezone.now()
    days = timedelta(days=1)
    return {
        "idempotency_records": (IdempotencyRecord, IdempotencyRecord.objects.filter(
            created_at__lt=now - settings.IDEMPOTENCY_WINDOW)),
        "deliveries": (Delivery, Delivery.objects.filter(
            status__in=FINISHED, created_at__lt=now - settings.RETENTION_DELIVERY_DAYS * days)),
        "notifications": (Notification, Notification.objects.filter(
            read_at__isnull=False, created_at__lt=now - settings.RETENTION_NOTIFICATION_DAYS * days)),
        "events": (EscalationEvent, EscalationEvent.objects.filter(
            fanned_out_at__isnull=False, created_at__lt=now - settings.RETENTION_EVENT_DAYS * days)),
    }


def purge_expired_rows(*, now=None, batch: int | None = None, batches: int | None = None) -> dict:
    """Delete what has outlived its retention period; returns how many rows of each kind went."""
    batch = batch or settings.RETENTION_BATCH_SIZE
    batches = batches or settings.RETENTION_MAX_BATCHES
    counts = {name: _purge(model, expired, batch=batch, batches=batches)
              for name, (model, expired) in expired_querysets(now=now).items()}
    if any(counts.values()):
        logger.info("retention: deleted %s", ", ".join(f"{n} {name}" for name, n in counts.items()))
    return counts
