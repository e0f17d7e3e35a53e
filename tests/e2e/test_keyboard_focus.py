"""Keyboard users in a real browser (issue #12): the handoff context screen's focus trap reaches
every stop, the scrolling body and "Start here" included, both ways; and every button shows its
focus ring, primary buttons too."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import escalation, wait_live

pytestmark = pytest.mark.e2e

FOCUS_RING = "rgb(84, 102, 224)"  # --focus: 0 0 0 3px #fff, 0 0 0 5px #5466e0

# What has focus, in words a failure message can show.
ACTIVE = """() => {
  const a = document.activeElement;
  if (!a) return "nothing";
  if (a.matches(".ctx-body")) return "the scrolling body";
  return (a.getAttribute("aria-label") || a.textContent || a.tagName).trim().slice(0, 40);
}"""
INSIDE = "() => document.activeElement && document.activeElement.closest('dialog[open]') !== null"


@pytest.fixture
def long_escalation(api_http, acme_tech):
    """Enough steps that the context screen's body scrolls (so Chromium makes it a tab stop)."""
    steps = tuple((f"Step {i}: checked the print spooler", "Still stuck in the queue after a restart " * 4,
                   "did_not_work") for i in range(14))
    return escalation(api_http(acme_tech), title="Print queue stuck", steps=steps)


def _open_context_by_keyboard(page):
    card = page.get_by_role("region", name="Escalation queue").locator(".hcard", has_text="Print queue stuck")
    button = card.get_by_role("button", name="Open context")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Print queue stuck")
    expect(dialog.get_by_role("heading", name="Print queue stuck")).to_be_focused()
    expect(dialog.get_by_role("button", name="Start here")).to_be_visible()
    body = dialog.locator(".ctx-body")
    assert body.evaluate("el => el.scrollHeight > el.clientHeight"), "the body should scroll in this test"
    return dialog


def _cycle(page, key, presses=12):
    seen = []
    for _ in range(presses):
        page.keyboard.press(key)
        assert page.evaluate(INSIDE), f"{key} left the dialog after {seen}"
        seen.append(page.evaluate(ACTIVE))
    return seen


def test_tab_and_shift_tab_reach_every_stop_of_the_context_screen(browsers, long_escalation, acme_senior):
    page = browsers.open(acme_senior, "/escalations/")
    wait_live(page)
    _open_context_by_keyboard(page)

    forwards = _cycle(page, "Tab", presses=16)
    # From the heading: the close button, the scrolling body (then anything inside it, such as the
    # links of the assessment), "Not now", "Start here", and round again to the close button.
    assert forwards[0] == "Close" and "Close" in forwards[1:], forwards
    cycle = forwards[:forwards.index("Close", 1)]
    assert cycle[1] == "the scrolling body" and cycle[-2:] == ["Not now", "Start here"], cycle

    page.keyboard.press("Escape")
    _open_context_by_keyboard(page)
    backwards = _cycle(page, "Shift+Tab", presses=len(cycle) + 1)
    # The same stops the other way round, from the last ("Start here"), and round again.
    assert backwards == [*cycle[::-1], "Start here"], backwards

    # The body, once focused, scrolls with the keyboard.
    for _ in range(4):
        if page.evaluate(ACTIVE) == "the scrolling body":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate(ACTIVE) == "the scrolling body"
    page.keyboard.press("End")
    body = page.locator("dialog[open] .ctx-body")
    page.wait_for_function("() => document.querySelector('dialog[open] .ctx-body').scrollTop > 0")
    assert body.evaluate("el => getComputedStyle(el).boxShadow").count(FOCUS_RING) == 1


def test_primary_buttons_show_a_focus_ring(browsers, long_escalation, acme_senior):
    page = browsers.open(acme_senior, "/escalations/", reduced_motion="reduce")
    wait_live(page)
    open_button = page.get_by_role("button", name="Open context")
    # Reach it by keyboard (a :focus-visible focus), from the page's heading.
    page.locator("main h1").evaluate("el => { el.tabIndex = -1; el.focus(); }")
    for _ in range(30):
        page.keyboard.press("Tab")
        if open_button.evaluate("el => el === document.activeElement"):
            break
    expect(open_button).to_be_focused()
    assert FOCUS_RING in open_button.evaluate("el => getComputedStyle(el).boxShadow")

    page.keyboard.press("Enter")
    start = page.get_by_role("dialog", name="Print queue stuck").get_by_role("button", name="Start here")
    expect(start).to_be_visible()
    page.keyboard.press("Shift+Tab")
    expect(start).to_be_focused()
    assert FOCUS_RING in start.evaluate("el => getComputedStyle(el).boxShadow")
    page.keyboard.press("Shift+Tab")
    not_now = page.get_by_role("button", name="Not now")
    expect(not_now).to_be_focused()
    assert FOCUS_RING in not_now.evaluate("el => getComputedStyle(el).boxShadow")
