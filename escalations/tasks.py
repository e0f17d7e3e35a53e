"""Celery tasks of the escalation flow (queue `assessment`, see CELERY_TASK_ROUTES).

Thin and idempotent: they take ids, re-fetch, and return quietly when there is nothing to do.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from escalations import events
from escalations.assessment.service import handoff_assess
from escalations.models import AssessmentStatus, Handoff

logger = logging.getLogger(__name__)

# A pending assessment older than this was probably never queued (broker down) or lost.
REQUEUE_AFTER = timedelta(minutes=2)
# ... and one still pending after this is given up: the screens stop waiting for it.
GIVE_UP_AFTER = timedelta(hours=1)
REQUEUE_BATCH = 200
# Do not queue the same handoff again before this (a worker backlog is not a lost message).
REQUEUE_COOLDOWN_SECONDS = 300


@shared_task(name="escalations.tasks.assess_handoff", acks_late=True, ignore_result=True)
def assess_handoff(handoff_id: str) -> str | None:
    """Assess one handoff (does nothing unless its assessment is still pending)."""
    return handoff_assess(handoff_id=handoff_id)


def enqueue_assessment(handoff_id: str) -> bool:
    """Publish the assessment of one handoff. A broker that is down or unreachable is logged, not
    raised: the handoff stays pending and the beat re-queue below finds it again."""
    try:
        assess_handoff.delay(handoff_id)
    except Exception:
        logger.exception("could not queue the assessment of handoff %s; it stays pending", handoff_id)
        return False
    return True


@shared_task(name="escalations.tasks.copilot_answer", acks_late=True, ignore_result=True,
             soft_time_limit=120, time_limit=150)
def copilot_answer(message_id: str) -> str | None:
    """Answer one message sent to the copilot (escalations.copilot)."""
    from escalations import copilot

    return copilot.answer(question_id=message_id)


def enqueue_copilot_answer(message_id: str) -> bool:
    """Publish the copilot's answer to one message; a broker that is down is logged, not raised
    (the message stands; the person can ask again)."""
    try:
        copilot_answer.delay(message_id)
    except Exception:
        logger.exception("could not queue the copilot's answer to message %s", message_id)
        return False
    return True


@shared_task(name="escalations.tasks.requeue_stale_assessments", acks_late=True, ignore_result=True)
def requeue_stale_assessments() -> dict:
    """Beat: queue again the assessments stuck in `pending`; time out the ones pending too long."""
    now = timezone.now()
    expired = 0
    for handoff in Handoff.objects.filter(assessment_status=AssessmentStatus.PENDING,
                                          created_at__lt=now - GIVE_UP_AFTER).order_by("created_at")[:REQUEUE_BATCH]:
        if Handoff.objects.filter(pk=handoff.pk, assessment_status=AssessmentStatus.PENDING).update(
            assessment_status=AssessmentStatus.TIMED_OUT
        ):
            handoff.assessment_status = AssessmentStatus.TIMED_OUT
            events.handoff_updated(handoff)
            expired += 1
    requeued = 0
    stale = (
        Handoff.objects.filter(assessment_status=AssessmentStatus.PENDING, created_at__lt=now - REQUEUE_AFTER,
                               created_at__gte=now - GIVE_UP_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:REQUEUE_BATCH]
    )
    for pk in stale:
        key = f"assessment-requeued:{pk}"
        if not cache.add(key, 1, REQUEUE_COOLDOWN_SECONDS):
            continue
        if not enqueue_assessment(str(pk)):
            cache.delete(key)
            break  # the broker is still down: try again at the next beat
        requeued += 1
    if expired or requeued:
        logger.info("stale assessments: %d requeued, %d timed out", requeued, expired)
    return {"requeued": requeued, "timed_out": expired}
