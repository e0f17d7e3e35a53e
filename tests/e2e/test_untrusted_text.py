"""Untrusted text (session titles, reasons, steps, people's names) never runs as script and is shown
literally: the stored-XSS payloads of issue #10 go through every live path an engineer sees (queue
card, background-tab title, toast, bell, context screen, presence, "already has this one", the
session page's waiting banner), and the Content-Security-Policy is sent and never violated in
normal use, on our pages, the Django admin and the API docs."""

import re

import pytest
from playwright.sync_api import expect

from tests import helpers
from tests.e2e.conftest import escalation, wait_live

pytestmark = pytest.mark.e2e

# Breaks out of a double-quoted attribute (the bell's aria-label) and runs when an animation starts.
ATTR_PAYLOAD = """x" style="animation:pulse 1s" onanimationstart="window.__pwned=1;document.title='PWNED'//"""
# Runs if parsed as HTML anywhere.
TAG_PAYLOAD = """<img src=x onerror="window.__pwned=1">"""
EVIL_NAME = """<img src=x onerror="window.__pwned=1;document.title='PWNED'"> Eve"""

# Before any page script: record CSP violations and every title the page sets.
GUARD = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`);
});
window.__titles = [];
const titleProp = Object.getOwnPropertyDescriptor(Document.prototype, "title");
Object.defineProperty(Document.prototype, "title", {
  configurable: true,
  get() { return titleProp.get.call(this); },
  set(value) { window.__titles.push(String(value)); titleProp.set.call(this, value); },
});
"""
# A tab in the background (headless tabs are always "visible"): the queue flashes the title.
HIDDEN_TAB = """
Object.defineProperty(Document.prototype, "hidden", {configurable: true, get: () => true});
Object.defineProperty(Document.prototype, "visibilityState", {configurable: true, get: () => "hidden"});
"""


def assert_clean(page):
    """Nothing ran, the title was never set to PWNED, and no CSP violation happened on this page."""
    # Long enough for a hijacked animation (pulse, 1 s) to have started.
    page.wait_for_timeout(400)
    state = page.evaluate("""() => ({pwned: typeof window.__pwned, title: document.title,
                                     titles: window.__titles, csp: window.__cspViolations})""")
    assert state["pwned"] == "undefined", f"script ran on {page.url}"
    assert state["title"] != "PWNED" and "PWNED" not in state["titles"], state
    assert state["csp"] == [], f"CSP violations on {page.url}: {state['csp']}"


def _card(page, handoff_id):
    return page.get_by_role("region", name="Escalation queue").locator(f'.hcard[data-handoff-id="{handoff_id}"]')


def test_hostile_titles_reasons_steps_and_names_are_shown_as_text(browsers, api_http, acme, acme_tech, acme_senior):
    eve = helpers.make_user(acme, "eve@acme.test", "engineer", EVIL_NAME)
    tech = api_http(acme_tech)

    queue = browsers.open(acme_senior, "/escalations/", init_script=GUARD + HIDDEN_TAB)
    other = browsers.open(acme_senior, "/sessions/", init_script=GUARD)
    wait_live(queue)
    wait_live(other)

    session_a, handoff_a = escalation(
        tech, title=ATTR_PAYLOAD, reason=TAG_PAYLOAD, problem=TAG_PAYLOAD, client_name=ATTR_PAYLOAD,
        steps=((TAG_PAYLOAD, ATTR_PAYLOAD, "did_not_work"),))
    session_b, handoff_b = escalation(
        tech, title=TAG_PAYLOAD, reason=ATTR_PAYLOAD, steps=((ATTR_PAYLOAD, TAG_PAYLOAD, "inconclusive"),))

    # The queue: both cards arrive live, titles as text; the announcement and the flashing
    # background-tab title carry no markup.
    card_a, card_b = _card(queue, handoff_a["id"]), _card(queue, handoff_b["id"])
    expect(card_a.locator(".hcard-title")).to_have_text(ATTR_PAYLOAD)
    expect(card_b.locator(".hcard-title")).to_have_text(TAG_PAYLOAD)
    expect(queue.locator("[data-announcer]")).to_contain_text(TAG_PAYLOAD)
    expect(queue).to_have_title(re.compile(r"^\(\d\) New escalation"))
    assert queue.locator("img").count() == 0

    # A page other than the queue: a toast per escalation, the title in it literally.
    toasts = other.locator(".toast")
    expect(toasts).to_have_count(2)
    expect(toasts.filter(has_text=ATTR_PAYLOAD)).to_have_count(1)
    expect(toasts.filter(has_text=TAG_PAYLOAD)).to_have_count(1)

    # The bell (the original exploit): items rendered, titles and accessible names literal.
    for page in (queue, other):
        page.get_by_role("button", name="Notifications", exact=True).click()
        panel = page.locator("#bell-panel")
        expect(panel).to_be_visible()
        titles = panel.locator(".note-link .note-title")
        expect(titles).to_have_count(2)
        expect(titles.filter(has_text=ATTR_PAYLOAD)).to_have_count(1)
        expect(titles.filter(has_text=TAG_PAYLOAD)).to_have_count(1)
        marks = panel.get_by_role("button", name=re.compile("^Mark as read: "))
        expect(marks).to_have_count(2)
        assert_clean(page)
        labels = [marks.nth(i).get_attribute("aria-label") for i in range(2)]
        assert any(label.startswith("Mark as read: ") and ATTR_PAYLOAD in label for label in labels), labels
        assert any(TAG_PAYLOAD in label for label in labels), labels
        assert panel.locator("[style], [onanimationstart], img").count() == 0
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()

    # Presence: an engineer with a hostile name opens the same context screen.
    eve_page = browsers.open(eve, "/escalations/", init_script=GUARD)
    wait_live(eve_page)
    _card(eve_page, handoff_a["id"]).get_by_role("button", name="Open context").click()
    expect(eve_page.get_by_role("dialog", name=ATTR_PAYLOAD)).to_be_visible()
    expect(card_a.locator("[data-presence]")).to_have_text(f"{EVIL_NAME} is viewing")

    # The context screen: heading, reason, steps as text; presence inside it too.
    card_a.get_by_role("button", name="Open context").click()
    dialog = queue.get_by_role("dialog", name=ATTR_PAYLOAD)
    expect(dialog.get_by_role("heading", name=ATTR_PAYLOAD)).to_be_focused()
    expect(dialog).to_contain_text(TAG_PAYLOAD)
    expect(dialog.locator("[data-context-steps] li")).to_contain_text(TAG_PAYLOAD)
    expect(dialog.locator("[data-presence]")).to_have_text(f"{EVIL_NAME} is viewing")

    # The technician waits on the session page; the engineer reads session B read-only.
    tina = browsers.open(acme_tech, f"/pilot/{session_a['id']}", init_script=GUARD)
    wait_live(tina)
    expect(tina.locator("h1")).to_contain_text(ATTR_PAYLOAD)
    assert_clean(other)
    other.goto(f"/pilot/{session_b['id']}")
    wait_live(other)
    expect(other.locator("h1")).to_contain_text(TAG_PAYLOAD)
    expect(other.locator("[data-waiting-banner]")).to_be_visible()

    # Eve claims both: the open context screen says who has it, the banners say who picked it up.
    eve_api = api_http(eve)
    assert eve_api.post(f"/handoffs/{handoff_a['id']}/claim").status_code == 200
    expect(dialog.locator("[data-claim-status]")).to_have_text(
        f"{EVIL_NAME} already has this one and is on it. Nothing for you to do here.")
    banner = tina.locator("[data-waiting-banner]")
    expect(banner).to_contain_text(EVIL_NAME)
    expect(banner).to_contain_text(ATTR_PAYLOAD)
    assert eve_api.post(f"/handoffs/{handoff_b['id']}/claim").status_code == 200
    expect(other.locator("[data-waiting-banner]")).to_contain_text(f"{EVIL_NAME} picked this up.")

    for page in (queue, other, tina, eve_page):
        assert page.locator("img").count() == 0
        assert_clean(page)

    # The session page itself.
    queue.keyboard.press("Escape")
    queue.goto(f"/pilot/{session_a['id']}")
    expect(queue.locator("h1")).to_contain_text(ATTR_PAYLOAD)
    expect(queue).to_have_title(f"{ATTR_PAYLOAD} · ResolutionFlow")
    assert_clean(queue)

    # The policy is sent with the page.
    response = queue.request.get("/sessions/")
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy


def test_admin_and_api_docs_load_under_the_policy(browsers, api_http, acme_tech, acme_admin):
    session, _ = escalation(api_http(acme_tech), title=ATTR_PAYLOAD, reason=TAG_PAYLOAD)
    page = browsers.open(acme_admin, "/admin/", init_script=GUARD)
    expect(page.get_by_role("heading", name="Account administration")).to_be_visible()
    assert_clean(page)

    page.goto("/admin/escalations/pilotsession/")
    expect(page.locator("#result_list")).to_contain_text(ATTR_PAYLOAD)
    assert_clean(page)

    page.goto(f"/admin/escalations/pilotsession/{session['id']}/change/")
    expect(page.get_by_label("Title")).to_have_value(ATTR_PAYLOAD)
    assert_clean(page)

    page.goto("/admin/accounts/user/add/")
    expect(page.locator("#user_form")).to_be_visible()
    assert_clean(page)

    response = page.goto("/api/v1/docs/")
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ResolutionFlow API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert_clean(page)
