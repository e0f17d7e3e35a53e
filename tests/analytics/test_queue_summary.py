from datetime import UTC, datetime, timedelta

from analytics.metrics import queue_summary
from tests.analytics.builders import make_handoff

NOW = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)


def test_no_claims_gives_nulls_and_zero(acme):
    assert queue_summary(account=acme, now=NOW) == {
        "today": {"median_time_to_claim_seconds": None, "median_time_to_first_action_seconds": None, "claimed": 0},
        "period": {"median_time_to_claim_seconds": None, "median_time_to_first_action_seconds": None, "claimed": 0},
    }


def test_today_and_last_seven_days_by_claim_time(acme, globex, acme_tech, acme_senior, globex_senior, globex_tech):
    today = NOW.replace(hour=9)
    # Today: claims after 60 s and 120 s; first actions 30 s and (never).
    make_handoff(acme, requester=acme_tech, at=today, claimer=acme_senior, claim_after=60, act_after=30)
    make_handoff(acme, requester=acme_tech, at=today, claimer=acme_senior, claim_after=120)
    # Escalated yesterday evening, claimed today after 10 h: counts today (claim time cohort).
    make_handoff(acme, requester=acme_tech, at=NOW.replace(hour=0) - timedelta(hours=2), claimer=acme_senior,
                 claim_after=36_000, act_after=90)
    # Three days ago: 300 s to claim, 60 s to act.
    make_handoff(acme, requester=acme_tech, at=NOW - timedelta(days=3), claimer=acme_senior,
                 claim_after=300, act_after=60)
    # Eight days ago: outside the 7-day window.
    make_handoff(acme, requester=acme_tech, at=NOW - timedelta(days=8), claimer=acme_senior,
                 claim_after=5, act_after=5)
    # Unclaimed, a self-claim, and another account's claim: none of them counts.
    make_handoff(acme, requester=acme_tech, at=today)
    make_handoff(acme, requester=acme_senior, at=today, claimer=acme_senior, claim_after=1, act_after=1)
    make_handoff(globex, requester=globex_tech, at=today, claimer=globex_senior, claim_after=1, act_after=1)

    summary = queue_summary(account=acme, now=NOW)

    assert summary["today"] == {"median_time_to_claim_seconds": 120.0,
                                "median_time_to_first_action_seconds": 60.0, "claimed": 3}
    assert summary["period"] == {"median_time_to_claim_seconds": 210.0,
                                 "median_time_to_first_action_seconds": 60.0, "claimed": 4}


def test_one_query(acme, django_assert_num_queries):
    with django_assert_num_queries(1):
        queue_summary(account=acme, now=NOW)
