"""Who may read the analytics: staff of the account only, everywhere."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User

URL = "/api/v1/analytics/escalations"


def test_anonymous_gets_401():
    assert APIClient().get(URL).status_code == 401


def test_a_bad_token_gets_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get(URL).status_code == 401


def test_technicians_get_403(api, acme_tech):
    response = api(acme_tech).get(URL)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only engineers and admins may do this."}


@pytest.mark.parametrize("who", ["acme_senior", "acme_admin"])
def test_engineers_and_admins_get_200(api, request, who):
    assert api(request.getfixturevalue(who)).get(URL).status_code == 200


def test_the_web_session_cookie_works_too(client, acme_senior):
    client.force_login(acme_senior)
    assert client.get(URL).status_code == 200


def test_a_platform_operator_without_an_account_gets_403_from_the_api(db):
    operator = User.objects.create_superuser("ops@platform.test", "pw-operator-1")
    client = APIClient()
    client.force_authenticate(operator)
    assert client.get(URL).status_code == 403


# --- Pages ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/analytics/escalations", "/analytics/escalations.csv", "/analytics/pilots"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("path", ["/analytics/escalations", "/analytics/escalations.csv"])
def test_technicians_get_403_on_the_pages(client, acme_tech, path):
    client.force_login(acme_tech)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior", "acme_admin"])
def test_only_platform_operators_see_the_pilot_scorecard(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/analytics/pilots").status_code == 403


def test_nav_shows_analytics_to_staff_only(client, acme_tech, acme_senior):
    client.force_login(acme_tech)
    assert b'href="/analytics/escalations"' not in client.get("/sessions/").content
    client.force_login(acme_senior)
    assert b'href="/analytics/escalations"' in client.get("/sessions/").content
