"""Long unbroken text never widens a page (issue #12): a Windows path repeated, a long URL, in a
session's title, problem, steps, messages, escalation reason and notifications. On a phone
(390 px) and on a desktop (1280 px) the page has no horizontal scroll, and no queue card or bell
item is wider than its box."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from notifications.models import Notification, NotificationKind
from tests.e2e.conftest import escalation, in_thread, wait_live

pytestmark = pytest.mark.e2e

PATH = "C:\\Windows\\System32\\spool\\PRINTERS"
URL = "https://support.example.com/kb/" + "a1b2c3d4e5" * 30
TITLE = (PATH * 5)[:200]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

PAGE_FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"
# Every box of `selector` whose content is wider than it (a list of what overflows, for the message).
OVERFLOWING = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.scrollWidth > el.clientWidth)
  .map((el) => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`)"""


@pytest.fixture
def long_text_escalation(api_http, acme_tech, acme_senior):
    http = api_http(acme_tech)
    session, handoff = escalation(
        http, title=TITLE, reason=f"Spooler stuck, see {URL} and {PATH * 4}",
        problem=f"{PATH * 30} {URL}", client_name=("Initech" + PATH)[:100],
        steps=((PATH * 10, f"{URL}{PATH * 8}", "did_not_work"), ("Restarted spooler", PATH * 20, "inconclusive")))
    message = http.post(f"/sessions/{session['id']}/messages", json={"body": f"Look at {URL} {PATH * 12}"})
    assert message.status_code == 201, message.text

    def bells():
        for user in User.objects.filter(pk__in=[acme_tech.pk, acme_senior.pk]):
            for _ in range(2):
                Notification.objects.create(account_id=user.account_id, user=user, kind=NotificationKind.ESCALATION,
                                            title=f"Tina escalated “{TITLE}”"[:200], body=f"{URL}{PATH * 6}",
                                            link=f"/pilot/{session['id']}?pickup=true")

    in_thread(bells)
    return session, handoff


def _assert_fits(page, what):
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert page.evaluate(PAGE_FITS), f"{what} scrolls sideways: scrollWidth {width[0]} > innerWidth {width[1]}"


def _open_bell(page, what):
    page.get_by_role("button", name="Notifications", exact=True).click()
    notes = page.locator("#bell-panel .note")
    expect(notes.nth(1)).to_be_visible()
    assert page.evaluate(OVERFLOWING, "#bell-panel, #bell-panel .note, #bell-panel .note-link") == [], what
    _assert_fits(page, f"{what} with the bell open")
    page.keyboard.press("Escape")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_the_session_page_never_scrolls_sideways(browsers, long_text_escalation, acme_tech, viewport):
    session, _ = long_text_escalation
    page = browsers.open(acme_tech, f"/pilot/{session['id']}", viewport=viewport, reduced_motion="reduce")
    wait_live(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("PRINTERS")
    _assert_fits(page, f"the session page at {viewport['width']} px")
    assert page.evaluate(OVERFLOWING, ".card, .banner, .timeline-item, .chat-msg, .page-head") == []
    _open_bell(page, f"the session page at {viewport['width']} px")

    page.get_by_role("button", name="Context").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", level=2).first).to_contain_text("PRINTERS")
    assert page.evaluate(OVERFLOWING, "dialog[open], dialog[open] .ctx-body, dialog[open] .ctx-section") == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_queue_cards_and_bell_items_hold_long_text(browsers, long_text_escalation, acme_senior, viewport):
    page = browsers.open(acme_senior, "/escalations/", viewport=viewport, reduced_motion="reduce")
    wait_live(page)
    card = page.get_by_role("region", name="Escalation queue").locator(".hcard")
    expect(card).to_have_count(1)
    _assert_fits(page, f"the queue at {viewport['width']} px")
    assert page.evaluate(OVERFLOWING, ".hcard, .hcard-body, .hcard-who, .hcard-reason, .hcard-problem") == []
    _open_bell(page, f"the queue at {viewport['width']} px")
