"""The API tokens page in a real browser: a technician creates a token, uses its key against the
live server's API, revokes it on the page, and the API refuses it; an admin revokes a teammate's."""

import httpx
import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from accounts.services import api_token_issue
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.e2e


def me(server, key) -> int:
    return httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Token {key}"}, timeout=20).status_code


def test_a_token_made_on_the_page_works_until_it_is_revoked_there(browsers, live_asgi, acme_tech):
    page = browsers.open(acme_tech, "/sessions/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    page.get_by_label("Name").fill("PSA sync <script>")
    page.get_by_role("button", name="Create token").click()
    created = page.locator("[data-token-created]")
    expect(created.get_by_role("heading")).to_have_text("Token “PSA sync <script>” created")
    key = created.locator("[data-token-key]").text_content().strip()
    assert len(key) == 64
    page.wait_for_load_state("load")  # the page's script has attached the button's handler
    created.get_by_role("button", name="Copy").click()
    expect(created.locator("[data-copy-status]")).not_to_be_empty()
    assert_accessible(page, "the API tokens page")

    assert me(live_asgi, key) == 200
    page.goto("/settings/tokens/")
    expect(page.locator("[data-token-key]")).to_have_count(0)  # shown once
    row = page.locator("tr[data-token-row]").filter(has_text="PSA sync <script>")
    expect(row).to_contain_text(key[:15])
    expect(row.locator("[data-last-used] time")).to_be_visible()  # the request above

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token “PSA sync <script>” revoked.")).to_be_visible()
    expect(page.locator("tr[data-token-row]")).to_have_count(0)
    assert me(live_asgi, key) == 401


def test_revoking_waits_for_a_confirmation(browsers, live_asgi, acme_tech):
    _token, key = api_token_issue(user=acme_tech, name="Keep me")
    page = browsers.open(acme_tech, "/settings/tokens/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke Keep me").click()
    expect(page.locator("tr[data-token-row]").filter(has_text="Keep me")).to_be_visible()
    assert me(live_asgi, key) == 200


def test_an_admin_revokes_a_teammates_token(browsers, live_asgi, acme_admin, acme_tech, globex_tech):
    token, key = api_token_issue(user=acme_tech, name="Tech's nightly")
    api_token_issue(user=globex_tech, name="Globex script")
    page = browsers.open(acme_admin, "/settings/tokens/")
    team = page.locator("[data-members-tokens]")
    expect(team).not_to_contain_text("Globex script")
    row = team.locator(f'tr[data-token-id="{token.pk}"]')
    expect(row).to_contain_text("Tech's nightly")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("revoked.")).to_be_visible()
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert me(live_asgi, key) == 401
