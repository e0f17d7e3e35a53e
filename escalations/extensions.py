"""Extension points the escalation domain offers the apps built on it. Those apps (analytics)
fill them in their AppConfig.ready; `escalations` never imports them (docs/architecture.md,
enforced by tests/test_architecture.py).
"""

from __future__ import annotations

# The queue page's metric card: one callable `(*, account) -> dict` (analytics' queue_summary:
# {"today": {...}, "period": {...}}). Empty: the card shows no figures.
QUEUE_SUMMARY: list = []

# `manage.py seed_demo`: callables `(*, accounts, people, now)` run inside the command's
# transaction after the escalation history is seeded, each idempotent. `accounts` maps a slug to
# its Account, `people` a slug to {handle: User} (escalations.demo_data).
DEMO_SEEDERS: list = []


def queue_summary(*, account) -> dict | None:
    provider = QUEUE_SUMMARY[-1] if QUEUE_SUMMARY else None
    return provider(account=account) if provider else None


def register(hooks: list, handler) -> None:
    """Add `handler` once (AppConfig.ready can run more than once: tests, autoreload)."""
    if handler not in hooks:
        hooks.append(handler)
