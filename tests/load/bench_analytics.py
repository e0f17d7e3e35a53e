"""Benchmark: `GET /api/v1/analytics/escalations` on a large PostgreSQL database.

Not a test: run it by hand and record the figures in docs/performance.md (## Analytics endpoint).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rf_bench \
        .venv/bin/python tests/load/bench_analytics.py --requests 100

It creates (or reuses) its own database, migrates it, and seeds it once (`--reseed` to start
over) in SQL with `INSERT ... SELECT generate_series`: 100 accounts, 1,000,000 handoffs (one
session each) over the last 180 days, 100,000 of them in one account ("Bench Big MSP"), plus
12 baseline samples there. Rows are inserted in time order, as the product writes them.

Then, for the big account, it times the real endpoint through Django's test client (URL routing,
knox token authentication, permissions, the analytics SQL, serialization, JSON rendering) for
each period, for explicit start/end ranges of 180 days and of the maximum (366 days: every handoff
of the account), `queue_summary()`, and the analytics page, and prints p50/p95/max with the load
average at the end of each case. `--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the queries of the 90-day
and maximum-range figures, of the queue card and of the assessment sweeper, with and without their
indexes (dropped in a transaction that is rolled back).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.common import BENCH_KEY, ensure_database, percentile  # noqa: E402

ACCOUNTS = 100
TOTAL_HANDOFFS = 1_000_000
BIG_ACCOUNT_HANDOFFS = 100_000
DAYS = 180


SEED_SQL = """
-- Accounts 0 .. {accounts}-1; account 0 is the big one.
CREATE TEMP TABLE bench_accounts AS
SELECT i, gen_random_uuid() AS id FROM generate_series(0, {accounts} - 1) AS i;
INSERT INTO accounts_account (id, name, slug, escalation_renotify_minutes, time_zone, mfa_required, created_at)
SELECT id, CASE WHEN i = 0 THEN 'Bench Big MSP' ELSE 'Bench MSP ' || i END,
       CASE WHEN i = 0 THEN 'bench-big' ELSE 'bench-' || i END, 10, 'UTC', false, now() - interval '200 days'
FROM bench_accounts;

-- Per account: a technician and two engineers (unusable passwords; the bench logs in by token).
CREATE TEMP TABLE bench_users AS
SELECT a.i AS account_i, a.id AS account_id, r.k, gen_random_uuid() AS id,
       CASE r.k WHEN 0 THEN 'technician' ELSE 'engineer' END AS role
FROM bench_accounts a CROSS JOIN generate_series(0, 2) AS r(k);
INSERT INTO accounts_user (id, password, is_superuser, email, name, account_id, role, is_active, is_staff,
                           email_notifications, chat_mentions, time_zone, date_joined)
SELECT id, '!', false, 'u' || k || '@a' || account_i || '.bench.test', 'Bench user ' || k, account_id, role,
       true, false, false, false, '', now() - interval '200 days'
FROM bench_users;

-- The handoffs: 10 % of them in the big account, the rest spread over the others; times over
-- the last {days} days; outcomes drawn once per row.
CREATE TEMP TABLE bench_rows AS
SELECT n,
       CASE WHEN n <= {big} THEN 0 ELSE 1 + (n % ({accounts} - 1)) END AS account_i,
       now() - random() * interval '{days} days' AS created_at,
       random() AS outcome, random() AS claim_r, random() AS act_r, random() AS engineer_r
FROM generate_series(1, {total}) AS n;

CREATE TEMP TABLE bench_handoffs AS
SELECT gen_random_uuid() AS handoff_id, gen_random_uuid() AS session_id, a.id AS account_id,
       tech.id AS tech_id, eng.id AS engineer_id, r.created_at,
       -- 3 % still open, 5 % cancelled (resolved before a claim), 4 % self-claims, the rest claimed
       -- 20 s .. 15 min after the escalation; 90 % of claimers act 5 s .. 10 min after the claim;
       -- 70 % of the claimed sessions resolved half an hour after the claim.
       CASE WHEN r.outcome < 0.03 THEN 'open' WHEN r.outcome < 0.08 THEN 'cancelled'
            WHEN r.outcome < 0.12 THEN 'self' ELSE 'claimed' END AS kind,
       r.created_at + (20 + r.claim_r * 880) * interval '1 second' AS claimed_at,
       CASE WHEN r.act_r < 0.9 THEN r.created_at + (20 + r.claim_r * 880 + 5 + r.act_r * 595) * interval '1 second'
       END AS first_action_at,
       r.act_r < 0.7 AS resolved
