"""The pilot verdict: weeks since the first escalation, and hours saved per week above 1.0 —
at week 8 or later and not above, the wedge is revisited."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from analytics.metrics import pilot_scorecard, pilot_verdict, platform_verdict
from tests.analytics.builders import make_handoff
from tests.analytics.history import add_baseline

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def run_pilot(account, *, requester, claimer, first_days_ago: float, baseline: list[int], recent: int = 30,
              now=NOW):
    """The first escalation `first_days_ago`, then `recent` escalations in the last 30 days, each
    acted on 60 s after its claim. With 30 recent escalations: 7 a week."""
    make_handoff(account, requester=requester, at=now - timedelta(days=first_days_ago), claimer=claimer,
                 claim_after=30, act_after=60)
    for i in range(recent):
        make_handoff(account, requester=requester, at=now - timedelta(hours=i + 1), claimer=claimer,
                     claim_after=30, act_after=60)
    add_baseline(account, baseline)


def test_no_escalations_yet(acme):
    verdict = pilot_verdict(account=acme, now=NOW)
    assert (verdict.status, verdict.weeks) == ("not_started", None)
    assert verdict.headline == "No escalations yet: the pilot clock starts at the first one."


def test_early_weeks_without_a_baseline(acme, acme_tech, acme_senior):
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=21.5, baseline=[])
    verdict = pilot_verdict(account=acme, now=NOW)
    assert (verdict.status, verdict.weeks, verdict.hours_saved_per_week) == ("too_early", 3, None)
    assert verdict.headline == ("Week 3 of 8: no hours-saved figure (5 more baseline samples needed), "
                                "not above 1.0 yet. 5 weeks until the verdict.")


def test_week_eight_and_not_above_one_hour_says_revisit(acme, acme_tech, acme_senior):
    # 4 escalations in the last 30 days: 4 × 7 / 30 = 0.933 a week; (900 − 60) / 60 = 14 minutes
    # recovered → 14 × 0.933 / 60 = 0.22 hours.
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=56, baseline=[900] * 5, recent=4)
    verdict = pilot_verdict(account=acme, now=NOW)
    assert (verdict.status, verdict.weeks, verdict.hours_saved_per_week) == ("revisit", 8, 0.22)
    assert verdict.headline == ("Week 8: 0.22 hours saved per week, not above 1.0. "
                                "Revisit the wedge: Escalation Mode is not saving enough time.")


def test_a_day_short_of_week_eight_is_still_too_early(acme, acme_tech, acme_senior):
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=55.9, baseline=[900] * 5, recent=4)
    verdict = pilot_verdict(account=acme, now=NOW)
    assert (verdict.status, verdict.weeks) == ("too_early", 7)
    assert verdict.headline.endswith("1 week until the verdict.")


def test_exactly_one_hour_is_not_above_one(acme, acme_tech, acme_senior):
    # (574 − 60) / 60 = 8.567 minutes × 7 a week / 60 = 0.9994 → 1.00, which is not above 1.0.
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=70, baseline=[574] * 5)
    verdict = pilot_verdict(account=acme, now=NOW)
    assert (verdict.status, verdict.hours_saved_per_week) == ("revisit", 1.0)


def test_above_one_hour_is_working(acme, acme_tech, acme_senior):
    # (900 − 60) / 60 = 14 minutes × 7 a week / 60 = 1.63 hours.
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=70, baseline=[900] * 5)
    verdict = pilot_verdict(account=acme, now=NOW)
    assert (verdict.status, verdict.weeks, verdict.hours_saved_per_week) == ("above_target", 10, 1.63)
    assert verdict.headline == "Week 10: 1.63 hours saved per week, above the 1.0 target. The wedge is working."


def test_week_eight_without_a_baseline_is_revisit_too(acme, acme_tech, acme_senior):
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=60, baseline=[900, 900])
    verdict = pilot_verdict(account=acme, now=NOW)
    assert verdict.status == "revisit"
    assert "no hours-saved figure (3 more baseline samples needed)" in verdict.headline


# --- The operator's scorecard ---------------------------------------------------------------------

@pytest.fixture
def two_pilots(acme, globex, acme_tech, acme_senior, globex_tech, globex_senior):
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=70, baseline=[900] * 5)
    run_pilot(globex, requester=globex_tech, claimer=globex_senior, first_days_ago=63, baseline=[900] * 5, recent=4)


def test_the_scorecard_has_every_accounts_verdict_from_their_own_data(acme, globex, two_pilots):
    verdicts = {v.account.name: v for v in pilot_scorecard(now=NOW)}
    assert {name: (v.status, v.weeks, v.hours_saved_per_week) for name, v in verdicts.items()} == {
        "Acme MSP": ("above_target", 10, 1.63),
        "Globex IT": ("revisit", 9, 0.22),
    }
    # The grouped queries give what the per-account selector gives.
    for account in (acme, globex):
        assert verdicts[account.name].figures == {**pilot_verdict(account=account, now=NOW).figures, "trend": []}


def test_one_account_above_target_keeps_the_wedge(two_pilots):
    assert platform_verdict(pilot_scorecard(now=NOW)) == "keep"


def test_no_account_above_target_at_week_eight_revisits_the_wedge(globex, globex_tech, globex_senior, acme):
    run_pilot(globex, requester=globex_tech, claimer=globex_senior, first_days_ago=63, baseline=[900] * 5, recent=4)
    verdicts = pilot_scorecard(now=NOW)
    assert [v.status for v in verdicts] == ["not_started", "revisit"]
    assert platform_verdict(verdicts) == "revisit"


def test_the_scorecard_takes_four_queries_whatever_the_number_of_accounts(two_pilots, django_assert_num_queries):
    with django_assert_num_queries(4):
        pilot_scorecard(now=NOW)


def test_the_operator_page_shows_every_account_side_by_side(client, acme, globex, acme_tech, acme_senior,
                                                           globex_tech, globex_senior):
    now = datetime.now(UTC)
    run_pilot(acme, requester=acme_tech, claimer=acme_senior, first_days_ago=70, baseline=[900] * 5, now=now)
    run_pilot(globex, requester=globex_tech, claimer=globex_senior, first_days_ago=63, baseline=[900] * 5, recent=4,
              now=now)
    client.force_login(User.objects.create_superuser("ops@platform.test", "pw-operator-1"))
    html = client.get("/analytics/pilots").content.decode()
    assert "Acme MSP" in html and "Globex IT" in html
    assert "Revisit the wedge" in html and "Above target" in html
    assert "the wedge is working" in html
    # The operator has no account, hence no role in one.
    assert "Platform operator" in html and "Technician" not in html


def test_the_account_page_says_plainly_to_revisit_the_wedge(client, globex, globex_tech, globex_senior):
    make_handoff(globex, requester=globex_tech, at=datetime.now(UTC) - timedelta(days=60), claimer=globex_senior,
                 claim_after=30, act_after=60)
    client.force_login(globex_senior)
    html = client.get("/analytics/escalations").content.decode()
    assert "Revisit the wedge: Escalation Mode is not saving enough time." in html
    assert "verdict-revisit" in html


def test_a_platform_operator_opening_the_account_page_goes_to_the_scorecard(client, db):
    client.force_login(User.objects.create_superuser("ops@platform.test", "pw-operator-1"))
    response = client.get("/analytics/escalations")
    assert (response.status_code, response["Location"]) == (302, "/analytics/pilots")
