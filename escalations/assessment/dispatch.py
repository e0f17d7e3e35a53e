"""Queue the assessment of every new handoff once its transaction commits.

Registered in `hook_registry.ON_HANDOFF_CREATED` by `EscalationsConfig.ready`. The publishing
itself (`escalations.tasks.enqueue_assessment`) lives beside the task: a broker that is down must
not fail the escalation (it has committed already), so the error is logged and the handoff stays
`pending`, which `escalations.tasks.requeue_stale_assessments` (beat) picks up.
"""

from __future__ import annotations

from django.db import transaction

from escalations.tasks import enqueue_assessment


def on_handoff_created(handoff) -> None:
    handoff_id = str(handoff.pk)
    transaction.on_commit(lambda: enqueue_assessment(handoff_id))