FROM bench_rows r
JOIN bench_accounts a ON a.i = r.account_i
JOIN bench_users tech ON tech.account_i = r.account_i AND tech.k = 0
JOIN bench_users eng ON eng.account_i = r.account_i AND eng.k = 1 + (r.engineer_r < 0.5)::int;

INSERT INTO escalations_pilotsession (id, account_id, title, problem, client_name, psa_ticket_id, owner_id,
                                      status, resolution, documentation, created_at, updated_at, resolved_at)
SELECT session_id, account_id, 'Bench session', 'VPN drops every hour', '', '',
       CASE WHEN kind = 'claimed' THEN engineer_id ELSE tech_id END,
       CASE WHEN kind = 'open' THEN 'escalated' WHEN kind = 'cancelled' OR resolved THEN 'resolved' ELSE 'active' END,
       '', '', created_at - interval '10 minutes', created_at,
       CASE WHEN kind = 'cancelled' THEN created_at + interval '5 minutes'
            WHEN kind <> 'open' AND resolved THEN claimed_at + interval '30 minutes' END
FROM bench_handoffs ORDER BY created_at;

INSERT INTO escalations_handoff (id, account_id, session_id, intent, reason, requested_by_id, target_user_id,
                                 problem, steps_tried, conversation_tail, assessment, assessment_status,
                                 claimed_by_id, claimed_at, first_action_at, cancelled_at, admins_renotified_at,
                                 created_at)
SELECT handoff_id, account_id, session_id, 'escalate', 'Stuck after the obvious steps',
       CASE WHEN kind = 'self' THEN engineer_id ELSE tech_id END, NULL,
       'VPN drops every hour', '[]'::jsonb, '[]'::jsonb, NULL, 'ready',
       CASE WHEN kind IN ('claimed', 'self') THEN engineer_id END,
       CASE WHEN kind IN ('claimed', 'self') THEN claimed_at END,
       CASE WHEN kind IN ('claimed', 'self') THEN first_action_at END,
       CASE WHEN kind = 'cancelled' THEN created_at + interval '5 minutes' END,
       NULL, created_at
FROM bench_handoffs ORDER BY created_at;

