"""Which day a handoff belongs to: the one place that decides it.

An analytics day is a day of the account's time zone (`Account.time_zone`, an IANA name, default
UTC; `accounts.time_zones`): a handoff belongs to the day of its `created_at` in that zone, and a
day runs from its local midnight to the next one: 23 or 25 hours across a daylight-saving change.
The windows (`metrics.window_for_period`, `window_for_dates`), the per-day rollups
(`analytics.rollups`) and the statements that merge them (`metrics._postgresql_statement`) all take
day boundaries from here, in Python and in SQL.

The SQL twins take the zone as an SQL expression: a bound parameter (`%(zone)s`) holding a name
validated by `accounts.time_zones`, or the account's column (a refresh reads the zone in its own
snapshot). PostgreSQL and Python agree on the boundaries: a local midnight skipped by a
daylight-saving change is the instant of the change in both (PostgreSQL reads a nonexistent local
time with the offset before the change, as `fold=0` does).

Changing an account's zone moves its days: a trigger (analytics migration 0003) marks every day of
the account stale in the same transaction, so the figures stay exact (computed live) until beat or
`manage.py build_analytics_rollups` rebuilds the rows in the new zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from accounts.time_zones import account_time_zone_name, account_zone  # noqa: F401 (re-exported)

# The zone of a day when none is given: UTC (the platform's views, the embedded mode's defaults).
DAY_ZONE = UTC
# SQL: the account's zone read from its row in the statement's own snapshot (parameter: account).
ACCOUNT_ZONE_SQL = (
    "COALESCE((SELECT \"accounts_account\".\"time_zone\" FROM \"accounts_account\""
    " WHERE \"accounts_account\".\"id\" = %(account)s), 'UTC')"
)
# SQL: the zone of a statement's parameters (a validated IANA name, never spliced into the text).
ZONE_PARAM_SQL = "%(zone)s"


def day_of(moment: datetime, zone: tzinfo = DAY_ZONE) -> date:
    """The day `moment` (aware) falls on in `zone`."""
    return moment.astimezone(zone).date()


def day_start(day: date, zone: tzinfo = DAY_ZONE) -> datetime:
    """The first instant of `day` in `zone` (inclusive), in UTC; the next day's start is its end
    (exclusive). A midnight skipped by a daylight-saving change gives the change's instant."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def day_end(day: date, zone: tzinfo = DAY_ZONE) -> datetime:
    return day_start(day + timedelta(days=1), zone)


def day_of_sql(moment_sql: str, zone_sql: str = ZONE_PARAM_SQL) -> str:
    """SQL: the day (a `date`) of the timestamptz expression `moment_sql` in the zone `zone_sql`,
    as `day_of`."""
    return f"(({moment_sql}) AT TIME ZONE {zone_sql})::date"


def day_start_sql(day_sql: str, zone_sql: str = ZONE_PARAM_SQL) -> str:
    """SQL: the first instant (a timestamptz) of the `date` expression `day_sql` in the zone
    `zone_sql`, as `day_start`."""
    return f"(({day_sql})::timestamp AT TIME ZONE {zone_sql})"
