"""Who is told about escalation events (filled by the apps that act on them, in their
AppConfig.ready; see escalations.hooks). Handlers must not do network I/O themselves: they
register work to run after commit."""

# Each takes the durable `EscalationEvent` row (the notifications app: its fan-out).
ON_EVENT_RECORDED: list = []
# Each takes the object the event is about.
ON_HANDOFF_CREATED: list = []
ON_HANDOFF_CLAIMED: list = []
ON_HANDOFF_ASSESSED: list = []
ON_SESSION_RESOLVED: list = []
