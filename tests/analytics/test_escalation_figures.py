"""GET /api/v1/analytics/escalations: exact figures for known histories."""

import pytest

from tests.analytics.history import RANGE, add_baseline, build_week

URL = "/api/v1/analytics/escalations"


@pytest.fixture
def week(acme, globex, acme_tech, acme_senior, acme_senior2, acme_admin, globex_tech, globex_senior):
    build_week(acme=acme, globex=globex, tech=acme_tech, senior=acme_senior, senior2=acme_senior2, admin=acme_admin,
               globex_tech=globex_tech, globex_senior=globex_senior)


def get(api, user, query=RANGE):
    response = api(user).get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_an_account_without_escalations_gets_zeros_and_nulls(api, acme_senior):
    body = get(api, acme_senior)
    assert body == {
        "period": {"start": "2025-03-01T00:00:00Z", "end": "2025-03-08T00:00:00Z"},
        "escalations": 0, "claimed": 0, "resolved_after_claim": 0, "conversion_rate": None,
        "time_to_claim": {"median_seconds": None, "p90_seconds": None, "samples": 0},
        "time_to_first_action": {"median_seconds": None, "p90_seconds": None, "samples": 0},
        "manual_baseline": {"median_seconds": None, "samples": 0},
        "minutes_recovered_per_escalation": None, "baseline_samples_needed": 5, "hours_saved_per_week": None,
        "trend": [{"date": f"2025-03-0{d}", "escalations": 0, "median_time_to_first_action_seconds": None}
                  for d in range(1, 8)],
    }


def test_counts_and_timings_of_a_known_week(api, acme_senior, week):
    body = get(api, acme_senior)
    assert body["period"] == {"start": "2025-03-01T00:00:00Z", "end": "2025-03-08T00:00:00Z"}
    assert body["escalations"] == 7
    assert body["claimed"] == 4
    assert body["resolved_after_claim"] == 2
    assert body["conversion_rate"] == 0.5
    assert body["time_to_claim"] == {"median_seconds": 210.0, "p90_seconds": 720.0, "samples": 4}
    assert body["time_to_first_action"] == {"median_seconds": 60.0, "p90_seconds": 204.0, "samples": 3}


def test_the_daily_trend_covers_every_day_with_its_own_median(api, acme_senior, week):
    assert get(api, acme_senior)["trend"] == [
        {"date": "2025-03-01", "escalations": 2, "median_time_to_first_action_seconds": 45.0},
        {"date": "2025-03-02", "escalations": 0, "median_time_to_first_action_seconds": None},
        {"date": "2025-03-03", "escalations": 2, "median_time_to_first_action_seconds": None},
        {"date": "2025-03-04", "escalations": 1, "median_time_to_first_action_seconds": None},
        {"date": "2025-03-05", "escalations": 1, "median_time_to_first_action_seconds": None},
        {"date": "2025-03-06", "escalations": 1, "median_time_to_first_action_seconds": 240.0},
        {"date": "2025-03-07", "escalations": 0, "median_time_to_first_action_seconds": None},
    ]


def test_fewer_than_five_baseline_samples_say_how_many_more_instead_of_a_number(api, acme, acme_senior, week):
    add_baseline(acme, [300, 420, 480, 600])
    body = get(api, acme_senior)
    assert body["manual_baseline"] == {"median_seconds": 450.0, "samples": 4}
    assert body["minutes_recovered_per_escalation"] is None
    assert body["hours_saved_per_week"] is None
    assert body["baseline_samples_needed"] == 1


def test_exactly_five_baseline_samples_give_minutes_recovered_and_hours_saved(api, acme, acme_senior, week):
    add_baseline(acme, [300, 420, 480, 600, 900])
    body = get(api, acme_senior)
    assert body["manual_baseline"] == {"median_seconds": 480.0, "samples": 5}
    assert body["baseline_samples_needed"] == 0
    # (480 − 60) / 60 = 7.0 minutes; 7 escalations in 7 days = 7 a week; 7.0 × 7 / 60 = 0.8167 h.
    assert body["minutes_recovered_per_escalation"] == 7.0
    assert body["hours_saved_per_week"] == 0.82


def test_hours_saved_follow_the_escalations_per_week_of_the_range(api, acme, acme_senior, week):
    add_baseline(acme, [300, 420, 480, 600, 900])
    # Two weeks: H1–H7 plus the escalation of March 8 (acted on after 1 s) → 8 escalations,
    # 4 a week; first actions 1, 30, 60, 240 → median 45; (480 − 45) / 60 = 7.25 minutes;
    # 7.25 × 4 / 60 = 0.4833 hours.
    body = get(api, acme_senior, "start=2025-03-01&end=2025-03-14")
    assert body["escalations"] == 8
    assert body["time_to_first_action"]["median_seconds"] == 45.0
    assert body["minutes_recovered_per_escalation"] == 7.25
    assert body["hours_saved_per_week"] == 0.48
    assert len(body["trend"]) == 14


def test_baseline_without_in_product_samples_gives_no_number(api, acme, acme_senior, acme_tech):
    add_baseline(acme, [300, 420, 480, 600, 900])
    body = get(api, acme_senior)
    assert body["baseline_samples_needed"] == 0
    assert body["minutes_recovered_per_escalation"] is None
    assert body["hours_saved_per_week"] is None


def test_another_accounts_handoffs_and_baseline_never_count(api, globex, globex_senior, acme, week):
    add_baseline(acme, [300, 420, 480, 600, 900])
    add_baseline(globex, [60, 60])
    body = get(api, globex_senior)
    assert body["escalations"] == 3
    assert body["claimed"] == 3
    assert body["time_to_first_action"] == {"median_seconds": 1.0, "p90_seconds": 1.0, "samples": 3}
    assert body["manual_baseline"] == {"median_seconds": 60.0, "samples": 2}
    assert body["baseline_samples_needed"] == 3


def test_a_self_claim_is_an_escalation_but_not_a_claim_or_a_timing(api, acme, acme_senior):
    from datetime import UTC, datetime

    from tests.analytics.builders import make_handoff

    make_handoff(acme, requester=acme_senior, at=datetime(2025, 3, 2, 9, tzinfo=UTC), claimer=acme_senior,
                 claim_after=5, act_after=5, resolve_after=10)
    body = get(api, acme_senior)
    assert body["escalations"] == 1
    assert body["claimed"] == 0
    assert body["resolved_after_claim"] == 0
    assert body["conversion_rate"] is None
    assert body["time_to_claim"]["samples"] == 0
    assert body["time_to_first_action"]["samples"] == 0
