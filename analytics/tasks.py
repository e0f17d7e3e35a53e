"""Analytics' background work: the periodic refresh (beat: resolutionflow.settings.CELERY_BEAT_SCHEDULE)
and the refresh after a claim or a resolution."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from analytics import rollups

# Days refreshed per run (a few ms each): a backlog (a bulk edit) drains over a few runs.
REFRESH_BATCH = 500


@shared_task
def refresh_stale_days() -> int:
    """Refresh the per-day rollups that changed since their last refresh, before today (writes not
    followed by a refresh of their own: first actions, admin edits, yesterday's last changes).
    Only speed depends on it: a stale day is computed live."""
    return rollups.refresh_stale(limit=REFRESH_BATCH)


@shared_task(ignore_result=True)
def refresh_account_stale_days(account_id) -> int:
    """After a claim or a resolution commits (`refresh_after_write` below): the newest
    stale day of the account before today."""
    return rollups.refresh_stale(account_id=account_id, limit=rollups.REFRESH_AFTER_WRITE)


def refresh_after_write(obj) -> None:
    """`escalations.hook_registry` handler (a claimed handoff or a resolved session): once the write
    commits, a worker refreshes the newest stale day of its account before today (the claimed or
    resolved escalation's day when it is not today's, else one left by earlier writes). A task, not
    the request: a refresh reads a whole day of handoffs, and the account's changes since its last
    refresh. `robust`: a broker failure is logged; the write stands and the figures stay exact
    (the days stay stale, computed live, until beat's `refresh_stale_days`)."""
    if not rollups.enabled():
        return
    account_id = obj.account_id
    transaction.on_commit(lambda: refresh_account_stale_days.delay(str(account_id)), robust=True)
