"""/analytics/escalations: the page staff read, and its CSV export."""

import re

import pytest

from tests.analytics.history import RANGE, add_baseline, build_week

PAGE = "/analytics/escalations"


@pytest.fixture
def week(acme, globex, acme_tech, acme_senior, acme_senior2, acme_admin, globex_tech, globex_senior):
    build_week(acme=acme, globex=globex, tech=acme_tech, senior=acme_senior, senior2=acme_senior2, admin=acme_admin,
               globex_tech=globex_tech, globex_senior=globex_senior)


def text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_staff_see_headline_figures_with_their_sample_counts(client, acme_senior, week):
    client.force_login(acme_senior)
    response = client.get(f"{PAGE}?{RANGE}")
    assert response.status_code == 200
    page = text(response)
    assert "Mar 1, 2025 – Mar 7, 2025 (UTC), 7 days" in page
    assert "Escalations 7 7.0 per week" in page
    assert "Conversion rate 50% 2 of 4 claimed escalations resolved" in page
    assert "Median time to claim 3 min 30 s p90 12 min · 4 samples" in page
    assert "Median time to first action 1 min after the claim · p90 3 min 24 s · 3 samples" in page
    assert ("Manual baseline — the old verbal handoff, request for help → engineer starts working · "
            "median of 0 stopwatch samples") in page


def test_the_trend_chart_is_an_accessible_svg_with_a_data_table(client, acme_senior, week):
    client.force_login(acme_senior)
    html = client.get(f"{PAGE}?{RANGE}").content.decode()
    assert 'role="img" aria-labelledby="trend-title trend-desc"' in html
    assert ('<title id="trend-title">Escalations per day and median time to first action, '
            "2025-03-01 to 2025-03-07</title>") in html
    assert ("7 days from 2025-03-01 to 2025-03-07: 7 escalations, the most on 2025-03-01 (2). The daily median "
            "time to first action ranged from 0.8 to 4.0 minutes over 2 days with a sample.") in html
    assert html.count('<rect class="bar"') == 7
    assert html.count('<circle class="point"') == 2
    rows = re.findall(r'<tr><th scope="row">(2025-03-0\d)</th><td>(\d+)</td><td>([^<]+)</td></tr>', html)
    assert rows == [("2025-03-01", "2", "45 s"), ("2025-03-02", "0", "—"), ("2025-03-03", "2", "—"),
                    ("2025-03-04", "1", "—"), ("2025-03-05", "1", "—"), ("2025-03-06", "1", "4 min"),
                    ("2025-03-07", "0", "—")]


def test_too_few_baseline_samples_say_how_many_more(client, acme, acme_senior, week):
    add_baseline(acme, [300, 420, 480])
    client.force_login(acme_senior)
    page = text(client.get(f"{PAGE}?{RANGE}"))
    assert "Record 2 more stopwatch samples of escalations done the old way (3 of 5 recorded)" in page
    assert "minutes recovered per escalation ·" not in page


def test_the_minutes_recovered_panel_spells_out_its_inputs(client, acme, acme_senior, week):
    add_baseline(acme, [300, 420, 480, 600, 900])
    client.force_login(acme_senior)
    page = text(client.get(f"{PAGE}?{RANGE}"))
    assert "7.00 minutes recovered per escalation · 0.82 hours saved per week" in page
    assert ("Manual baseline (median) 8 min the old verbal handoff timed by stopwatch, request for help → "
            "engineer starts working; 5 samples, entered by admins") in page
    assert ("− In-product time to first action (median) 1 min claim → the engineer's first action, measured by "
            "the product; 3 escalations") in page
    # The values above are shown in minutes: nothing is divided by 60 but the minutes per week.
    assert "= Minutes recovered per escalation 7.00 baseline − in-product, in minutes" in page
    assert "× Escalations per week 7.00 7 in 7 days × 7 ÷ 7" in page
    assert ("= Hours saved per week 0.82 7.00 minutes × 7.00 per week ÷ 60 minutes per hour: "
            "the pilot's kill-switch figure") in page
    assert page.count("÷ 60") == 1


def test_the_two_metrics_are_described_apart(client, acme_senior, week):
    """The baseline is the old verbal handoff (request → engineer starts, by stopwatch); the
    product measures claim → first action. The page never calls the baseline "first action"."""
    client.force_login(acme_senior)
    page = text(client.get(f"{PAGE}?{RANGE}"))
    assert ("Stopwatch timings of the old verbal handoff — the \"tell me what you tried\" call — from the "
            "technician's request for help until the engineer starts working on it, the old way.") in page
    assert ("a different, in-product figure: the time from the claim to the engineer's first action, which "
            "ResolutionFlow measures itself") in page
    assert "from the request for help to the engineer's first action" not in page


def test_the_period_selector_marks_the_current_period(client, acme_senior):
    client.force_login(acme_senior)
    html = client.get(f"{PAGE}?period=7d").content.decode()
    assert '<a href="?period=7d" aria-current="true">7 days</a>' in html
    assert 'href="/analytics/escalations.csv?period=7d"' in html


def test_a_bad_period_is_a_400_with_the_message(client, acme_senior):
    client.force_login(acme_senior)
    response = client.get(f"{PAGE}?period=forever")
    assert response.status_code == 400
    assert "Use one of 7d, 30d or 90d" in response.content.decode()


def test_admins_get_the_baseline_form_engineers_do_not(client, acme_senior, acme_admin):
    client.force_login(acme_admin)
    assert 'action="/analytics/escalations/baseline"' in client.get(PAGE).content.decode()
    client.force_login(acme_senior)
    html = client.get(PAGE).content.decode()
    assert 'action="/analytics/escalations/baseline"' not in html
    assert "An account admin records them." in html


# --- CSV ------------------------------------------------------------------------------------------

def test_csv_export_of_the_daily_series(client, acme_senior, week):
    client.force_login(acme_senior)
    response = client.get(f"/analytics/escalations.csv?{RANGE}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="escalations-2025-03-01-2025-03-07.csv"'
    assert response.content.decode().splitlines() == [
        "date,escalations,median_time_to_first_action_seconds",
        "2025-03-01,2,45",
        "2025-03-02,0,",
        "2025-03-03,2,",
        "2025-03-04,1,",
        "2025-03-05,1,",
        "2025-03-06,1,240",
        "2025-03-07,0,",
    ]


def test_csv_of_a_preset_period_has_one_row_per_day(client, acme_senior):
    client.force_login(acme_senior)
    lines = client.get("/analytics/escalations.csv?period=90d").content.decode().splitlines()
    assert len(lines) == 91


def test_csv_with_bad_values_is_a_400_with_the_message(client, acme_senior):
    client.force_login(acme_senior)
    response = client.get("/analytics/escalations.csv?start=2025-03-09&end=2025-03-01")
    assert response.status_code == 400
    assert response.content.decode() == "end: end must be on or after start."
