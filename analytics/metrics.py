"""Escalation metrics, computed by the database (selectors: reads only).

The in-product metric is measured on `escalations.Handoff`:
- time to claim = `claimed_at - created_at`;
- time to first action = `first_action_at - claimed_at`. `first_action_at` is written only for the
  claimer's own first action after the claim (`escalations.services.record_first_action`).

A *self-claim* (the requester claims their own escalation: engineers may escalate their own sessions)
is a withdrawal, not a pickup: nobody new had to learn the context. It counts as an escalation but
not as a claim, and gives no timing sample. See docs/metrics.md for every edge-case decision.

Aggregates and percentiles are SQL (`percentile_cont`, see `analytics.sql`); no handoff row is ever
loaded into Python. On PostgreSQL the endpoint's figures are one statement
(`_postgresql_figures`); the ORM queries below give the same figures everywhere else (the embedded
SQLite mode), and `tests/analytics/test_postgresql_statement.py` holds the two together.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.db.models.sql import Query
from django.utils import timezone

from accounts.models import Account
from accounts.time_zones import account_time_zone_name, zone
from analytics.days import day_end, day_of, day_of_sql, day_start, day_start_sql
from analytics.models import BaselineSample
from analytics.sql import (
    DurationPercentile,
    Percentile,
    duration_percentile,
    merged_duration_percentile,
    sorted_duration_keys,
)
from escalations.models import Handoff

PERIODS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PERIOD = "30d"
# Explicit start/end ranges are bounded so one request cannot scan years of history, and their
# dates lie between EARLIEST_DAY and tomorrow (analytics.api.WindowQuerySerializer).
MAX_RANGE_DAYS = 366
EARLIEST_DAY = date(2000, 1, 1)


@dataclass(frozen=True)
class Window:
    """A range of whole days of the zone `time_zone` (the account's: `analytics.days`). `start` is
    inclusive; `end` is exclusive (or "now" for the rolling presets, whose last day is today)."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    period: str  # "7d" | "30d" | "90d" | "custom"
    time_zone: str = "UTC"  # a validated IANA name (accounts.time_zones)

    @property
    def zone(self) -> tzinfo:
        return zone(self.time_zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]


def window_for_period(period: str = DEFAULT_PERIOD, *, now: datetime | None = None,
                      time_zone: str = "UTC") -> Window:
    """`7d`: today and the six days before it (days of `time_zone`), up to `now`."""
    now = now or timezone.now()
    tz = zone(time_zone)
    today = day_of(now, tz)
    first = today - timedelta(days=PERIODS[period] - 1)
    return Window(start=day_start(first, tz), end=now, first_day=first, last_day=today, period=period,
                  time_zone=time_zone)


def window_for_dates(first_day: date, last_day: date, *, time_zone: str = "UTC") -> Window:
    """Both days inclusive, days of `time_zone`."""
    if last_day < first_day:
        raise ValueError("end is before start")
    tz = zone(time_zone)
    return Window(start=day_start(first_day, tz), end=day_end(last_day, tz),
                  first_day=first_day, last_day=last_day, period="custom", time_zone=time_zone)


# --- Shared expressions ------------------------------------------------------------------------

def time_to_claim(fraction: float, *, filter: Q) -> DurationPercentile:
    return DurationPercentile("claimed_at", "created_at", fraction, filter=filter)


def time_to_first_action(fraction: float, *, filter: Q) -> DurationPercentile:
    return DurationPercentile("first_action_at", "claimed_at", fraction, filter=filter)


# Counts name a column of the covering indexes (never the primary key, which they do not hold):
# COUNT(id) would turn each index-only scan back into a heap read per row.

# Claimed by someone other than the requester (a self-claim is a withdrawal, not a pickup).
COUNTED_CLAIM = Q(claimed_at__isnull=False, claimed_by__isnull=False) & ~Q(claimed_by=F("requested_by"))
# The claimer's own first action, after the claim.
HAS_FIRST_ACTION = COUNTED_CLAIM & Q(first_action_at__isnull=False, first_action_at__gte=F("claimed_at"))


def _round(value, digits):
    return None if value is None else round(float(value), digits)


# --- Queue page metric card --------------------------------------------------------------------

def queue_summary(*, account, now: datetime | None = None) -> dict:
    """The escalation queue's metric card: claims made today and in the last 7 days (the `7d`
    window: today and the six days before), days of the account's time zone.

    Cohort by *claim time* (what a queue watcher means by "claimed today"), unlike the analytics
    endpoint, which follows escalations created in its period. Self-claims are left out.
    One query; served by the `handoff_account_claimed_idx` partial index.

    {"today": {"median_time_to_claim_seconds", "median_time_to_first_action_seconds", "claimed"},
     "period": {... same for the last 7 days ...}}
    """
    now = now or timezone.now()
    week = window_for_period("7d", now=now, time_zone=account_time_zone_name(account))
    today = Q(claimed_at__gte=day_start(week.last_day, week.zone))
    acted = HAS_FIRST_ACTION & Q(first_action_at__lte=now)
    row = (
        Handoff.objects.for_account(account)
        .filter(claimed_at__gte=week.start, claimed_at__lte=now)
        .aggregate(
            today_claimed=Count("claimed_at", filter=COUNTED_CLAIM & today),
            today_claim=time_to_claim(0.5, filter=COUNTED_CLAIM & today),
            today_action=time_to_first_action(0.5, filter=acted & today),
            week_claimed=Count("claimed_at", filter=COUNTED_CLAIM),
            week_claim=time_to_claim(0.5, filter=COUNTED_CLAIM),
            week_action=time_to_first_action(0.5, filter=acted),
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


# --- The analytics endpoint --------------------------------------------------------------------

MIN_BASELINE_SAMPLES = 5
TARGET_HOURS_PER_WEEK = 1.0
REVISIT_AFTER_WEEKS = 8
# The pilot verdict always looks at the trailing 30 days, whatever period a page shows, so the
# account's page and the operator's scorecard never disagree.
VERDICT_PERIOD = "30d"


def _handoff_aggregates() -> dict:
    """Every headline figure of a period but one, as aggregates over the handoffs created in it
    (one index-only scan of `handoff_analytics_created_idx`). Usable with `.aggregate()` (one
    account) and `.values("account").annotate()` (all accounts)."""
    return {
        "escalations": Count("created_at"),
        "claimed": Count("created_at", filter=COUNTED_CLAIM),
        "ttc_median": time_to_claim(0.5, filter=COUNTED_CLAIM),
        "ttc_p90": time_to_claim(0.9, filter=COUNTED_CLAIM),
        "ttfa_samples": Count("created_at", filter=HAS_FIRST_ACTION),
        "ttfa_median": time_to_first_action(0.5, filter=HAS_FIRST_ACTION),
        "ttfa_p90": time_to_first_action(0.9, filter=HAS_FIRST_ACTION),
    }


def _resolved_after_claim(queryset, window: Window, *, account=None):
    """Counted claims of the window whose session was resolved after the claim (by anyone).

    A query of its own rather than a FILTER of the aggregates above: joining every handoff of
    the window to its session costs one random primary-key lookup each (~80 ms for 15k rows).
    Here the session side is cut to the sessions resolved since the window started (a resolution
    after the claim is after the escalation, so after `window.start`), read index-only from
    `session_account_resolved_idx`, and hash-joined (docs/performance.md). The PostgreSQL
    statement (`_postgresql_statement`) runs the same join as one of its subqueries."""
    sessions = Q(session__resolved_at__gte=window.start)
    if account is not None:
        sessions &= Q(session__account=account)
    return (_in_window(queryset, window)
            .filter(COUNTED_CLAIM, sessions, session__resolved_at__gte=F("claimed_at")))


def _baseline_aggregates() -> dict:
    return {"median": Percentile("seconds", 0.5), "samples": Count("pk")}


def _in_window(queryset, window: Window):
    return queryset.filter(created_at__gte=window.start, created_at__lt=window.end)


def baseline_summary(*, account) -> dict:
    """All of the account's manual samples (they describe the old way, not a period)."""
    row = BaselineSample.objects.for_account(account).aggregate(**_baseline_aggregates())
    return {"median_seconds": _round(row["median"], 3), "samples": row["samples"] or 0}


def _figures(raw: dict, baseline: dict, window: Window) -> dict:
    """The response's figures from the raw aggregates. Minutes recovered need both inputs and at
    least MIN_BASELINE_SAMPLES manual samples; they are never derived from the in-product number
    alone."""
    escalations, claimed = raw["escalations"] or 0, raw["claimed"] or 0
    resolved = raw["resolved_after_claim"] or 0
    ttfa_median = _round(raw["ttfa_median"], 3)
    needed = max(0, MIN_BASELINE_SAMPLES - baseline["samples"])
    minutes = hours = None
    if needed == 0 and baseline["median_seconds"] is not None and ttfa_median is not None:
        minutes_exact = (baseline["median_seconds"] - ttfa_median) / 60
        escalations_per_week = escalations * 7 / window.days
        minutes = round(minutes_exact, 2)
        hours = round(minutes_exact * escalations_per_week / 60, 2)
    return {
        "period": {"start": window.start, "end": window.end},
        "escalations": escalations,
        "claimed": claimed,
        "resolved_after_claim": resolved,
        "conversion_rate": round(resolved / claimed, 4) if claimed else None,
        "time_to_claim": {"median_seconds": _round(raw["ttc_median"], 3), "p90_seconds": _round(raw["ttc_p90"], 3),
                          "samples": claimed},
        "time_to_first_action": {"median_seconds": ttfa_median, "p90_seconds": _round(raw["ttfa_p90"], 3),
                                 "samples": raw["ttfa_samples"] or 0},
        "manual_baseline": dict(baseline),
        "minutes_recovered_per_escalation": minutes,
        "baseline_samples_needed": needed,
        "hours_saved_per_week": hours,
    }


def _trend_aggregates() -> dict:
    return {"escalations": Count("created_at"), "median": time_to_first_action(0.5, filter=HAS_FIRST_ACTION)}


def _daily_rows(*, account, window: Window) -> list[dict]:
    """The ORM query of the trend: GROUP BY the day in the window's zone."""
    return list(
        _in_window(Handoff.objects.for_account(account), window)
        .annotate(day=TruncDate("created_at", tzinfo=window.zone))
        .values("day")
        .annotate(**_trend_aggregates())
        .order_by("day")
    )


def _trend(rows, window: Window) -> list[dict]:
    """One point per day of the window; days without escalations are 0 and null."""
    by_day = {row["day"]: row for row in rows}
    return [
        {
            "date": day,
            "escalations": by_day[day]["escalations"] if day in by_day else 0,
            "median_time_to_first_action_seconds": _round(by_day[day]["median"], 3) if day in by_day else None,
        }
        for day in window.dates()
    ]


def daily_trend(*, account, window: Window) -> list[dict]:
    """One row per day of the window (days without escalations included): escalations created
    that day and the median time to first action of those escalations. One query."""
    if account is None:
        return _trend([], window)
    if connection.vendor == "postgresql":
        return _trend(_postgresql_figures(account=account, window=window, parts=("trend",))["trend"], window)
    return _trend(_daily_rows(account=account, window=window), window)


# --- The endpoint's statement on PostgreSQL -----------------------------------------------------

@functools.cache
def _handoff_condition(name: str) -> str:
    """COUNTED_CLAIM or HAS_FIRST_ACTION as SQL on "escalations_handoff", compiled once per process
    from the Q objects themselves, so the statement cannot drift from the ORM queries."""
    query = Query(Handoff)
    sql, params = query.get_compiler(connection=connection).compile(
        query.build_where({"counted_claim": COUNTED_CLAIM, "first_action": HAS_FIRST_ACTION}[name]))
    assert not params, params
    return sql


@functools.cache
def _direct_statement(parts: tuple[str, ...]) -> str:
    """The figures straight from the handoffs, without the rollups (what `_postgresql_statement`
    computes for the days it does not take from `analytics_handoffday`); kept as the reference the
    rollups are tested against (tests/analytics/test_rollups.py) and for `--explain`.

    `parts` of ("period", "baseline", "trend"), each a one-row subquery:

    - period: the headline figures in one index-only scan of `handoff_analytics_created_idx`
      over the window: the sorted duration keys of the counted claims and of the first actions
      (their lengths are the sample counts; percentiles as `analytics.sql.duration_percentile`),
      and the resolved-after-claim count (the window's counted claims hash-joined to the
      sessions resolved since it started, index-only from `session_account_resolved_idx`).
    - baseline: the account's manual samples, as `baseline_summary`.
    - trend: a LATERAL subquery per day of the window (the account's zone), each its own index range, so the
      window is never sorted by day; arrays in day order.

    Parameters: account, start, end, zone, first_day, last_day. docs/performance.md has the EXPLAIN."""
    h = '"escalations_handoff"'
    counted, acted = _handoff_condition("counted_claim"), _handoff_condition("first_action")
    in_window = (f"{h}.\"account_id\" = %(account)s AND {h}.\"created_at\" >= %(start)s"
                 f" AND {h}.\"created_at\" < %(end)s")
    ttc = sorted_duration_keys(f'{h}."claimed_at"', f'{h}."created_at"', counted)
    ttfa = sorted_duration_keys(f'{h}."first_action_at"', f'{h}."claimed_at"', acted)
    subqueries = {
        "period": (
            f"(SELECT COUNT({h}.\"created_at\") AS escalations, {ttc} AS ttc, {ttfa} AS ttfa"
            f" FROM {h} WHERE {in_window}) AS period"
            # As `_resolved_after_claim`: the counted claims of the window hash-joined to the
            # account's sessions resolved since the window started. (LEFT JOINing those sessions
            # to the scan above instead is one scan less but carries every row through the join:
            # slower from ~50,000 rows on.)
            f" CROSS JOIN (SELECT COUNT({h}.\"created_at\") AS n FROM {h}"
            f" INNER JOIN \"escalations_pilotsession\" resolved_session"
            f" ON resolved_session.\"id\" = {h}.\"session_id\""
            f" WHERE {in_window} AND {counted} AND resolved_session.\"account_id\" = %(account)s"
            f" AND resolved_session.\"resolved_at\" >= %(start)s"
            f" AND resolved_session.\"resolved_at\" >= {h}.\"claimed_at\") AS resolved"
        ),
        "baseline": (
            '(SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY "analytics_baselinesample"."seconds") AS median,'
            ' COUNT("analytics_baselinesample"."id") AS samples FROM "analytics_baselinesample"'
            ' WHERE "analytics_baselinesample"."account_id" = %(account)s) AS baseline'
        ),
        "trend": (
            "(SELECT ARRAY_AGG(trend_day.day ORDER BY trend_day.day) AS days,"
            " ARRAY_AGG(one_day.escalations ORDER BY trend_day.day) AS escalations,"
            " ARRAY_AGG(one_day.median ORDER BY trend_day.day) AS medians"
            f" FROM (SELECT d::date AS day, {day_start_sql('d::date')} AS day_start,"
            f" {day_start_sql('d::date + 1')} AS day_end"
            " FROM generate_series(%(first_day)s::timestamp, %(last_day)s::timestamp, INTERVAL '1 day') AS d)"
            " AS trend_day"
            f" CROSS JOIN LATERAL (SELECT COUNT({h}.\"created_at\") AS escalations,"
            f" {duration_percentile(ttfa, 0.5)} AS median FROM {h} WHERE {in_window}"
            f" AND {h}.\"created_at\" >= trend_day.day_start AND {h}.\"created_at\" < trend_day.day_end) AS one_day"
            ") AS trend"
        ),
    }
    columns = {
        # One key per counted claim, one per first action: the sample counts are the arrays' lengths.
        "period": ("period.escalations, COALESCE(cardinality(period.ttc), 0), resolved.n,"
                   " COALESCE(cardinality(period.ttfa), 0), "
                   + ", ".join(duration_percentile(f"period.{keys}", fraction)
                               for keys in ("ttc", "ttfa") for fraction in (0.5, 0.9))),
        "baseline": "baseline.median, baseline.samples",
        "trend": "trend.days, trend.escalations, trend.medians",
    }
    return (f"SELECT {', '.join(columns[part] for part in parts)}"
            f" FROM {' CROSS JOIN '.join(subqueries[part] for part in parts)}")


# --- Per-day rollups (analytics.rollups) ---------------------------------------------------------

def _first_live_day(window: Window, today: date) -> date:
    """The first day of `window` computed from the handoffs whatever the rollups hold: today (a day
    that is still being written), or the window's last day when the window ends before that day
    does (`7d`/`30d`/`90d` end now). Days before it come from `analytics_handoffday` unless a
    `HandoffChange` says they moved since their refresh."""
    whole_until = (window.last_day + timedelta(days=1) if window.end >= day_end(window.last_day, window.zone)
                   else window.last_day)
    return max(window.first_day, min(whole_until, today))


@functools.cache
def _day_summary_sql(lo: str, hi: str) -> str:
    """One account's handoffs created in [lo, hi) (SQL expressions; `lo` is a day's start) as one
    `analytics_handoffday` row: escalations, the sorted keys of the counted claims' time to claim
    and of the first actions (as `_direct_statement`: `analytics.sql.sorted_duration_keys`),
    the counted claims resolved at or after the claim and at or after `lo`, the resolution times of
    those resolved after the claim but before `lo` (a window starting earlier still counts them),
    and the median time to first action (the trend's figure, `duration_percentile` of the keys).
    Parameter: account. One index range of `handoff_analytics_created_idx`; each counted claim's
    session is one primary-key lookup (a day holds a few hundred)."""
    h = '"escalations_handoff"'
    counted, acted = _handoff_condition("counted_claim"), _handoff_condition("first_action")
    ttc = sorted_duration_keys(f'{h}."claimed_at"', f'{h}."created_at"', counted)
    ttfa = sorted_duration_keys(f'{h}."first_action_at"', f'{h}."claimed_at"', acted)
    resolved = f"{counted} AND resolved_session.\"resolved_at\" >= {h}.\"claimed_at\""
    return (
        f"SELECT day_keys.*, {duration_percentile('day_keys.ttfa_keys', 0.5)} AS ttfa_median"
        f" FROM (SELECT COUNT({h}.\"created_at\") AS escalations, {ttc} AS ttc_keys, {ttfa} AS ttfa_keys,"
        f" COUNT({h}.\"created_at\") FILTER (WHERE {resolved} AND resolved_session.\"resolved_at\" >= {lo})"
        " AS resolved,"
        f" ARRAY_AGG(resolved_session.\"resolved_at\") FILTER (WHERE {resolved}"
        f" AND resolved_session.\"resolved_at\" < {lo}) AS resolved_early"
        f" FROM {h} LEFT JOIN \"escalations_pilotsession\" resolved_session"
        f" ON resolved_session.\"id\" = {h}.\"session_id\" AND resolved_session.\"account_id\" = {h}.\"account_id\""
        f" AND resolved_session.\"resolved_at\" IS NOT NULL"
        f" WHERE {h}.\"account_id\" = %(account)s AND {h}.\"created_at\" >= {lo} AND {h}.\"created_at\" < {hi})"
        " AS day_keys"
    )


# The sample stride of `analytics.sql.merged_duration_percentile`: a 366-day range of the bench's
# big account sorts a sample of n / 8 keys and two brackets of ~2 × 8 × 366 keys per percentile
# instead of the n = 88,000 keys (docs/performance.md).
MERGE_STRIDE = 8


@functools.cache
def _postgresql_statement(parts: tuple[str, ...]) -> str:
    """`parts` of ("period", "baseline", "trend") in one statement, the days of the window merged
    from `analytics_handoffday` (docs/performance.md):

    - `stale`: the days before `first_live` with a `HandoffChange` (written in the same
      transaction as the change, by the triggers of analytics migration 0002): their row, if any,
      is older than a handoff or resolution of theirs, so they are computed live;
    - `window_days`: one row per day that has handoffs: the clean rollups of the days before
      `first_live`, plus each stale day and each day from `first_live` to the window's end summed
      live (`_day_summary_sql`, one index range each; the last one stops at the window's end).
      A day with neither a row nor a change has no handoffs;
    - period: counts are sums; percentiles cannot be added up, so they are taken from the days'
      sorted keys (`analytics.sql.merged_duration_percentile`): the two keys `percentile_cont`
      interpolates, found by a sample and binary searches instead of sorting every key, and the
      same interpolation: the same figure as `_direct_statement`, to the bit. The
      resolved-after-claim count adds the days' counts and the early resolutions at or after the
      window's start;
    - trend: the days' own counts and medians; days without a row are 0 and null (`_trend`).
    - baseline: the account's manual samples, as `baseline_summary` (a handful of rows).

    Parameters: account, start, end, zone, first_day, first_live, rolled_end (the start of `first_live`),
    live_days (`first_live` to the window's last day: two days at most, today and tomorrow; an
    array, whose length the planner sees: with `generate_series`' default estimate of 1,000 days
    the plan cost passed `jit_above_cost` and JIT compiled for 2 s). One snapshot: a refresh that
    commits while it runs is either wholly seen (its row and its deleted changes) or not at all."""
    live_day = "live_day.day"
    summary = _day_summary_sql(day_start_sql(live_day), f"LEAST({day_start_sql(f'{live_day} + 1')}, %(end)s)")
    days = (
        "WITH stale AS (SELECT DISTINCT "
        f"{day_of_sql('change.created_at')} AS day FROM \"analytics_handoffchange\" change"
        " WHERE change.\"account_id\" = %(account)s AND change.\"created_at\" >= %(start)s"
        " AND change.\"created_at\" < %(rolled_end)s),"
        " window_days AS (SELECT rolled.\"day\", rolled.\"escalations\", rolled.\"ttc_keys\", rolled.\"ttfa_keys\","
        " rolled.\"resolved\", rolled.\"resolved_early\", rolled.\"ttfa_median\""
        " FROM \"analytics_handoffday\" rolled WHERE rolled.\"account_id\" = %(account)s"
        " AND rolled.\"day\" >= %(first_day)s AND rolled.\"day\" < %(first_live)s"
        " AND rolled.\"day\" NOT IN (SELECT day FROM stale)"
        " UNION ALL SELECT live_day.day, one_day.escalations, one_day.ttc_keys, one_day.ttfa_keys,"
        " one_day.resolved, one_day.resolved_early, one_day.ttfa_median"
        " FROM (SELECT day FROM stale UNION ALL SELECT unnest(%(live_days)s::date[])) AS live_day"
        f" CROSS JOIN LATERAL ({summary}) AS one_day)"
    )
    subqueries = {
        "period": (
            "(SELECT SUM(window_days.escalations)::bigint AS escalations,"
            " (SUM(window_days.resolved) + COALESCE(SUM((SELECT COUNT(*) FROM unnest(window_days.resolved_early)"
            " AS early WHERE early >= %(start)s)), 0))::bigint AS resolved"
            " FROM window_days) AS period_sums CROSS JOIN ttc_stats CROSS JOIN ttfa_stats"
        ),
        "baseline": (
            '(SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY "analytics_baselinesample"."seconds") AS median,'
            ' COUNT("analytics_baselinesample"."id") AS samples FROM "analytics_baselinesample"'
            ' WHERE "analytics_baselinesample"."account_id" = %(account)s) AS baseline'
        ),
        "trend": (
            "(SELECT ARRAY_AGG(window_days.day ORDER BY window_days.day) AS days,"
            " ARRAY_AGG(window_days.escalations ORDER BY window_days.day) AS escalations,"
            " ARRAY_AGG(window_days.ttfa_median ORDER BY window_days.day) AS medians"
            " FROM window_days) AS trend"
        ),
    }
    columns = {
        "period": ("period_sums.escalations, COALESCE(ttc_stats.n, 0), period_sums.resolved,"
                   " COALESCE(ttfa_stats.n, 0), "
                   + ", ".join(merged_duration_percentile(f"{keys}_days", f"{keys}_stats", fraction, MERGE_STRIDE)
                               for keys in ("ttc", "ttfa") for fraction in (0.5, 0.9))),
        "baseline": "baseline.median, baseline.samples",
        "trend": "trend.days, trend.escalations, trend.medians",
    }
    if "period" in parts:
        # Each metric's non-empty day arrays, read once (`|| '{}'` hands the CTE a detoasted copy:
        # the bracket reads each array several times) and their sample (sql.merged_duration_percentile).
        for keys in ("ttc", "ttfa"):
            days += (f", {keys}_days AS (SELECT window_days.{keys}_keys || '{{}}'::timestamp[] AS keys"
                     f" FROM window_days WHERE cardinality(window_days.{keys}_keys) > 0),"
                     f" {keys}_stats AS (SELECT day_count.n, day_count.d, day_sample.sample"
                     f" FROM (SELECT SUM(cardinality(keys))::integer AS n, COUNT(*)::integer AS d FROM {keys}_days)"
                     " AS day_count CROSS JOIN (SELECT ARRAY_AGG(sampled.keys[i] ORDER BY sampled.keys[i]) AS sample"
                     f" FROM {keys}_days AS sampled, generate_series({MERGE_STRIDE}, cardinality(sampled.keys),"
                     f" {MERGE_STRIDE}) AS i) AS day_sample)")
    prefix = days + " " if "period" in parts or "trend" in parts else ""
    return (f"{prefix}SELECT {', '.join(columns[part] for part in parts)}"
            f" FROM {' CROSS JOIN '.join(subqueries[part] for part in parts)}")


def _postgresql_figures(*, account, window: Window, parts: tuple[str, ...], direct: bool = False,
                        today: date | None = None) -> dict:
    """The raw figures of `parts` in one round trip (see `_postgresql_statement`; `direct`: without
    the rollups, `_direct_statement`). `today`: the first day never taken from the rollups."""
    first_live = _first_live_day(window, today or day_of(timezone.now(), window.zone))
    params = {"account": account.pk, "start": window.start, "end": window.end, "zone": window.time_zone,
              "first_day": window.first_day, "last_day": window.last_day,
              "first_live": first_live, "rolled_end": day_start(first_live, window.zone),
              "live_days": [first_live + timedelta(days=i) for i in range((window.last_day - first_live).days + 1)]}
    with connection.cursor() as cursor:
        cursor.execute(_direct_statement(parts) if direct else _postgresql_statement(parts), params)
        row = list(cursor.fetchone())
    out = {}
    if "period" in parts:
        names = ("escalations", "claimed", "resolved_after_claim", "ttfa_samples",
                 "ttc_median", "ttc_p90", "ttfa_median", "ttfa_p90")
        out["raw"], row = dict(zip(names, row[:8], strict=True)), row[8:]
    if "baseline" in parts:
        (median, samples), row = row[:2], row[2:]
        out["baseline"] = {"median_seconds": _round(median, 3), "samples": samples or 0}
    if "trend" in parts:
        days, escalations, medians = row
        out["trend"] = [{"day": day, "escalations": n, "median": m}
                        for day, n, m in zip(days or [], escalations or [], medians or [], strict=True)]
    return out


def escalation_analytics(*, account, window: Window, trend: bool = True) -> dict:
    """The `GET /api/v1/analytics/escalations` payload for `account` (docs/API.md). PostgreSQL:
    one statement (`_postgresql_statement`). Elsewhere, four ORM queries: the period's aggregates,
    its resolved-after-claim count, the baseline, the daily trend."""
    if account is not None and connection.vendor == "postgresql":
        parts = ("period", "baseline", "trend") if trend else ("period", "baseline")
        out = _postgresql_figures(account=account, window=window, parts=parts)
        figures = _figures(out["raw"], out["baseline"], window)
        figures["trend"] = _trend(out["trend"], window) if trend else []
        return figures
    return _orm_escalation_analytics(account=account, window=window, trend=trend)


def _orm_escalation_analytics(*, account, window: Window, trend: bool = True) -> dict:
    handoffs = Handoff.objects.for_account(account)
    raw = _in_window(handoffs, window).aggregate(**_handoff_aggregates())
    raw["resolved_after_claim"] = _resolved_after_claim(handoffs, window, account=account).count()
    figures = _figures(raw, baseline_summary(account=account), window)
    figures["trend"] = _trend(_daily_rows(account=account, window=window), window) if trend else []
    return figures


# --- The pilot verdict -------------------------------------------------------------------------

@dataclass(frozen=True)
class PilotVerdict:
    """Is the wedge paying for itself? Weeks since the account's first escalation and hours saved
    per week over the trailing 30 days; at week 8 or later and not above 1.0 it says so plainly."""

    account: object
    first_escalation_at: datetime | None
    weeks: int | None
    figures: dict
    status: str  # "not_started" | "above_target" | "too_early" | "revisit"

    @property
    def hours_saved_per_week(self) -> float | None:
        return self.figures["hours_saved_per_week"]

    @property
    def headline(self) -> str:
        hours, weeks = self.hours_saved_per_week, self.weeks
        if self.status == "not_started":
            return "No escalations yet: the pilot clock starts at the first one."
        figure = (f"{hours:.2f} hours saved per week" if hours is not None
                  else "no hours-saved figure (" + _missing_input(self.figures) + ")")
        if self.status == "above_target":
            return f"Week {weeks}: {figure}, above the {TARGET_HOURS_PER_WEEK:.1f} target. The wedge is working."
        if self.status == "revisit":
            return (f"Week {weeks}: {figure}, not above {TARGET_HOURS_PER_WEEK:.1f}. "
                    "Revisit the wedge: Escalation Mode is not saving enough time.")
        left = REVISIT_AFTER_WEEKS - weeks
        return (f"Week {weeks} of {REVISIT_AFTER_WEEKS}: {figure}, not above {TARGET_HOURS_PER_WEEK:.1f} yet. "
                f"{left} week{'s' if left != 1 else ''} until the verdict.")


def _missing_input(figures: dict) -> str:
    needed = figures["baseline_samples_needed"]
    if needed:
        return f"{needed} more baseline sample{'s' if needed != 1 else ''} needed"
    return "no time-to-first-action samples in the last 30 days"


def _verdict(*, account, first_escalation_at, figures, now) -> PilotVerdict:
    if first_escalation_at is None:
        return PilotVerdict(account, None, None, figures, "not_started")
    weeks = max(0, (now - first_escalation_at).days // 7)
    hours = figures["hours_saved_per_week"]
    if hours is not None and hours > TARGET_HOURS_PER_WEEK:
        status = "above_target"
    elif weeks >= REVISIT_AFTER_WEEKS:
        # No figure at week 8 is not "above 1.0" either: the pilot did not show the saving.
        status = "revisit"
    else:
        status = "too_early"
    return PilotVerdict(account, first_escalation_at, weeks, figures, status)


def pilot_verdict(*, account, now: datetime | None = None, figures: dict | None = None) -> PilotVerdict:
    """The verdict for one account. Pass `figures` when they are already the trailing-30-day
    analytics at `now` (the page's default period) to save the queries."""
    now = now or timezone.now()
    first = (Handoff.objects.for_account(account).order_by("created_at")
             .values_list("created_at", flat=True).first())
    if figures is None:
        window = window_for_period(VERDICT_PERIOD, now=now, time_zone=account_time_zone_name(account))
        figures = escalation_analytics(account=account, window=window, trend=False)
    return _verdict(account=account, first_escalation_at=first, figures=figures, now=now)


def pilot_scorecard(*, now: datetime | None = None) -> list[PilotVerdict]:
    """Every account's verdict side by side (platform operators), each over the trailing 30 days of
    its own time zone, as its analytics page. Queries: accounts with their first escalation, the
    baselines grouped by account, and per time zone in use the 30-day aggregates and resolved
    counts grouped by account: four with one zone, whatever the number of accounts."""
    now = now or timezone.now()
    first = Handoff.objects.filter(account=OuterRef("pk")).order_by("created_at").values("created_at")[:1]
    accounts = list(Account.objects.annotate(first_escalation_at=Subquery(first)).order_by("name"))
    windows, raw_by_account, resolved_by_account = {}, {}, {}
    zones = sorted({account_time_zone_name(account) for account in accounts})
    for time_zone in zones:
        window = windows[time_zone] = window_for_period(VERDICT_PERIOD, now=now, time_zone=time_zone)
        in_zone = Handoff.objects.all() if len(zones) == 1 else Handoff.objects.filter(account__time_zone=time_zone)
        raw_by_account.update(
            (row["account"], row)
            for row in _in_window(in_zone, window).values("account").annotate(**_handoff_aggregates()).order_by()
        )
        resolved_by_account.update(
            _resolved_after_claim(in_zone, window).values("account").annotate(n=Count("pk"))
            .values_list("account", "n").order_by()
        )
    baseline_by_account = {
        row["account"]: row
        for row in BaselineSample.objects.values("account").annotate(**_baseline_aggregates()).order_by()
    }
    empty_raw = dict.fromkeys(_handoff_aggregates())
    verdicts = []
    for account in accounts:
        window = windows[account_time_zone_name(account)]
        b = baseline_by_account.get(account.pk, {"median": None, "samples": 0})
        baseline = {"median_seconds": _round(b["median"], 3), "samples": b["samples"]}
        raw = {**raw_by_account.get(account.pk, empty_raw), "resolved_after_claim": resolved_by_account.get(account.pk)}
        figures = _figures(raw, baseline, window)
        figures["trend"] = []
        verdicts.append(_verdict(account=account, first_escalation_at=account.first_escalation_at,
                                 figures=figures, now=now))
    return verdicts


def platform_verdict(verdicts: list[PilotVerdict]) -> str:
    """PRODUCT.md: a pilot at week 8 with no account above 1.0 hour/week means the wedge is
    revisited. "keep" as soon as one account is above the target."""
    if any(v.status == "above_target" for v in verdicts):
        return "keep"
    if any(v.weeks is not None and v.weeks >= REVISIT_AFTER_WEEKS for v in verdicts):
        return "revisit"
    return "too_early"
