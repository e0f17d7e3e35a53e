"""Analytics' periodic work (beat: resolutionflow.settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from analytics import rollups

# Days refreshed per run (a few ms each): a backlog (a bulk edit) drains over a few runs.
REFRESH_BATCH = 500


@shared_task
def refresh_stale_days() -> int:
    """Refresh the per-day rollups that changed since their last refresh, before today (writes not
    followed by a refresh of their own: first actions, admin edits, yesterday's last changes).
    Only speed depends on it: a stale day is computed live."""
    return rollups.refresh_stale(limit=REFRESH_BATCH)
