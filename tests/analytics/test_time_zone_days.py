"""Analytics days are the account's days (issue #11): an MSP in Sydney sees its Monday as one bar.

Across a daylight-saving change the local day is 23 or 25 hours; the rollups, the statement that
merges them, the direct statement, the ORM queries and a hand-written GROUP BY in the zone all
agree, and changing the account's zone rebuilds its rollups in the new zone."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from accounts.time_zone_services import account_time_zone_update
from analytics import metrics, rollups
from analytics.models import HandoffDay
from tests.analytics.builders import make_handoff

SYDNEY = "Australia/Sydney"
# Sydney leaves daylight saving on 5 April 2026 at 03:00 AEDT (16:00 UTC on the 4th): the clocks go
# back to 02:00 AEST, so 5 April is 25 hours long, from 13:00 UTC on the 4th to 14:00 UTC on the 5th.
SYDNEY_CREATED = [
    datetime(2026, 4, 4, 12, 30, tzinfo=UTC),  # 4 Apr 23:30 AEDT
    datetime(2026, 4, 4, 13, 30, tzinfo=UTC),  # 5 Apr 00:30 AEDT (still the 4th in UTC)
    datetime(2026, 4, 4, 15, 30, tzinfo=UTC),  # 5 Apr 02:30 AEDT, the first 02:30
    datetime(2026, 4, 4, 16, 30, tzinfo=UTC),  # 5 Apr 02:30 AEST, the second one
    datetime(2026, 4, 5, 13, 30, tzinfo=UTC),  # 5 Apr 23:30 AEST, the 25th hour
    datetime(2026, 4, 5, 14, 30, tzinfo=UTC),  # 6 Apr 00:30 AEST (still the 5th in UTC)
]
SYDNEY_DAYS = {date(2026, 4, 4): 1, date(2026, 4, 5): 4, date(2026, 4, 6): 1}
RANGE = "start=2026-04-04&end=2026-04-06"


@pytest.fixture
def sydney_history(acme, acme_tech, acme_senior):
    for i, at in enumerate(SYDNEY_CREATED):
        make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=at, claim_after=30 + i, act_after=60 + i,
                     resolve_after=600)


def _set_zone(account, name, admin):
    account_time_zone_update(actor=admin, time_zone=name)
    account.refresh_from_db()


def _local_day_counts(account, zone):
    """The reference: a GROUP BY the local day written by hand."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (created_at AT TIME ZONE %s)::date, COUNT(*) FROM escalations_handoff"
                       " WHERE account_id = %s GROUP BY 1", [zone, account.pk])
        return dict(cursor.fetchall())


def _trend_counts(body):
    return {point["date"]: point["escalations"] for point in body["trend"] if point["escalations"]}


def test_escalations_either_side_of_the_dst_change_land_on_their_local_days(acme, acme_admin, sydney_history):
    _set_zone(acme, SYDNEY, acme_admin)
    window = metrics.window_for_dates(date(2026, 4, 4), date(2026, 4, 6), time_zone=SYDNEY)
    assert window.days == 3
    # 4 Apr starts at local midnight AEDT, 7 Apr (the end) at local midnight AEST: 24 + 25 + 24 hours.
    assert window.start == datetime(2026, 4, 3, 13, tzinfo=UTC)
    assert window.end == datetime(2026, 4, 6, 14, tzinfo=UTC)
    assert (window.end - window.start).total_seconds() == 73 * 3600

    body = metrics.escalation_analytics(account=acme, window=window)
    assert body["escalations"] == 6
    assert [p["date"] for p in body["trend"]] == [date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6)]
    assert _trend_counts(body) == SYDNEY_DAYS == _local_day_counts(acme, SYDNEY)
    assert body == metrics._orm_escalation_analytics(account=acme, window=window)


def test_the_rollups_are_rebuilt_in_the_new_zone_and_stay_exact(acme, acme_admin, sydney_history):
    rollups.refresh_stale()
    # Built in UTC: 4 April holds four of them, 5 April two.
    assert dict(HandoffDay.objects.filter(account=acme).values_list("day", "escalations")) == {
        date(2026, 4, 4): 4, date(2026, 4, 5): 2}

    _set_zone(acme, SYDNEY, acme_admin)
    # The zone change marked the account's days stale in its own transaction: nothing is read from
    # the UTC rows, the figures are exact before any rebuild...
    assert {day for _, day in rollups.stale_days(account_id=acme.pk)} == set(SYDNEY_DAYS)
    window = metrics.window_for_dates(date(2026, 4, 1), date(2026, 4, 10), time_zone=SYDNEY)
    direct = metrics._postgresql_figures(account=acme, window=window, parts=("period", "trend"), direct=True)
    before = metrics.escalation_analytics(account=acme, window=window)
    assert _trend_counts(before) == SYDNEY_DAYS
    assert before == metrics._orm_escalation_analytics(account=acme, window=window)

    # ...and after it, from rows of Sydney days.
    assert rollups.refresh_stale() == 3
    assert dict(HandoffDay.objects.filter(account=acme).values_list("day", "escalations")) == SYDNEY_DAYS
    assert rollups.stale_days(account_id=acme.pk) == []
    after = metrics.escalation_analytics(account=acme, window=window)
    assert after == before
    rolled = metrics._postgresql_figures(account=acme, window=window, parts=("period", "trend"))
    assert rolled["raw"] == direct["raw"]
    assert metrics._trend(rolled["trend"], window) == metrics._trend(direct["trend"], window) == after["trend"]
    assert {p["day"]: p["escalations"] for p in direct["trend"] if p["escalations"]} == _local_day_counts(
        acme, SYDNEY)

    # Back to UTC: the days move back.
    _set_zone(acme, "UTC", acme_admin)
    rollups.refresh_stale()
    assert dict(HandoffDay.objects.filter(account=acme).values_list("day", "escalations")) == {
        date(2026, 4, 4): 4, date(2026, 4, 5): 2}


