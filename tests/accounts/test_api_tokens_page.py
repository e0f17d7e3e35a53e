"""The API tokens page (/settings/tokens/): create, see, revoke; admins see the team's tokens."""

import re
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_issue
from tests.helpers import browser_client

PAGE = "/settings/tokens/"


def key_on(html: str) -> str:
    return re.search(r"data-token-key>([0-9a-f]{64})<", html)[1]


def works(key) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me").status_code == 200


def test_every_member_finds_the_page_in_the_navigation(acme_tech):
    html = browser_client(acme_tech).get("/sessions/").content.decode()
    assert f'href="{PAGE}"' in html and "API tokens" in html


def test_a_new_token_key_is_shown_once_and_works(acme_tech):
    client = browser_client(acme_tech)
    response = client.post(PAGE, {"name": "PSA sync", "expires_at": ""})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    key = key_on(html)
    assert works(key)
    again = client.get(PAGE).content.decode()
    assert key not in again
    assert "PSA sync" in again and key[:15] in again


def test_a_token_with_an_expiry_lists_it(acme_tech):
    client = browser_client(acme_tech)
    when = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(PAGE, {"name": "Short-lived", "expires_at": when})
    token = ApiToken.objects.get(user=acme_tech, name="Short-lived")
    assert token.expiry.strftime("%Y-%m-%dT%H:%M") == when


def test_bad_input_shows_the_message_and_creates_nothing(acme_tech):
    client = browser_client(acme_tech)
    for data, message in (({"name": ""}, "This field is required."),
                          ({"name": "x", "expires_at": "2001-01-01T00:00"}, "The expiry must be in the future."),
                          ({"name": "x" * 101}, "at most 100 characters")):
        response = client.post(PAGE, data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not ApiToken.objects.filter(user=acme_tech).exists()


def test_names_are_shown_as_text(acme_tech):
    api_token_issue(user=acme_tech, name="<img src=x onerror=alert(1)>")
    html = browser_client(acme_tech).get(PAGE).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_revoking_on_the_page_stops_the_key(acme_tech):
    token, key = api_token_issue(user=acme_tech, name="Old script")
    response = browser_client(acme_tech).post(f"{PAGE}{token.pk}/revoke", follow=True)
    assert response.status_code == 200
    assert "Token “Old script” revoked." in response.content.decode()
    assert not works(key)


def test_a_member_cannot_revoke_a_colleagues_token(acme_tech, acme_senior):
    token, key = api_token_issue(user=acme_senior, name="Senior's")
    client = browser_client(acme_tech)
    assert client.post(f"{PAGE}{token.pk}/revoke").status_code == 404
    assert "Senior&#x27;s" not in client.get(PAGE).content.decode()
    assert works(key)


def test_an_admin_sees_and_revokes_the_teams_tokens_but_not_another_accounts(acme_admin, acme_tech, globex_tech):
    token, key = api_token_issue(user=acme_tech, name="Tech's nightly")
    globex, globex_key = api_token_issue(user=globex_tech, name="Globex only")
    client = browser_client(acme_admin)
    html = client.get(PAGE).content.decode()
    assert "Your team's tokens" in html and "Tech&#x27;s nightly" in html and "Globex only" not in html
    assert client.post(f"{PAGE}{globex.pk}/revoke").status_code == 404
    assert works(globex_key)
    assert client.post(f"{PAGE}{token.pk}/revoke").status_code == 302
    assert not works(key)


def test_non_admins_see_no_team_section(acme_senior, acme_tech):
    api_token_create(user=acme_tech)
    assert "data-members-tokens" not in browser_client(acme_senior).get(PAGE).content.decode()


def test_revoking_needs_a_post(acme_tech):
    token, _key = api_token_issue(user=acme_tech, name="x")
    assert browser_client(acme_tech).get(f"{PAGE}{token.pk}/revoke").status_code == 405


def test_the_page_needs_a_login(db):
    from django.test import Client

    response = Client().get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]
