"""The live queue in a real browser: motion preferences, background tabs, reconnects, keyboard-only
claiming, presence, a lost claim race and cancelled escalations."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import escalation, in_thread, wait_live

pytestmark = pytest.mark.e2e

# A tab in the background: the page believes it is hidden (headless tabs are always "visible").
HIDDEN_TAB = """
Object.defineProperty(Document.prototype, "hidden", {configurable: true, get: () => true});
Object.defineProperty(Document.prototype, "visibilityState", {configurable: true, get: () => "hidden"});
"""


# The CSS animations each queue card ran (animationstart events). A card's arrival animation is
# asserted from this record, not from its computed style at one instant: the page drops the
# `is-arriving` class 2.5 s after the card lands, which on a busy machine can come before the
# test looks.
ANIMATIONS = """
window.cardAnimations = [];
document.addEventListener("animationstart", (event) => {
  if (event.target.matches(".hcard")) window.cardAnimations.push(event.animationName);
}, true);
"""


def _queue(page):
    return page.get_by_role("region", name="Escalation queue")


def _card(page, title):
    return _queue(page).locator(".hcard", has_text=title)


def test_reduced_motion_and_a_background_tab(browsers, api_http, acme_tech, acme_senior):
    calm = browsers.open(acme_senior, "/escalations/", reduced_motion="reduce", init_script=HIDDEN_TAB + ANIMATIONS)
    moving = browsers.open(acme_senior, "/escalations/", init_script=ANIMATIONS)
    wait_live(calm)
    wait_live(moving)
    escalation(api_http(acme_tech), title="Mapped drive missing")

    card = _card(calm, "Mapped drive missing")
    expect(card).to_be_visible(timeout=2000)
    assert card.evaluate("el => getComputedStyle(el).animationName") == "none"
    assert "is-arriving" not in (card.get_attribute("class") or "")
    # Screen readers are told, and the background tab's title flashes.
    expect(calm.locator("[data-announcer]")).to_have_text("New escalation from Tina Tech: Mapped drive missing")
    expect(calm).to_have_title(re.compile(r"^\(1\) New escalation"))
    assert calm.evaluate("window.cardAnimations") == []  # nothing moved

    moving_card = _card(moving, "Mapped drive missing")
    expect(moving_card).to_be_visible(timeout=2000)
    moving.wait_for_function("window.cardAnimations.includes('card-in')", timeout=2000)
    expect(moving).to_have_title("Escalation queue · ResolutionFlow")  # a visible tab does not flash


def test_after_the_server_drops_the_socket_it_reconnects_and_nothing_is_missed(
        browsers, api_http, restartable_server, acme_tech, acme_senior):
    server = restartable_server.current
    sam = browsers.open(acme_senior, "/escalations/", server=server)
    wait_live(sam)
    tech = api_http(acme_tech, server)
    escalation(tech, title="First one")
    expect(_card(sam, "First one")).to_be_visible(timeout=2000)

    restartable_server.stop()
    status = sam.locator("[data-rt-status]")
    expect(status).to_have_attribute("data-state", "reconnecting")
    expect(status).to_have_text("Reconnecting…")
    expect(status).to_be_visible()

    # Raised while the browser has no socket: its frames reach nobody, the refetch on reconnect
    # brings the card in.
    from escalations.handoffs import handoff_create
    from escalations.services import session_create

    missed = session_create(actor=acme_tech, title="Raised while offline", problem="Spooler dies")
    in_thread(handoff_create, session=missed, actor=acme_tech, intent="escalate", reason="While you were away")
    assert sam.locator("[data-rt-status]").get_attribute("data-state") == "reconnecting"

    server = restartable_server.start()
    tech = api_http(acme_tech, server)
    expect(status).to_have_attribute("data-state", "live", timeout=30_000)
    expect(status).to_have_text("Live")
    expect(_card(sam, "Raised while offline")).to_be_visible()
    expect(sam.locator("[data-announcer]")).to_have_text("New escalation from Tina Tech: Raised while offline")

    # And the live path works again on the new connection.
    escalation(tech, title="After the restart")
    expect(_card(sam, "After the restart")).to_be_visible(timeout=2000)
    expect(_queue(sam).locator("[data-queue-count]")).to_have_text("3")


def _tab_until(page, predicate_js, limit=40):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return True
    return False


def test_keyboard_only_path_to_claim(browsers, api_http, acme_tech, acme_senior):
    session, _ = escalation(api_http(acme_tech), title="Keyboard path")
    sam = browsers.open(acme_senior, "/escalations/")
    wait_live(sam)
    open_button = _card(sam, "Keyboard path").get_by_role("button", name="Open context")
    expect(open_button).to_be_visible()

    assert _tab_until(sam, "document.activeElement && document.activeElement.matches('[data-open-context]')")
    expect(open_button).to_be_focused()
    sam.keyboard.press("Enter")
    dialog = sam.get_by_role("dialog", name="Keyboard path")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Keyboard path")).to_be_focused()

    # Focus stays inside the dialog, forwards and backwards.
    inside = "document.activeElement && document.activeElement.closest('dialog[open]') !== null"
    for _ in range(12):
        sam.keyboard.press("Tab")
        assert sam.evaluate(inside)
    for _ in range(12):
        sam.keyboard.press("Shift+Tab")
        assert sam.evaluate(inside)

    # Esc closes and gives focus back to the opener.
    sam.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(open_button).to_be_focused()

    sam.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Keyboard path")).to_be_focused()
    assert _tab_until(sam, "document.activeElement && document.activeElement.textContent.trim() === 'Start here'",
                      limit=15)
    sam.keyboard.press("Enter")
    expect(sam).to_have_url(re.compile(rf"/pilot/{session['id']}$"))
    expect(sam.get_by_text("You're on it.")).to_be_visible()


def test_presence_is_shown_to_a_second_engineer(browsers, api_http, acme_tech, acme_senior, acme_senior2):
    escalation(api_http(acme_tech), title="Presence check")
    sam = browsers.open(acme_senior, "/escalations/")
    wait_live(sam)
    _card(sam, "Presence check").get_by_role("button", name="Open context").click()
    sam_dialog = sam.get_by_role("dialog", name="Presence check")
    expect(sam_dialog).to_be_visible()

    # A late comer learns who is already looking (presence.sync), then joins in.
    sue = browsers.open(acme_senior2, "/escalations/")
    sue_card = _card(sue, "Presence check")
    expect(sue_card.locator("[data-presence]")).to_have_text("Sam Senior is viewing")
    sue_card.get_by_role("button", name="Open context").click()
    expect(sue.get_by_role("dialog", name="Presence check").locator("[data-presence]")).to_have_text(
        "Sam Senior is viewing")
    expect(sam_dialog.locator("[data-presence]")).to_have_text("Sue Senior is viewing")
    sue.keyboard.press("Escape")
    expect(sam_dialog.locator("[data-presence]")).to_be_hidden()

    # Closing the tab (the socket) clears it too.
    sam.context.close()
    expect(sue_card.locator("[data-presence]")).to_be_hidden()


def test_a_lost_claim_race_says_calmly_who_has_it(browsers, api_http, acme_tech, acme_senior, acme_senior2):
    _, handoff = escalation(api_http(acme_tech), title="Race for it")

    def without_claimed_frames(ws):
        # Hold back the live "claimed" frame so the click really races (and gets the 409).
        server = ws.connect_to_server()
        server.on_message(lambda message: None if '"handoff.claimed"' in str(message) else ws.send(message))

    sam = browsers.open(acme_senior, "/escalations/", route_ws=without_claimed_frames)
    wait_live(sam)
    _card(sam, "Race for it").get_by_role("button", name="Open context").click()
    dialog = sam.get_by_role("dialog", name="Race for it")
    expect(dialog.get_by_role("button", name="Start here")).to_be_visible()

    assert api_http(acme_senior2).post(f"/handoffs/{handoff['id']}/claim").status_code == 200
    dialog.get_by_role("button", name="Start here").click()
    expect(dialog.locator("[data-claim-status]")).to_have_text(
        "Sue Senior already has this one and is on it. Nothing for you to do here.")
    expect(dialog.get_by_role("button", name="Start here")).to_have_count(0)
    expect(sam).to_have_url(re.compile(r"/escalations/$"))


def test_claimed_elsewhere_while_reading_and_cancelled_escalations_leave(
        browsers, api_http, acme_tech, acme_senior, acme_senior2):
    tech = api_http(acme_tech)
    escalation(tech, title="Taken while reading")
    cancelled_session, _ = escalation(tech, title="Fixed it myself")
    sam = browsers.open(acme_senior, "/escalations/")
    wait_live(sam)

    _card(sam, "Taken while reading").get_by_role("button", name="Open context").click()
    dialog = sam.get_by_role("dialog", name="Taken while reading")
    expect(dialog.get_by_role("button", name="Start here")).to_be_visible()
    handoff_id = _card(sam, "Taken while reading").get_attribute("data-handoff-id")
    assert api_http(acme_senior2).post(f"/handoffs/{handoff_id}/claim").status_code == 200
    expect(dialog.locator("[data-claim-status]")).to_contain_text("Sue Senior already has this one")
    expect(dialog.get_by_role("button", name="Start here")).to_have_count(0)
    sam.keyboard.press("Escape")
    expect(_card(sam, "Taken while reading")).to_have_count(0)

    response = tech.post(f"/sessions/{cancelled_session['id']}/resolve", json={"resolution": "Reseated the cable"})
    assert response.status_code == 200
    expect(sam.locator("[data-announcer]")).to_have_text("Fixed it myself: Resolved by the technician")
    expect(_card(sam, "Fixed it myself")).to_have_count(0)
    expect(sam.locator("[data-empty]")).to_be_visible()


def test_the_backoff_doubles_with_jitter_and_is_capped(browsers, acme_senior):
    page = browsers.open(acme_senior, "/sessions/")
    wait_live(page)
    # The page's own module instance (same URL): bounds of each step with the random part at 0 and 1.
    bounds = page.evaluate("""async () => {
        const {backoffDelay} = await import("/static/js/realtime.js");
        return [0, 1, 2, 3, 4, 5, 12].map(n => [backoffDelay(n, () => 0), backoffDelay(n, () => 1)]);
    }""")
    assert bounds == [[250, 500], [500, 1000], [1000, 2000], [2000, 4000], [4000, 8000], [7500, 15000],
                      [7500, 15000]]
