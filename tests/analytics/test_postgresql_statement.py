"""On PostgreSQL the endpoint's figures are one statement (`metrics._postgresql_statement`, which
merges the per-day rollups); the direct statement (`metrics._direct_statement`, no rollups) and the
ORM queries (`metrics._orm_escalation_analytics`, what SQLite runs) must give exactly the same
payload, whatever state the rollups are in."""

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from analytics import metrics, rollups
from analytics.api import EscalationAnalyticsSerializer
from analytics.days import day_of, day_start
from analytics.models import HandoffChange, HandoffDay
from analytics.tasks import refresh_account_stale_days, refresh_stale_days
from escalations import services
from escalations.handoffs import handoff_claim
from escalations.models import Handoff, PilotSession
from escalations.services import record_first_action, session_resolve
from resolutionflow.celery import app as celery_app
from tests.analytics.builders import make_handoff
from tests.analytics.history import FIRST_DAY, LAST_DAY, add_baseline, at, build_week

NOW = datetime(2025, 3, 7, 16, 30, 0, 250001, tzinfo=UTC)


@pytest.fixture
def history(acme, globex, acme_tech, acme_senior, acme_senior2, acme_admin, globex_tech, globex_senior):
    """The hand-checked week, plus awkward rows: microsecond timings, a claim over a day later, a first
    action recorded before its claim, a claim before its escalation, a session resolved before the
    claim, several escalations of one day, one escalation on the window's last day after `now`."""
    build_week(acme=acme, globex=globex, tech=acme_tech, senior=acme_senior, senior2=acme_senior2,
               admin=acme_admin, globex_tech=globex_tech, globex_senior=globex_senior)
    start = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    for i, (claim, act, resolve) in enumerate([
        (0.000001, 0.000003, 1.5), (86400 + 0.123457, 17.000001, None), (33.3, 44.4, -10.0),
        (12.0, 9.999999, 0.5), (1.0006, 2.25, 3600.0), (0.5, 0.5, None), (-4.000001, 1.0, 7.0),
    ]):
        make_handoff(acme, requester=acme_tech, claimer=acme_senior2, at=start + timedelta(hours=2 * i),
                     claim_after=claim, act_after=act, resolve_after=resolve)
    first_action_before_claim = make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=start,
                                             claim_after=20, act_after=5)
    Handoff.objects.filter(pk=first_action_before_claim.pk).update(
        first_action_at=first_action_before_claim.claimed_at - timedelta(seconds=1))
    make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=NOW + timedelta(minutes=5), claim_after=1,
                 act_after=1)
    add_baseline(acme, [300, 240, 275, 910, 61, 600])


WINDOWS = {
    "range": metrics.window_for_dates(FIRST_DAY, LAST_DAY),
    "7d": metrics.window_for_period("7d", now=NOW),
    "30d": metrics.window_for_period("30d", now=NOW),
    "one day": metrics.window_for_dates(date(2025, 3, 2), date(2025, 3, 2)),
    "empty": metrics.window_for_dates(date(2024, 1, 1), date(2024, 1, 5)),
    "longest": metrics.window_for_dates(LAST_DAY - timedelta(days=metrics.MAX_RANGE_DAYS - 1), LAST_DAY),
}


@pytest.mark.parametrize("name", WINDOWS)
def test_the_statement_gives_what_the_orm_queries_give(history, acme, globex, name):
    window = WINDOWS[name]
    for account in (acme, globex):
        with CaptureQueriesContext(connection) as statement:
            ours = metrics.escalation_analytics(account=account, window=window)
        assert len(statement) == 1
        assert ours == metrics._orm_escalation_analytics(account=account, window=window)
        assert metrics.escalation_analytics(account=account, window=window, trend=False) == {**ours, "trend": []}
        assert metrics.daily_trend(account=account, window=window) == ours["trend"]


def test_the_figures_of_the_awkward_rows(history, acme):
    body = metrics.escalation_analytics(account=acme, window=metrics.window_for_dates(date(2025, 3, 2),
                                                                                     date(2025, 3, 2)))
    # The 8 rows of 2 March (the week has none that day); the one after `now` is on 7 March.
    assert body["escalations"] == 8
    assert body["claimed"] == 8
    assert body["time_to_first_action"]["samples"] == 7  # the first action before its claim does not count
    assert body["resolved_after_claim"] == 4  # resolved 1.5 s, 3600 s, 0.5 s, 7 s after the claim
    # -4.000001, 0.000001, 0.5, 1.0006 | 12, 20, 33.3, 86400.123457: (1.0006 + 12) / 2 = 6.5003
    assert body["time_to_claim"]["median_seconds"] == 6.5
    assert body["trend"] == [{"date": date(2025, 3, 2), "escalations": 8,
                              "median_time_to_first_action_seconds": 2.25}]


