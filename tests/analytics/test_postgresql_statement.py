"""On PostgreSQL the endpoint's figures are one statement (`metrics._postgresql_statement`); the ORM
queries (`metrics._orm_escalation_analytics`, what SQLite runs) must give exactly the same payload."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import metrics
from escalations.models import Handoff
from tests.analytics.builders import make_handoff
from tests.analytics.history import FIRST_DAY, LAST_DAY, add_baseline, build_week

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
