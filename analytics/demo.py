"""Analytics' share of `manage.py seed_demo`: Acme's manual baseline samples, and the per-day
rollups of the seeded history (the same figures, merged from the rollups).

Registered in `escalations.extensions.DEMO_SEEDERS` by AnalyticsConfig.ready; seed_demo (in
`escalations`, which does not import analytics) runs it in its transaction. Idempotent: an
account that has samples is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from analytics import rollups
from analytics.models import BaselineSample

# Stopwatch timings of escalations done the old way (the "tell me what you tried" call), in
# seconds, as Acme's admin recorded them before the pilot. Enough (>= 5) for a savings figure.
BASELINE_SECONDS = (540, 425, 610, 380, 720, 495, 560)


def seed_baseline_samples(*, accounts: dict, people: dict, now) -> None:
    account = accounts.get("acme")
    if account is None or BaselineSample.objects.filter(account=account).exists():
        return
    admin = people["acme"]["admin"]
    BaselineSample.objects.bulk_create(
        BaselineSample(account=account, seconds=seconds, measured_on=(now - timedelta(days=70 - 3 * i)).date(),
                       measured_by=admin, recorded_by=admin,
                       note="Verbal escalation call timed before the pilot")
        for i, seconds in enumerate(BASELINE_SECONDS)
    )


def build_demo_rollups(*, accounts: dict, people: dict, now) -> None:
    """Build the rollups of the seeded accounts' days before today (the triggers left them stale)."""
    for account in accounts.values():
        rollups.refresh_stale(account_id=account.pk)