# --- The per-day rollups: the same payload, byte for byte -----------------------------------------
#
# `escalation_analytics` merges `analytics_handoffday` rows for the whole days before today that no
# `HandoffChange` marks as moved, and computes the others live. Whatever the rollups' state (never
# built, built, built and then changed in every way a figure can move, rebuilt), its payload must
# be byte-identical to the direct statement's and the ORM queries' for every window.

DAYS = [date(2025, 2, 27) + timedelta(days=i) for i in range(11)]  # 27 Feb … 9 Mar: the data and a margin


def _windows(today: date) -> list[metrics.Window]:
    """Every range of whole days over DAYS (66), the presets at NOW and at the real now, ranges
    ending today and tomorrow, and the longest range."""
    windows = [metrics.window_for_dates(first, last) for first in DAYS for last in DAYS if first <= last]
    windows += [metrics.window_for_period(p, now=NOW) for p in metrics.PERIODS]
    windows += [metrics.window_for_period(p) for p in metrics.PERIODS]
    windows += [metrics.window_for_dates(today - timedelta(days=3), today),
                metrics.window_for_dates(today - timedelta(days=2), today + timedelta(days=1)),
                metrics.window_for_dates(today - timedelta(days=metrics.MAX_RANGE_DAYS - 1), today),
                WINDOWS["longest"]]
    return windows


def _direct(account, window) -> dict:
    out = metrics._postgresql_figures(account=account, window=window, parts=("period", "baseline", "trend"),
                                      direct=True)
    figures = metrics._figures(out["raw"], out["baseline"], window)
    figures["trend"] = metrics._trend(out["trend"], window)
    return figures


def _as_bytes(figures: dict) -> bytes:
    return json.dumps(EscalationAnalyticsSerializer(figures).data).encode()


def assert_same_figures(accounts, *, orm: bool = False):
    today = day_of(timezone.now())
    for account in accounts:
        for window in _windows(today):
            ours = metrics.escalation_analytics(account=account, window=window)
            assert _as_bytes(ours) == _as_bytes(_direct(account, window)), (account.slug, window)
            if orm:
                assert _as_bytes(ours) == _as_bytes(metrics._orm_escalation_analytics(account=account,
                                                                                      window=window))
                assert metrics.daily_trend(account=account, window=window) == ours["trend"]


@pytest.fixture
def recent(acme, acme_tech, acme_senior, acme_admin):
    """Escalations of the last three days (real time), so ranges ending today or tomorrow and the
    real presets have rolled-up days before today and a live today."""
    now = timezone.now()
    for days_ago, claim in ((3, 40.5), (2, 12.25), (2, None), (1, 300.0), (0, 7.0)):
        at = day_start(day_of(now) - timedelta(days=days_ago)) + timedelta(hours=1, minutes=days_ago)
        make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=at, claim_after=claim,
                     act_after=None if claim is None else 3.5, resolve_after=None if claim is None else 60)
    make_handoff(acme, requester=acme_tech, claimer=acme_admin, at=now - timedelta(minutes=1), claim_after=2,
                 act_after=1)


def _stale(account) -> int:
    return len(rollups.stale_days(account_id=account.pk))


