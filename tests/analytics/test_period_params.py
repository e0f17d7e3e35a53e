"""Period selection: presets, explicit dates, and bad values (400 with a message, never a 500)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

URL = "/api/v1/analytics/escalations"


@pytest.mark.parametrize("period, days", [("7d", 7), ("30d", 30), ("90d", 90), (None, 30)])
def test_presets_cover_whole_utc_days_up_to_now(api, acme_senior, period, days):
    before = timezone.now()
    body = api(acme_senior).get(URL, {"period": period} if period else {}).json()
    after = timezone.now()
    today = before.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    assert body["period"]["start"] == f"{first.isoformat()}T00:00:00Z"
    end = datetime.fromisoformat(body["period"]["end"].replace("Z", "+00:00"))
    assert before <= end <= after
    assert [p["date"] for p in body["trend"]] == [(first + timedelta(days=i)).isoformat() for i in range(days)]


def test_explicit_dates_take_precedence_over_the_period(api, acme_senior):
    body = api(acme_senior).get(URL, {"period": "7d", "start": "2025-01-30", "end": "2025-02-02"}).json()
    assert body["period"] == {"start": "2025-01-30T00:00:00Z", "end": "2025-02-03T00:00:00Z"}
    assert len(body["trend"]) == 4


def test_a_single_day_range(api, acme_senior):
    body = api(acme_senior).get(URL, {"start": "2025-01-30", "end": "2025-01-30"}).json()
    assert [p["date"] for p in body["trend"]] == ["2025-01-30"]


@pytest.mark.parametrize("query, field, message", [
    ({"period": "1y"}, "period", "Use one of 7d, 30d or 90d (or give start and end dates)."),
    ({"period": "7D"}, "period", "Use one of 7d, 30d or 90d (or give start and end dates)."),
    ({"start": "2025-02-30", "end": "2025-03-01"}, "start", None),
    ({"start": "yesterday", "end": "2025-03-01"}, "start", None),
    ({"start": "2025-03-01"}, "end", "Give both start and end (YYYY-MM-DD)."),
    ({"end": "2025-03-01"}, "start", "Give both start and end (YYYY-MM-DD)."),
    ({"start": "2025-03-02", "end": "2025-03-01"}, "end", "end must be on or after start."),
    ({"start": "2024-01-01", "end": "2025-01-01"}, "end", "A range covers at most 366 days."),
    ({"start": "2025-03-01T10:00:00", "end": "2025-03-02"}, "start", None),
])
def test_bad_values_are_a_400_naming_the_field(api, acme_senior, query, field, message):
    response = api(acme_senior).get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    if message:
        assert body[field] == [message]
    else:
        assert "format" in body[field][0]


def test_the_longest_range_is_accepted(api, acme_senior):
    response = api(acme_senior).get(URL, {"start": "2024-01-01", "end": "2024-12-31"})
    assert response.status_code == 200
    assert len(response.json()["trend"]) == 366
