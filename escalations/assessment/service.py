"""Assess one handoff, once, and store the result.

`handoff_assess` is what the Celery task runs. It is idempotent: it returns at once unless the
handoff's assessment is still `pending`, holds a PostgreSQL advisory lock on the handoff while it
works (a second worker with the same message skips instead of calling the model twice), and
stores the outcome with a conditional update on `assessment_status = pending`, so whatever
happens the first terminal status wins.

An advisory lock rather than `SELECT ... FOR UPDATE`: the assessment may take seconds (a model
call), and a row lock held that long would make "Start here" (which locks the same row to claim)
wait for the AI.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid

from django.db import connection, transaction

from escalations import events, hooks
from escalations.assessment import assess, get_provider
from escalations.assessment.types import AssessmentContext, AssessmentTimeout
from escalations.models import AssessmentStatus, Handoff
from resolutionflow import metrics

logger = logging.getLogger(__name__)

_local_guard = threading.Lock()
_local_running: set[uuid.UUID] = set()


@contextlib.contextmanager
def _exclusive(handoff_id: uuid.UUID):
    """Hold a session-level advisory lock for this handoff (PostgreSQL); yields whether we got it.
    The lock dies with the connection, so a crashed worker never leaves it behind. SQLite runs
    tasks eagerly, in the web process: a process-local lock does the same there."""
    if connection.vendor != "postgresql":
        with _local_guard:
            acquired = handoff_id not in _local_running
            _local_running.add(handoff_id)
        try:
            yield acquired
        finally:
            if acquired:
                with _local_guard:
                    _local_running.discard(handoff_id)
        return
    key = int.from_bytes(handoff_id.bytes[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def handoff_assess(*, handoff_id) -> str | None:
    """Run the configured provider on the handoff's snapshot and store the outcome. Returns the new
    status, or None when there was nothing (left) to do."""
    try:
        handoff_pk = uuid.UUID(str(handoff_id))
    except ValueError:
        return None
    handoff = Handoff.objects.select_related("session").filter(pk=handoff_pk).first()
    if handoff is None or handoff.assessment_status != AssessmentStatus.PENDING:
        return None
    with _exclusive(handoff.pk) as acquired:
        if not acquired:
            logger.info("assessment of handoff %s is already running elsewhere", handoff.pk)
            return None
        # Another worker may have finished between our read and the lock.
        if not Handoff.objects.filter(pk=handoff.pk, assessment_status=AssessmentStatus.PENDING).exists():
            return None
        provider = get_provider()
        assessment = None
        started = time.monotonic()
        try:
            assessment = assess(AssessmentContext.from_handoff(handoff), provider=provider)
            status = AssessmentStatus.READY
        except AssessmentTimeout as exc:
            logger.warning("assessment of handoff %s timed out (%s): %s", handoff.pk, provider.name, exc)
            status = AssessmentStatus.TIMED_OUT
        except Exception:  # any failure leaves the handoff standing, without an assessment
            logger.exception("assessment of handoff %s failed (%s)", handoff.pk, provider.name)
            status = AssessmentStatus.FAILED
        metrics.ASSESSMENT_DURATION.labels(outcome=status).observe(time.monotonic() - started)
        stored = assessment_store(handoff=handoff, status=status,
                                  assessment=assessment.to_dict() if assessment else None)
        return status if stored else None


@transaction.atomic
def assessment_store(*, handoff: Handoff, status: str, assessment: dict | None) -> bool:
    """Store the outcome if the assessment is still pending; then (on commit) tell the queues
    (`handoff.updated`) and, for a ready assessment, the `handoff_assessed` hooks."""
    updated = Handoff.objects.filter(pk=handoff.pk, assessment_status=AssessmentStatus.PENDING).update(
        assessment=assessment, assessment_status=status
    )
    if not updated:
        return False
    handoff.assessment, handoff.assessment_status = assessment, status
    events.handoff_updated(handoff)
    if status == AssessmentStatus.READY:
        hooks.handoff_assessed(handoff)
    return True
