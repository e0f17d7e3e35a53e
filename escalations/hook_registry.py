"""Which after-commit handlers run for each escalation event (filled by the apps that send)."""

ON_HANDOFF_CREATED: list = []
ON_HANDOFF_CLAIMED: list = []
ON_SESSION_RESOLVED: list = []