INSERT INTO analytics_baselinesample (account_id, seconds, measured_on, measured_by_name, note, created_at)
SELECT a.id, 240 + s * 37, current_date - s, 'Bench stopwatch', '', now()
FROM bench_accounts a CROSS JOIN generate_series(1, 12) AS s WHERE a.i = 0;
"""


def seed(*, reseed: bool) -> None:
    from django.db import connection

    from accounts.models import Account

    if Account.objects.filter(slug="bench-big").exists():
        if not reseed:
            print("Seed found (Bench Big MSP); use --reseed to start over.")
            return
        print("Deleting the previous seed...")
        with connection.cursor() as cur:
            cur.execute("TRUNCATE analytics_baselinesample, escalations_handoff, escalations_pilotsession, "
                        "accounts_apitoken, accounts_user, accounts_account CASCADE")
    started = time.perf_counter()
    sql = SEED_SQL.format(accounts=ACCOUNTS, big=BIG_ACCOUNT_HANDOFFS, total=TOTAL_HANDOFFS, days=DAYS)
    with connection.cursor() as cur:
        cur.execute(sql)
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT count(*) FROM escalations_handoff")
        total = cur.fetchone()[0]
    print(f"Seeded {total:,} handoffs in {time.perf_counter() - started:.1f} s (VACUUM ANALYZE included).")


def timed(fn, n: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(label: str, ms: list[float]) -> None:
    """p50/p95/max of one case, and the 1-minute load average at its end (a case lasts 5-40 s)."""
    print(f"{label:<44} n={len(ms):<4} p50={statistics.median(ms):7.1f} ms  p95={percentile(ms, 95):7.1f} ms  "
          f"max={max(ms):7.1f} ms  load {os.getloadavg()[0]:.2f}")


def explain(label: str, fn, *, drop: tuple[str, ...] = ()) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) every handoff/session/baseline query `fn` runs, optionally with
    some indexes dropped inside a transaction that is rolled back (PostgreSQL DDL is transactional)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    plans = []
    with transaction.atomic():
        with connection.cursor() as cur:
            for name in drop:
                cur.execute(f'DROP INDEX "{name}"')
        with CaptureQueriesContext(connection) as ctx:
            fn()
        with connection.cursor() as cur:
            for query in ctx.captured_queries:
                sql = query["sql"]
                if not any(t in sql for t in ("escalations_handoff", "analytics_baselinesample")):
                    continue
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plans.append((sql, "\n".join(row[0] for row in cur.fetchall())))
        transaction.set_rollback(True)
    print(f"\n==== {label}" + (f" — WITHOUT {', '.join(drop)}" if drop else "")
          + f" (load average {os.getloadavg()[0]:.2f})")
    for sql, plan in plans:
        print(f"\n-- {sql[:200]}...\n{plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per case (at least 50)")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own, e.g. postgres://postgres@127.0.0.1:5432/rf_bench")
    ensure_database(url)
    # Production-like settings: DEBUG off (no query log), no throttling in the way.
    os.environ.update({"DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50, "SECURE_SSL_REDIRECT": "0",
                       "FIELD_ENCRYPTION_KEY": BENCH_KEY, "THROTTLE_USER": "1000000/min",
                       "ALLOWED_HOSTS": "testserver", "LOG_LEVEL": "WARNING",
                       # No collectstatic here: plain static URLs for the page.
                       "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed(reseed=args.reseed)
    # The per-day rollups of the days before today (a no-op when they are built; after a fresh seed
    # or analytics migration 0002 every day is stale: 18,000 account-days, a few minutes).
    started = time.perf_counter()
    call_command("build_analytics_rollups")
    print(f"(rollups checked/built in {time.perf_counter() - started:.1f} s)")

    from django.test import Client

    from accounts.models import Account, User
    from accounts.services import api_token_create
    from analytics.metrics import MAX_RANGE_DAYS, queue_summary
    from escalations.models import Handoff

    account = Account.objects.get(slug="bench-big")
    engineer = User.objects.filter(account=account, role="engineer").order_by("email").first()
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=engineer)}")
    page = Client()
    page.force_login(engineer)

    n = max(50, args.requests)
    today = datetime.now(UTC).date()
    cases = {f"period={p}": f"period={p}" for p in ("7d", "30d", "90d")}
    for days in (180, MAX_RANGE_DAYS):
        cases[f"start/end, {days} days"] = f"start={today - timedelta(days=days - 1)}&end={today}"
    print(f"\nBench Big MSP: {account.handoffs.count():,} handoffs; all accounts: {Handoff.objects.count():,}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for label, query in cases.items():
        body = api.get(f"/api/v1/analytics/escalations?{query}").json()
        print(f"  {label}: {body['escalations']:,} escalations, TTFA median "
              f"{body['time_to_first_action']['median_seconds']} s, hours saved/week {body['hours_saved_per_week']}")
    print()
    for label, query in cases.items():
        report(f"GET analytics/escalations {label}",
               timed(lambda q=query: api.get(f"/api/v1/analytics/escalations?{q}"), n))
    report("queue_summary()", timed(lambda: queue_summary(account=account), n))
    report("GET /analytics/escalations (page, 30d)", timed(lambda: page.get("/analytics/escalations"), n))
    print(f"load average after: {os.getloadavg()[0]:.2f}")

    if args.explain:
        from analytics.metrics import escalation_analytics, window_for_dates, window_for_period

        def analytics_90d():
            escalation_analytics(account=account, window=window_for_period("90d"))

        def analytics_max():
            escalation_analytics(account=account,
                                 window=window_for_dates(today - timedelta(days=MAX_RANGE_DAYS - 1), today))

        explain("escalation_analytics(90d)", analytics_90d)
        explain(f"escalation_analytics(start/end, {MAX_RANGE_DAYS} days)", analytics_max)
        explain("escalation_analytics(90d)", analytics_90d,
                drop=("handoff_analytics_created_idx", "session_account_resolved_idx"))
        explain("queue_summary()", lambda: queue_summary(account=account))
        explain("queue_summary()", lambda: queue_summary(account=account), drop=("handoff_account_claimed_idx",))
        explain("requeue_stale_assessments()", sweeper)
        explain("requeue_stale_assessments()", sweeper, drop=("handoff_assessment_pending_idx",))


def sweeper():
    """The assessment sweeper's two reads (escalations.tasks.requeue_stale_assessments), without its writes."""
    from django.utils import timezone

    from escalations.models import AssessmentStatus, Handoff
    from escalations.tasks import GIVE_UP_AFTER, REQUEUE_AFTER, REQUEUE_BATCH

    now = timezone.now()
    pending = Handoff.objects.filter(assessment_status=AssessmentStatus.PENDING)
    list(pending.filter(created_at__lt=now - GIVE_UP_AFTER).order_by("created_at")[:REQUEUE_BATCH])
    list(pending.filter(created_at__lt=now - REQUEUE_AFTER, created_at__gte=now - GIVE_UP_AFTER)
         .order_by("created_at").values_list("pk", flat=True)[:REQUEUE_BATCH])


if __name__ == "__main__":
    main()
