"""Per-day rollups of the escalation figures: building and refreshing `HandoffDay` rows.

A row summarises one account's handoffs created on one day (`analytics.days`) as of its refresh;
`metrics._postgresql_statement` merges the rows of a window and computes live the days that have a
`HandoffChange` (written by database triggers in every writer's transaction, analytics migration
0002) and the days from today on. So a row that is not refreshed yet is never read, and the
refresh is only about speed:

- after a claim or a resolution commits, `tasks.refresh_after_write` has a worker refresh the newest of
  that account's stale days before today (AnalyticsConfig.ready registers it in
  `escalations.hook_registry`: the escalation domain does not import analytics);
- `tasks.refresh_stale_days` (beat, every minute) and `manage.py build_analytics_rollups`
  refresh what is left: first actions, admin edits, yesterday's last changes after midnight.

PostgreSQL only: the embedded SQLite mode computes every figure live.
"""

from __future__ import annotations

import functools
import logging
import zlib
from datetime import date

from django.db import connection, transaction

from analytics.days import ACCOUNT_ZONE_SQL, day_of_sql, day_start_sql
from analytics.metrics import _day_summary_sql

log = logging.getLogger(__name__)

# After a claim or a resolution, a worker refreshes at most this many stale days of its account
# (one day of the bench's big account, ~550 handoffs, is ~10-30 ms); beat does the rest.
REFRESH_AFTER_WRITE = 1
# The advisory-lock class of a refresh (the other key is a hash of the account and the day).
LOCK_CLASS = 0x0A7A1D


def enabled() -> bool:
    return connection.vendor == "postgresql"


@functools.cache
def _refresh_statement() -> str:
    """Fold the day's changes into its row, in one statement (one snapshot): delete the changes
    this snapshot sees, summarise the handoffs this snapshot sees. A change committed later is not
    deleted, so the day stays stale until the next refresh. A day without handoffs has no row.

    The day's bounds come from the account's time zone as this snapshot sees it, so a refresh
    racing a zone change (whose trigger marks every day stale, analytics migration 0003) builds
    its row in the zone whose changes it folds."""
    summary = _day_summary_sql("(SELECT lo FROM bounds)", "(SELECT hi FROM bounds)")
    lo, hi = day_start_sql("%(day)s::date", ACCOUNT_ZONE_SQL), day_start_sql("%(day)s::date + 1", ACCOUNT_ZONE_SQL)
    return (
        f"WITH bounds AS MATERIALIZED (SELECT {lo} AS lo, {hi} AS hi),"
        " folded AS (DELETE FROM \"analytics_handoffchange\" WHERE \"account_id\" = %(account)s"
        " AND \"created_at\" >= (SELECT lo FROM bounds) AND \"created_at\" < (SELECT hi FROM bounds)),"
        f" summary AS ({summary}),"
        " kept AS (INSERT INTO \"analytics_handoffday\" (\"account_id\", \"day\", \"escalations\", \"ttc_keys\","
        " \"ttfa_keys\", \"resolved\", \"resolved_early\", \"ttfa_median\", \"refreshed_at\")"
        " SELECT %(account)s, %(day)s, escalations, COALESCE(ttc_keys, '{}'), COALESCE(ttfa_keys, '{}'),"
        " resolved, COALESCE(resolved_early, '{}'), ttfa_median, now() FROM summary WHERE escalations > 0"
        " ON CONFLICT (\"account_id\", \"day\") DO UPDATE SET \"escalations\" = EXCLUDED.\"escalations\","
        " \"ttc_keys\" = EXCLUDED.\"ttc_keys\", \"ttfa_keys\" = EXCLUDED.\"ttfa_keys\","
        " \"resolved\" = EXCLUDED.\"resolved\", \"resolved_early\" = EXCLUDED.\"resolved_early\","
        " \"ttfa_median\" = EXCLUDED.\"ttfa_median\", \"refreshed_at\" = EXCLUDED.\"refreshed_at\")"
        " DELETE FROM \"analytics_handoffday\" WHERE \"account_id\" = %(account)s AND \"day\" = %(day)s"
        " AND (SELECT escalations FROM summary) = 0"
    )


def refresh_day(*, account_id, day: date) -> None:
    """Rebuild the account's row of `day` from its handoffs and fold in the day's changes.

    Two refreshes of one day take turns (a transaction-scoped advisory lock): otherwise the one
    with the older snapshot could commit last and put back figures that miss a change whose
    `HandoffChange` the newer one had already deleted. The summary runs in the statement after the
    lock, so under READ COMMITTED its snapshot includes whatever the previous holder committed.
    Writers never take this lock."""
    key = zlib.crc32(f"{account_id}:{day.isoformat()}".encode()) - 2**31
    params = {"account": account_id, "day": day}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, key])
        cursor.execute(_refresh_statement(), params)


def stale_days(*, account_id=None, before: date | None = None, limit: int | None = None) -> list[tuple]:
    """(account id, day) of the days before `before` (default: each account's today) that have a
    `HandoffChange`, newest first (the days a page shows most). Days of each account's time zone
    (a deleted account's leftover changes: UTC; their refresh drops them)."""
    zone = "COALESCE(account.\"time_zone\", 'UTC')"
    day = day_of_sql('change."created_at"', zone)
    if before is None:
        where, params = [f"{day} < {day_of_sql('now()', zone)}"], {}
    else:
        where, params = [f"{day} < %(before)s"], {"before": before}
    if account_id is not None:
        where.append("change.\"account_id\" = %(account)s")
        params["account"] = account_id
    sql = (f"SELECT DISTINCT change.\"account_id\", {day} AS day FROM \"analytics_handoffchange\" change"
           " LEFT JOIN \"accounts_account\" account ON account.\"id\" = change.\"account_id\""
           f" WHERE {' AND '.join(where)} ORDER BY day DESC, change.\"account_id\"")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def refresh_stale(*, account_id=None, limit: int | None = None, before: date | None = None) -> int:
    """Refresh the stale days (of one account, or all); how many were refreshed."""
    if not enabled():
        return 0
    days = stale_days(account_id=account_id, before=before, limit=limit)
    for account, day in days:
        refresh_day(account_id=account, day=day)
    return len(days)


def mark_all(*, account_id=None) -> None:
    """Make every day with handoffs, and every existing row, stale (one change each): the start of
    a full rebuild (after a change to `analytics.days` or to what a row holds). Days of each
    account's time zone; a row's change is at its day's start in that zone (a row built in another
    zone is rebuilt or dropped). The trigger of analytics migration 0003 runs the same for one
    account when its time zone changes."""
    account_filter = "WHERE t.\"account_id\" = %(account)s" if account_id is not None else ""
    zone = 'account."time_zone"'
    join = 'JOIN "accounts_account" account ON account."id" = t."account_id"'
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO \"analytics_handoffchange\" (\"account_id\", \"created_at\")"
            f" SELECT t.\"account_id\", MIN(t.\"created_at\") FROM \"escalations_handoff\" t {join}"
            f" {account_filter} GROUP BY t.\"account_id\", {day_of_sql('t.created_at', zone)}"
            f" UNION ALL SELECT t.\"account_id\", {day_start_sql('t.day', zone)} FROM \"analytics_handoffday\" t"
            f" {join} {account_filter}",
            {"account": account_id},
        )
