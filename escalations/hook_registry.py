"""Who is told about escalation events (filled by the apps that act on them, in their
AppConfig.ready; see escalations.hooks). The request-side handlers must not do network I/O
themselves: they register work to run after commit."""

# Each takes the durable `EscalationEvent` row (the notifications app: its fan-out).
ON_EVENT_RECORDED: list = []
# Each takes the object the event is about.
ON_HANDOFF_CREATED: list = []
ON_HANDOFF_CLAIMED: list = []
ON_HANDOFF_ASSESSED: list = []
ON_SESSION_RESOLVED: list = []

# Worker side: each takes the event row, in the worker that fans it out, once its bells are out
# (escalations.hooks.event_notified). Work that follows an event without costing the request a
# broker publish of its own: a new handoff's assessment is queued this way.
ON_EVENT_NOTIFIED: list = []
