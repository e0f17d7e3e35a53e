"""Automated accessibility checks with axe-core (vendored, see tests/e2e/vendor/README.md): no
serious or critical violation on the main pages, with their live parts populated."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.conftest import escalation, screenshot, wait_live

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def assert_accessible(page, what):
    # The page as its user sees it: with its stylesheet applied (before the load event, a page just
    # navigated to can still be unstyled: 17 px links and the bell's visually-hidden count shown).
    page.wait_for_load_state("load")
    # Evaluated through the devtools protocol: an injected <script> is inline, which the pages'
    # Content-Security-Policy blocks (as it should).
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"{AXE.read_text()}\n;undefined")
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }""",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    )
    blocking = [v for v in result if v["impact"] in BLOCKING]
    assert not blocking, f"axe found serious/critical violations on {what}:\n" + json.dumps(blocking, indent=2)


@pytest.fixture
def escalated(api_http, acme_tech):
    return escalation(api_http(acme_tech), title="Outlook keeps asking for password",
                      steps=(("Cleared cached credentials", "Still prompts", "did_not_work"),
                             ("Recreated the profile", "Better for 10 min", "inconclusive")))


def test_the_queue_and_the_context_screen(browsers, escalated, acme_senior):
    # Reduced motion: axe reads colours mid-animation otherwise.
    page = browsers.open(acme_senior, "/escalations/", reduced_motion="reduce")
    wait_live(page)
    card = page.get_by_role("region", name="Escalation queue").locator(".hcard")
    expect(card).to_have_count(1)
    assert_accessible(page, "the queue")

    card.get_by_role("button", name="Open context").click()
    dialog = page.get_by_role("dialog", name="Outlook keeps asking for password")
    expect(dialog.get_by_role("button", name="Start here")).to_be_visible()
    assert_accessible(page, "the context screen")


def test_the_session_page_for_the_technician_and_the_engineer(browsers, escalated, api_http, acme_tech, acme_senior):
    session, handoff = escalated
    tina = browsers.open(acme_tech, f"/pilot/{session['id']}", reduced_motion="reduce")
    wait_live(tina)
    expect(tina.get_by_role("button", name="Context")).to_be_visible()
    assert_accessible(tina, "the session page (technician, escalated)")

    assert api_http(acme_senior).post(f"/handoffs/{handoff['id']}/claim").status_code == 200
    sam = browsers.open(acme_senior, f"/pilot/{session['id']}", reduced_motion="reduce")
    wait_live(sam)
    expect(sam.get_by_role("button", name="Resolve")).to_be_visible()
    sam.get_by_role("button", name="Notifications", exact=True).click()
    expect(sam.locator("#bell-panel")).to_be_visible()
    assert_accessible(sam, "the session page (engineer, claimed) with the bell open")
    sam.keyboard.press("Escape")
    sam.get_by_role("button", name="Escalate", exact=True).click()
    expect(sam.get_by_role("dialog", name="Escalate to an engineer")).to_be_visible()
    assert_accessible(sam, "the Escalate dialog")


def test_the_sessions_list_and_the_login_page(browsers, escalated, acme_tech, live_asgi, new_context):
    page = browsers.open(acme_tech, "/sessions/", reduced_motion="reduce")
    wait_live(page)
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    assert_accessible(page, "the sessions list")
    screenshot(page, "sessions-list.png")

    # The test process hashes with MD5 for speed; the server knows only the default hashers.
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=acme_tech.pk).update(
        password=hasher.encode("correct-horse-battery", hasher.salt(), iterations=1000))
    anonymous = new_context(base_url=live_asgi.url, reduced_motion="reduce").new_page()
    anonymous.goto("/login/")
    expect(anonymous.get_by_role("heading", name="Log in")).to_be_visible()
    assert_accessible(anonymous, "the login page")
    screenshot(anonymous, "login.png")
    anonymous.get_by_label("Email").fill(acme_tech.email)
    anonymous.get_by_label("Password").fill("correct-horse-battery")
    anonymous.get_by_role("button", name="Log in").click()
    expect(anonymous).to_have_url(f"{live_asgi.url}/sessions/")
    assert settings.SESSION_COOKIE_NAME in {c["name"] for c in anonymous.context.cookies()}
