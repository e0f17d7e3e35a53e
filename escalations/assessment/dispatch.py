"""Queue the assessment of every new handoff, from the worker that fans its escalation out.

Registered in `hook_registry.ON_EVENT_NOTIFIED` by `EscalationsConfig.ready`: the fan-out worker
calls it once the escalation's bells are out, so the escalate request publishes one task (the
fan-out) instead of two, and the bells never wait behind the assessment in embedded mode, where
tasks run inline. The publishing itself (`escalations.tasks.enqueue_assessment`) lives beside the
task: a broker that is down is logged, not raised, and the handoff stays `pending`, which
`escalations.tasks.requeue_stale_assessments` (beat) picks up — as it does a handoff whose fan-out
worker died between the bells and this call.
"""

from __future__ import annotations

from escalations.models import EventType
from escalations.tasks import enqueue_assessment


def on_event_notified(event) -> None:
    if event.type == EventType.HANDOFF_CREATED and event.handoff_id is not None:
        enqueue_assessment(str(event.handoff_id))
