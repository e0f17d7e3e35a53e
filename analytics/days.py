"""Which day a handoff belongs to: the one place that decides it.

Every analytics day is a UTC day today: a handoff belongs to the day of its `created_at` in
`DAY_ZONE`, and a day runs from its midnight in that zone to the next one. The windows
(`metrics.window_for_period`, `window_for_dates`), the per-day rollups (`analytics.rollups`) and the
statement that merges them (`metrics._postgresql_statement`) all take day boundaries from here, in
Python and in SQL. An account time zone would change these functions (and their SQL twins) and
nothing else; the rollups are then rebuilt with `manage.py build_analytics_rollups --all`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

DAY_ZONE = UTC
# The same zone as PostgreSQL names it (a literal: it is never user text).
DAY_ZONE_SQL = "'UTC'"


def day_of(moment: datetime) -> date:
    """The day `moment` (aware) falls on."""
    return moment.astimezone(DAY_ZONE).date()


def day_start(day: date) -> datetime:
    """The first instant of `day` (inclusive); the next day's start is its end (exclusive)."""
    return datetime.combine(day, time.min, tzinfo=DAY_ZONE)


def day_end(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def day_of_sql(moment_sql: str) -> str:
    """SQL: the day (a `date`) of the timestamptz expression `moment_sql`, as `day_of`."""
    return f"(({moment_sql}) AT TIME ZONE {DAY_ZONE_SQL})::date"


def day_start_sql(day_sql: str) -> str:
    """SQL: the first instant (a timestamptz) of the `date` expression `day_sql`, as `day_start`."""
    return f"(({day_sql})::timestamp AT TIME ZONE {DAY_ZONE_SQL})"
