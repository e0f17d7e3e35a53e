"""The endpoint's query count is fixed: it does not grow with handoffs, days or samples."""

import pytest
from django.db import connection

from analytics import rollups
from tests.analytics.history import RANGE, add_baseline, build_week

URL = "/api/v1/analytics/escalations"
# Authentication 1 (the token with its user and account) + at most once a minute its last-used
# UPDATE 1 + the figures: on PostgreSQL one statement (the rollups merged, stale days and today
# live: still one), on SQLite the period's aggregates, its resolved-after-claim count, the
# baseline, the daily trend 4.
MAX_QUERIES = 3 if connection.vendor == "postgresql" else 6


def test_an_empty_account(api, acme_senior, django_assert_max_num_queries):
    client = api(acme_senior)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"{URL}?period=90d").status_code == 200


@pytest.mark.parametrize("built", [False, True], ids=["stale days", "rollups built"])
@pytest.mark.parametrize("weeks", [1, 3])
def test_a_busy_account(api, acme, globex, acme_tech, acme_senior, acme_senior2, acme_admin, globex_tech,
                        globex_senior, django_assert_max_num_queries, weeks, built):
    for _ in range(weeks):
        build_week(acme=acme, globex=globex, tech=acme_tech, senior=acme_senior, senior2=acme_senior2,
                   admin=acme_admin, globex_tech=globex_tech, globex_senior=globex_senior)
    add_baseline(acme, [300] * 7 * weeks)
    if built:
        rollups.refresh_stale()
    client = api(acme_senior)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"{URL}?{RANGE}")
    assert response.json()["escalations"] == 7 * weeks