def test_rollups_give_the_figures_of_the_direct_statement(history, recent, acme, globex, acme_tech, acme_senior,
                                                          acme_senior2, globex_senior):
    # Never built: every day is stale (the triggers marked each insert), so all of it is live.
    assert _stale(acme) > 0 and not HandoffDay.objects.exists()
    assert_same_figures((acme, globex), orm=True)

    # Built: every day before today comes from its row.
    rollups.refresh_stale()
    assert _stale(acme) == 0 and _stale(globex) == 0
    assert HandoffDay.objects.filter(account=acme, day=date(2025, 3, 2)).get().escalations == 8
    assert_same_figures((acme, globex))

    # Then each kind of write, on days that are built, without refreshing: the days they touch are
    # stale and computed live.
    waiting = Handoff.objects.get(account=acme, created_at=at(3, 12))  # H4, still waiting
    claimed = handoff_claim(handoff=waiting, actor=acme_senior2)
    assert _stale(acme) == 1
    assert_same_figures((acme,))
    record_first_action(session=claimed.session, actor=acme_senior2, at=claimed.claimed_at + timedelta(seconds=42))
    session_resolve(session=PilotSession.objects.get(pk=claimed.session_id), actor=acme_senior2, resolution="Fixed")
    cancelled = make_handoff(acme, requester=acme_tech, at=at(4, 16))
    session_resolve(session=cancelled.session, actor=acme_tech, resolution="Sorted itself out")  # never claimed
    make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=at(5, 23, 59, 59), claim_after=0.5,
                 act_after=0.25, resolve_after=1)  # a new escalation of a built day, at its last second
    Handoff.objects.filter(account=acme, created_at=at(6, 10)).delete()  # H7 gone
    # Resolved later by someone else (after another escalation), straight in the database.
    PilotSession.objects.filter(pk=Handoff.objects.get(account=acme, created_at=at(1, 11)).session_id).update(
        resolved_at=at(9, 8))
    # A hand edit moving an escalation to another day (both days move).
    Handoff.objects.filter(account=acme, created_at=at(3, 9)).update(created_at=at(8, 9))
    # Globex: claimed by the requester's colleague → the requester (a self-claim now).
    Handoff.objects.filter(account=globex).update(claimed_by=globex_senior, requested_by=globex_senior)
    assert _stale(acme) == 6 and _stale(globex) == 1
    assert_same_figures((acme, globex))

    # Refreshed: all built again, the same figures.
    assert rollups.refresh_stale() == 7
    assert _stale(acme) == 0 and _stale(globex) == 0
    assert not HandoffDay.objects.filter(account=acme, day=date(2025, 3, 6)).exists()  # H7 was its only one
    assert_same_figures((acme, globex))


def test_a_built_day_is_read_from_its_row(history, acme):
    """The rollups are really what the statement reads (and a stale day is really recomputed)."""
    window = metrics.window_for_dates(date(2025, 3, 1), date(2025, 3, 7))
    rollups.refresh_stale()
    before = metrics.escalation_analytics(account=acme, window=window)
    HandoffDay.objects.filter(account=acme, day=date(2025, 3, 2)).update(escalations=1000)
    assert metrics.escalation_analytics(account=acme, window=window)["escalations"] == before["escalations"] + 992
    # A change of that day (any write) makes the row untrusted until it is refreshed.
    HandoffChange.objects.create(account_id=acme.pk, created_at=at(2, 12))
    assert metrics.escalation_analytics(account=acme, window=window) == before
    rollups.refresh_stale(account_id=acme.pk)
    assert metrics.escalation_analytics(account=acme, window=window) == before


def _queued_refreshes(account) -> list[str]:
    """The args of the `refresh_account_stale_days` tasks published for `account` (no worker consumes
    them in the tests), on the broker the Celery app uses now (the outbox tests point it at a key
    space of their own for the rest of the session), under any key prefix."""
    client = redis.Redis.from_url(celery_app.conf.broker_url)
    found = []
    for key in client.scan_iter(match=f"*{settings.CELERY_TASK_DEFAULT_QUEUE}", count=1000):
        if client.type(key) != b"list":
            continue
        for raw in client.lrange(key, 0, -1):
            headers = json.loads(raw).get("headers", {})
            if headers.get("task") == "analytics.tasks.refresh_account_stale_days" and str(account.pk) in headers.get(
                    "argsrepr", ""):
                found.append(headers["argsrepr"])
    return found


