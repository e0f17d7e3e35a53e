"""Every query parameter of the API and the pages is bounded: garbage is a 400 with a message
(or ignored where that is documented), never a 500 (issue #10, item 3)."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from tests.helpers import make_session

ANALYTICS = "/api/v1/analytics/escalations"


def _tomorrow():
    return timezone.now().astimezone(UTC).date() + timedelta(days=1)


# --- Analytics: dates ---------------------------------------------------------------------------

def test_dates_far_in_the_future_are_a_400_naming_both_fields(api, acme_senior):
    response = api(acme_senior).get(ANALYTICS, {"start": "9999-12-31", "end": "9999-12-31"})
    assert response.status_code == 400
    message = f"Use a date between 2000-01-01 and {_tomorrow().isoformat()}."
    assert response.json() == {"start": [message], "end": [message]}


@pytest.mark.parametrize("start, end, field", [
    ("1999-12-31", "2000-01-05", "start"),
    ("0001-01-01", "2000-01-02", "start"),
    ("2025-01-01", "9999-12-31", "end"),
])
def test_a_date_outside_2000_to_tomorrow_is_a_400(api, acme_senior, start, end, field):
    response = api(acme_senior).get(ANALYTICS, {"start": start, "end": end})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith("Use a date between 2000-01-01 and ")


def test_the_bounds_themselves_are_accepted(api, acme_senior):
    client = api(acme_senior)
    assert client.get(ANALYTICS, {"start": "2000-01-01", "end": "2000-01-01"}).status_code == 200
    tomorrow = _tomorrow().isoformat()
    response = client.get(ANALYTICS, {"start": tomorrow, "end": tomorrow})
    assert response.status_code == 200
    assert response.json()["trend"][0]["escalations"] == 0
    day_after = (_tomorrow() + timedelta(days=1)).isoformat()
    assert client.get(ANALYTICS, {"start": tomorrow, "end": day_after}).status_code == 400


@pytest.mark.parametrize("query", [
    {"start": "99999-01-01", "end": "2025-01-01"},
    {"start": "2025-01-01\x00", "end": "2025-01-02"},
    {"start": "-2025-01-01", "end": "2025-01-02"},
    {"period": "\x00"},
    {"period": "9" * 400},
])
def test_garbage_dates_and_periods_are_a_400(api, acme_senior, query):
    assert api(acme_senior).get(ANALYTICS, query).status_code == 400


def test_the_analytics_page_explains_bad_dates_with_a_400(client, acme_senior):
    client.force_login(acme_senior)
    response = client.get("/analytics/escalations?start=9999-12-31&end=9999-12-31")
    assert response.status_code == 400
    assert "Use a date between 2000-01-01 and" in response.content.decode()


def test_the_analytics_csv_explains_bad_dates_with_a_400(client, acme_senior):
    client.force_login(acme_senior)
    response = client.get("/analytics/escalations.csv?start=9999-12-31&end=9999-12-31")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("start: Use a date between 2000-01-01 and")


# --- Lists: filters and pages -------------------------------------------------------------------

@pytest.mark.parametrize("query, field", [
    ({"status": "bogus"}, "status"),
    ({"status": "active\x00"}, "status"),
    ({"owner": "not-a-uuid"}, "owner"),
    ({"owner": "\x00"}, "owner"),
])
def test_session_filters_reject_garbage_with_a_400(api, acme_tech, query, field):
    response = api(acme_tech).get("/api/v1/sessions", query)
    assert response.status_code == 400
    assert field in response.json()


def test_the_handoff_queue_state_must_be_one_of_three(api, acme_senior):
    response = api(acme_senior).get("/api/v1/handoffs", {"state": "open\x00"})
    assert response.status_code == 400
    assert response.json() == {"state": ["Must be one of unclaimed, claimed, all."]}


@pytest.mark.parametrize("value", ["maybe", "2", "\x00", "tru"])
def test_the_unread_filter_is_true_or_false(api, acme_tech, value):
    response = api(acme_tech).get("/api/v1/notifications", {"unread": value})
    assert response.status_code == 400
    assert response.json() == {"unread": ["Use true or false."]}


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "false", "0", "no", ""])
def test_the_unread_filter_accepts_booleans(api, acme_tech, value):
    assert api(acme_tech).get("/api/v1/notifications", {"unread": value}).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/sessions", "/api/v1/handoffs", "/api/v1/notifications", "/api/v1/webhooks"])
@pytest.mark.parametrize("page", ["0", "-1", "abc", "9" * 40, "2"])
def test_a_page_beyond_the_list_or_not_a_page_is_a_404(api, acme_admin, url, page):
    response = api(acme_admin).get(url, {"page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_clients_cannot_choose_the_page_size(api, acme_tech):
    client = api(acme_tech)
    for _ in range(51):
        make_session(client)
    body = client.get("/api/v1/sessions", {"page_size": "100000", "limit": "100000"}).json()
    assert body["count"] == 51 and len(body["results"]) == 50


def test_the_sessions_page_ignores_an_unknown_status_tab(client, acme_tech):
    client.force_login(acme_tech)
    assert client.get("/sessions/", {"status": "bogus\x00"}).status_code == 200
