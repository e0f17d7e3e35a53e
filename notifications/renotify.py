"""The escalation policy: an escalation still unclaimed `Account.escalation_renotify_minutes`
after it was raised re-notifies the account's admins, once (the `handoff.waiting` event).

Run every minute by celery beat (`notifications.tasks.renotify_waiting_escalations`). "Once" is
enforced in the database: `admins_renotified_at` is set by a conditional UPDATE, so two beat
runs (or two beat processes by mistake) notify once.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from escalations import hooks
from escalations.models import Handoff


def _due(now):
    """Unclaimed, not yet renotified, older than their account's delay. One condition per distinct
    delay (a handful) instead of `minutes * interval` arithmetic, which SQLite cannot do."""
    delays = Account.objects.values_list("escalation_renotify_minutes", flat=True).distinct()
    condition = Q(pk__in=[])
    for minutes in delays:
        condition |= Q(account__escalation_renotify_minutes=minutes, created_at__lte=now - timedelta(minutes=minutes))
    return (Handoff.objects.unclaimed()
            .filter(admins_renotified_at__isnull=True)
            .filter(condition)
            .order_by("created_at"))


def renotify_waiting_escalations(*, now=None, limit: int = 200) -> int:
    """Record a `handoff.waiting` event for each overdue unclaimed escalation; its fan-out (a
    worker: notifications.fanout) writes the admins' bells and emails. Constant work per
    escalation here, whatever the number of admins. Returns how many were handled."""
    now = now or timezone.now()
    handled = 0
    for handoff_id in list(_due(now).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            won = Handoff.objects.unclaimed().filter(pk=handoff_id, admins_renotified_at__isnull=True).update(
                admins_renotified_at=now)
            if not won:
                continue
            hooks.handoff_waiting(Handoff.objects.get(pk=handoff_id))
            handled += 1
    return handled