def test_a_claim_through_the_api_has_a_worker_refresh_its_day_after_commit(
        api, acme, acme_tech, acme_senior, django_capture_on_commit_callbacks):
    yesterday = day_start(day_of(timezone.now()) - timedelta(days=1)) + timedelta(hours=9)
    waiting = make_handoff(acme, requester=acme_tech, at=yesterday)
    rollups.refresh_stale()
    with django_capture_on_commit_callbacks(execute=True):
        assert api(acme_senior).post(f"/api/v1/handoffs/{waiting.pk}/claim").status_code == 200
    # The request only queued the refresh (it reads a whole day): the day is stale, computed live.
    assert _stale(acme) == 1
    assert _queued_refreshes(acme) == [f"('{acme.pk}',)"]
    body = api(acme_senior).get("/api/v1/analytics/escalations?period=7d").json()
    assert (body["escalations"], body["claimed"]) == (1, 1)

    assert refresh_account_stale_days(str(acme.pk)) == 1  # what the worker runs
    assert _stale(acme) == 0
    row = HandoffDay.objects.get(account=acme, day=yesterday.date())
    assert (row.escalations, len(row.ttc_keys)) == (1, 1)
    after = api(acme_senior).get("/api/v1/analytics/escalations?period=7d").json()
    assert {**after, "period": None} == {**body, "period": None}  # the same figures, from the row now


def test_an_escalation_queues_no_refresh(api, acme, acme_tech, django_capture_on_commit_callbacks):
    """A new escalation is today's, always computed live: nothing for a worker to refresh."""
    session = services.session_create(actor=acme_tech, title="t", problem="p")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(acme_tech).post(f"/api/v1/sessions/{session.pk}/escalate", {"reason": "stuck"}, format="json")
    assert response.status_code == 201
    assert _queued_refreshes(acme) == []


def test_the_build_command_and_a_full_rebuild(history, acme, globex):
    assert refresh_stale_days() == 9 + 1  # Acme's days (28 February … 8 March) and Globex's
    HandoffDay.objects.filter(account=acme).update(escalations=0)  # wrong rows (say, built with other days)
    HandoffChange.objects.create(account_id=acme.pk, created_at=at(2, 12))
    out = io.StringIO()
    call_command("build_analytics_rollups", stdout=out)  # the stale day only
    assert out.getvalue().startswith("Refreshed 1 day(s)")
    assert HandoffDay.objects.get(account=acme, day=date(2025, 3, 2)).escalations == 8
    assert HandoffDay.objects.filter(account=acme, escalations=0).count() == 8
    call_command("build_analytics_rollups", "--all", "--account", acme.slug, stdout=out)  # every day
    assert not HandoffDay.objects.filter(escalations=0).exists()
    assert _stale(acme) == 0
    assert_same_figures((acme, globex))


def test_seed_demo_builds_the_rollups_of_its_history_with_the_same_figures(db):
    call_command("seed_demo", stdout=io.StringIO())
    acme, globex = Account.objects.get(slug="acme"), Account.objects.get(slug="globex")
    assert _stale(acme) == 0 and HandoffDay.objects.filter(account=acme).exists()
    today = day_of(timezone.now())
    windows = [metrics.window_for_period(p) for p in metrics.PERIODS]
    windows += [metrics.window_for_dates(last - timedelta(days=days - 1), last)
                for days in (1, 2, 7, 30, 90, metrics.MAX_RANGE_DAYS)
                for last in (today - timedelta(days=1), today, today + timedelta(days=1))]
    for account in (acme, globex):
        for window in windows:
            ours = metrics.escalation_analytics(account=account, window=window)
            assert _as_bytes(ours) == _as_bytes(_direct(account, window)), (account.slug, window)
    assert metrics.escalation_analytics(account=acme, window=windows[1])["escalations"] > 0


@pytest.fixture(params=[1, 2, 3, 8])
def stride(request, monkeypatch):
    """`metrics.MERGE_STRIDE`: small strides bracket the percentiles on the test's few keys a day
    (at 8 most days have no sample: the bracket is every key)."""
    monkeypatch.setattr(metrics, "MERGE_STRIDE", request.param)
    metrics._postgresql_statement.cache_clear()
    yield request.param
    metrics._postgresql_statement.cache_clear()


def test_merged_percentiles_are_the_sorted_unions_whatever_the_stride(history, recent, acme, globex, acme_tech,
                                                                      acme_senior, stride):
    """Days with many keys, ties among them (the same claim time on several days), built and not."""
    for day in range(1, 7):
        for i in range(3 + 3 * day):
            make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=at(day, 13, i),
                         claim_after=(30, 45, 60)[i % 3], act_after=None if i % 4 == 0 else 10.5 * (i % 5),
                         resolve_after=30 if i % 2 else None)
    assert_same_figures((acme,))
    rollups.refresh_stale()
    assert_same_figures((acme, globex))
