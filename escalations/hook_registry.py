"""Which after-commit handlers run for each escalation event (filled by the apps that send,
in their AppConfig.ready). Each handler takes the object and must not do network I/O itself."""

ON_HANDOFF_CREATED: list = []
ON_HANDOFF_CLAIMED: list = []
ON_HANDOFF_ASSESSED: list = []
ON_SESSION_RESOLVED: list = []
