"""Escalation metrics, computed by the database (selectors: reads only).

The in-product metric is measured on `escalations.Handoff`:
- time to claim = `claimed_at - created_at`;
- time to first action = `first_action_at - claimed_at`. `first_action_at` is written only for the
  claimer's own first action after the claim (`escalations.services.record_first_action`).

A *self-claim* (the requester claims their own escalation: engineers may escalate their own sessions)
is a withdrawal, not a pickup: nobody new had to learn the context. It counts as an escalation but
not as a claim, and gives no timing sample. See docs/metrics.md for every edge-case decision.

Aggregates and percentiles are SQL (`percentile_cont`, see `analytics.sql`); no handoff row is ever
loaded into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from analytics.sql import DurationSeconds, Percentile
from escalations.models import Handoff

PERIODS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PERIOD = "30d"
# Explicit start/end ranges are bounded so one request cannot scan years of history.
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Window:
    """A range of whole UTC days. `start` is inclusive; `end` is exclusive (or "now" for the
    rolling presets, whose last day is today)."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    period: str  # "7d" | "30d" | "90d" | "custom"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def window_for_period(period: str = DEFAULT_PERIOD, *, now: datetime | None = None) -> Window:
    """`7d`: today and the six days before it (UTC), up to `now`."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=PERIODS[period] - 1)
    return Window(start=_midnight(first), end=now, first_day=first, last_day=today, period=period)


def window_for_dates(first_day: date, last_day: date) -> Window:
    """Both days inclusive."""
    if last_day < first_day:
        raise ValueError("end is before start")
    return Window(start=_midnight(first_day), end=_midnight(last_day + timedelta(days=1)),
                  first_day=first_day, last_day=last_day, period="custom")


# --- Shared expressions ------------------------------------------------------------------------

def time_to_claim():
    return DurationSeconds("claimed_at", "created_at")


def time_to_first_action():
    return DurationSeconds("first_action_at", "claimed_at")


# Claimed by someone other than the requester (a self-claim is a withdrawal, not a pickup).
COUNTED_CLAIM = Q(claimed_at__isnull=False, claimed_by__isnull=False) & ~Q(claimed_by=F("requested_by"))
# The claimer's own first action, after the claim.
HAS_FIRST_ACTION = COUNTED_CLAIM & Q(first_action_at__isnull=False, first_action_at__gte=F("claimed_at"))


def _round(value, digits):
    return None if value is None else round(float(value), digits)


# --- Queue page metric card --------------------------------------------------------------------

def queue_summary(*, account, now: datetime | None = None) -> dict:
    """The escalation queue's metric card: claims made today (UTC) and in the last 7 days
    (the `7d` window: today and the six days before).

    Cohort by *claim time* (what a queue watcher means by "claimed today"), unlike the analytics
    endpoint, which follows escalations created in its period. Self-claims are left out.
    One query; served by the `handoff_account_claimed_idx` partial index.

    {"today": {"median_time_to_claim_seconds", "median_time_to_first_action_seconds", "claimed"},
     "period": {... same for the last 7 days ...}}
    """
    now = now or timezone.now()
    week = window_for_period("7d", now=now)
    today = Q(claimed_at__gte=_midnight(week.last_day))
    acted = HAS_FIRST_ACTION & Q(first_action_at__lte=now)
    row = (
        Handoff.objects.for_account(account)
        .filter(claimed_at__gte=week.start, claimed_at__lte=now)
        .aggregate(
            today_claimed=Count("pk", filter=COUNTED_CLAIM & today),
            today_claim=Percentile(time_to_claim(), 0.5, filter=COUNTED_CLAIM & today),
            today_action=Percentile(time_to_first_action(), 0.5, filter=acted & today),
            week_claimed=Count("pk", filter=COUNTED_CLAIM),
            week_claim=Percentile(time_to_claim(), 0.5, filter=COUNTED_CLAIM),
            week_action=Percentile(time_to_first_action(), 0.5, filter=acted),
        )
    )
    return {
        scope: {
            "median_time_to_claim_seconds": _round(row[f"{prefix}_claim"], 3),
            "median_time_to_first_action_seconds": _round(row[f"{prefix}_action"], 3),
            "claimed": row[f"{prefix}_claimed"] or 0,
        }
        for scope, prefix in (("today", "today"), ("period", "week"))
    }