def test_a_spring_forward_day_has_23_hours_in_new_york(acme, acme_admin, acme_tech, acme_senior):
    # New York springs forward on 8 March 2026 at 02:00 EST (07:00 UTC): the day runs from 05:00 UTC
    # on the 8th to 04:00 UTC on the 9th.
    for at in (datetime(2026, 3, 8, 4, 59, tzinfo=UTC), datetime(2026, 3, 8, 5, 0, tzinfo=UTC),
               datetime(2026, 3, 9, 3, 59, tzinfo=UTC), datetime(2026, 3, 9, 4, 0, tzinfo=UTC)):
        make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=at, claim_after=10, act_after=10)
    _set_zone(acme, "America/New_York", acme_admin)
    rollups.refresh_stale()
    window = metrics.window_for_dates(date(2026, 3, 7), date(2026, 3, 9), time_zone="America/New_York")
    assert metrics.window_for_dates(date(2026, 3, 8), date(2026, 3, 8), time_zone="America/New_York").end \
        - metrics.window_for_dates(date(2026, 3, 8), date(2026, 3, 8), time_zone="America/New_York").start \
        == datetime(2026, 3, 9, 4, tzinfo=UTC) - datetime(2026, 3, 8, 5, tzinfo=UTC)
    body = metrics.escalation_analytics(account=acme, window=window)
    assert _trend_counts(body) == {date(2026, 3, 7): 1, date(2026, 3, 8): 2, date(2026, 3, 9): 1}
    assert body == metrics._orm_escalation_analytics(account=acme, window=window)


def test_the_csv_and_the_api_follow_the_accounts_zone(client, api, acme, acme_admin, acme_senior, sydney_history):
    _set_zone(acme, SYDNEY, acme_admin)
    client.force_login(acme_senior)
    csv = client.get(f"/analytics/escalations.csv?{RANGE}")
    assert csv.status_code == 200
    assert csv.content.decode().splitlines()[1:] == ["2026-04-04,1,60", "2026-04-05,4,62.5", "2026-04-06,1,65"]

    body = api(acme_senior).get(f"/api/v1/analytics/escalations?{RANGE}").json()
    # Dates are Sydney days; the period's bounds stay UTC timestamps.
    assert body["period"] == {"start": "2026-04-03T13:00:00Z", "end": "2026-04-06T14:00:00Z"}
    assert [(p["date"], p["escalations"]) for p in body["trend"]] == [
        ("2026-04-04", 1), ("2026-04-05", 4), ("2026-04-06", 1)]

    page = client.get(f"/analytics/escalations?{RANGE}").content.decode()
    assert "Apr 4, 2026 – Apr 6, 2026 (Australia/Sydney), 3 days" in page


def test_another_accounts_zone_does_not_move_this_accounts_days(api, acme, globex, globex_admin, acme_senior,
                                                                sydney_history):
    _set_zone(globex, SYDNEY, globex_admin)
    body = api(acme_senior).get(f"/api/v1/analytics/escalations?{RANGE}").json()
    assert [(p["date"], p["escalations"]) for p in body["trend"]] == [
        ("2026-04-04", 4), ("2026-04-05", 2), ("2026-04-06", 0)]


@pytest.mark.django_db
@pytest.mark.parametrize("day, name", [
    (date(2026, 4, 5), "Australia/Sydney"), (date(2026, 10, 4), "Australia/Sydney"),
    (date(2026, 3, 8), "America/New_York"), (date(2026, 11, 1), "America/New_York"),
    # Midnight itself skipped (Santiago springs forward at 24:00) or repeated (it falls back at 24:00).
    (date(2026, 9, 6), "America/Santiago"), (date(2026, 4, 5), "America/Santiago"),
])
def test_python_and_postgresql_agree_on_where_a_local_day_starts(day, name):
    from zoneinfo import ZoneInfo

    from analytics.days import day_of_sql, day_start, day_start_sql

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {day_start_sql('%(day)s::date')}, {day_of_sql(day_start_sql('%(day)s::date'))}",
                       {"day": day, "zone": name})
        start, start_day = cursor.fetchone()
    assert start == day_start(day, ZoneInfo(name))
    assert start_day == day


def test_start_and_end_are_dates_of_the_accounts_zone(api, acme, acme_admin, acme_senior):
    """The latest day a range may name is tomorrow in the account's zone. Kiritimati (UTC+14) is
    always at least a day ahead of Pago Pago (UTC-11): its tomorrow is always past Pago Pago's."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    ahead = timezone.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date().toordinal() + 1
    day = date.fromordinal(ahead).isoformat()
    client = api(acme_senior)
    _set_zone(acme, "Pacific/Kiritimati", acme_admin)
    response = client.get(f"/api/v1/analytics/escalations?start={day}&end={day}")
    assert response.status_code == 200
    assert response.json()["trend"] == [{"date": day, "escalations": 0, "median_time_to_first_action_seconds": None}]
    _set_zone(acme, "Pacific/Pago_Pago", acme_admin)
    response = client.get(f"/api/v1/analytics/escalations?start={day}&end={day}")
    assert response.status_code == 400
    assert "start" in response.json() and "end" in response.json()
