"""Queue the assessment of every new handoff once its transaction commits.

Registered in `hook_registry.ON_HANDOFF_CREATED` by `EscalationsConfig.ready`. A broker that is
down must not fail the escalation (it has committed already): the error is logged and the
handoff stays `pending`, which `escalations.tasks.requeue_stale_assessments` (beat) picks up.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_assessment(handoff_id: str) -> bool:
    from escalations.tasks import assess_handoff

    try:
        assess_handoff.delay(handoff_id)
    except Exception:  # broker down or unreachable: the beat re-queue will find it again
        logger.exception("could not queue the assessment of handoff %s; it stays pending", handoff_id)
        return False
    return True


def on_handoff_created(handoff) -> None:
    handoff_id = str(handoff.pk)
    transaction.on_commit(lambda: enqueue_assessment(handoff_id))
