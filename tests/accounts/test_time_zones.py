"""Time zones (issue #11): every page shows local times with their zone, in the user's own zone or
else the account's; admins set the account's; a bad name is a clear 400; the API stays UTC."""

import re
from datetime import UTC, datetime

import pytest

from accounts.models import Account, User
from escalations.models import PilotSession, Step

PAGE = "/settings/time-zone"
# 01:45 UTC on 28 November: 12:45 in Sydney (AEDT, UTC+11), 20:45 the day before in New York (EST).
STEP_AT = datetime(2026, 11, 28, 1, 45, tzinfo=UTC)


@pytest.fixture
def session_with_a_step(acme, acme_tech):
    session = PilotSession.objects.create(account=acme, owner=acme_tech, title="Printer offline",
                                          problem="Spooler stops")
    Step.objects.create(account=acme, session=session, author=acme_tech, action="Restarted the spooler",
                        outcome="did_not_work", created_at=STEP_AT)
    return session


def _set(model, obj, **fields):
    model.objects.filter(pk=obj.pk).update(**fields)


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_page_shows_times_in_the_accounts_zone_with_its_abbreviation(client, acme, acme_tech, session_with_a_step):
    _set(Account, acme, time_zone="Australia/Sydney")
    html = _page(client, acme_tech, f"/pilot/{session_with_a_step.pk}")
    assert "Nov 28, 12:45 AEDT" in html
    assert 'data-time-zone="Australia/Sydney"' in html


def test_a_users_own_zone_overrides_the_accounts(client, acme, acme_tech, session_with_a_step):
    _set(Account, acme, time_zone="Australia/Sydney")
    _set(User, acme_tech, time_zone="America/New_York")
    html = _page(client, acme_tech, f"/pilot/{session_with_a_step.pk}")
    assert "Nov 27, 20:45 EST" in html
    assert "AEDT" not in html
    assert 'data-time-zone="America/New_York"' in html


def test_without_any_choice_times_are_utc_and_say_so(client, acme_tech, session_with_a_step):
    html = _page(client, acme_tech, f"/pilot/{session_with_a_step.pk}")
    assert "Nov 28, 01:45 UTC" in html


def test_a_member_picks_a_zone_and_can_go_back_to_the_accounts(client, acme, acme_tech):
    _set(Account, acme, time_zone="Europe/London")
    client.force_login(acme_tech)
    page = client.get(PAGE).content.decode()
    assert "Use the account&#x27;s (Europe/London)" in page or "Use the account's (Europe/London)" in page
    assert "account_time_zone" not in page  # only admins see the account's form

    response = client.post(PAGE, {"time_zone": "Asia/Kolkata"})
    assert response.status_code == 302
    acme_tech.refresh_from_db()
    assert acme_tech.time_zone == "Asia/Kolkata"
    assert 'data-time-zone="Asia/Kolkata"' in client.get(PAGE).content.decode()

    client.post(PAGE, {"time_zone": ""})
    acme_tech.refresh_from_db()
    assert acme_tech.time_zone == ""
    assert 'data-time-zone="Europe/London"' in client.get(PAGE).content.decode()


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../../etc/passwd", "Europe/London'; DROP TABLE x", "x" * 200])
def test_an_unknown_zone_is_a_400_with_a_clear_message(client, acme_tech, acme_admin, acme, name):
    client.force_login(acme_tech)
    response = client.post(PAGE, {"time_zone": name})
    assert response.status_code == 400
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "is not a time zone we know" in text or "Enter an IANA time zone name" in text or "at most" in text
    acme_tech.refresh_from_db()
    assert acme_tech.time_zone == ""

    client.force_login(acme_admin)
    response = client.post(PAGE, {"account_time_zone": name})
    assert response.status_code == 400
    acme.refresh_from_db()
    assert acme.time_zone == "UTC"


def test_an_admin_sets_the_accounts_zone_for_members_who_follow_it(client, acme, globex, acme_admin, acme_tech):
    client.force_login(acme_admin)
    response = client.post(PAGE, {"account_time_zone": "Australia/Sydney"})
    assert response.status_code == 302
    acme.refresh_from_db()
    globex.refresh_from_db()
    assert (acme.time_zone, globex.time_zone) == ("Australia/Sydney", "UTC")
    assert 'data-time-zone="Australia/Sydney"' in _page(client, acme_tech, PAGE)


def test_only_admins_set_the_accounts_zone(client, acme, acme_senior):
    client.force_login(acme_senior)
    assert client.post(PAGE, {"account_time_zone": "Australia/Sydney"}).status_code == 403
    acme.refresh_from_db()
    assert acme.time_zone == "UTC"


def test_the_account_admin_form_in_django_admin_rejects_a_bad_zone(client, acme, acme_admin):
    client.force_login(acme_admin)
    url = f"/admin/accounts/account/{acme.pk}/change/"
    form = {"name": acme.name, "escalation_renotify_minutes": 10, "time_zone": "Nowhere/Special"}
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the error
    assert "is not a time zone we know" in response.content.decode()
    response = client.post(url, {**form, "time_zone": "Pacific/Auckland"})
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.time_zone == "Pacific/Auckland"


def test_the_api_says_the_zone_but_keeps_utc_timestamps(client, api, acme, acme_tech, session_with_a_step):
    _set(Account, acme, time_zone="Australia/Sydney")
    _set(User, acme_tech, time_zone="America/New_York")
    me = api(acme_tech).get("/api/v1/me").json()
    assert me["time_zone"] == "America/New_York"
    assert me["account"]["time_zone"] == "Australia/Sydney"
    # Also for a signed-in browser's fetch (session auth): UTC, whatever the user's zone.
    client.force_login(acme_tech)
    body = client.get(f"/api/v1/sessions/{session_with_a_step.pk}").json()
    assert body["steps"][0]["created_at"] == "2026-11-28T01:45:00Z"
