"""The queue's views in a real browser (issue #12): cards or a compact list, newest first or
longest waiting first, a text filter, escalations vs handoffs, "Handed to me"; the choices are the
user's own and survive a reload; cards that arrive live are placed and filtered by them."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.conftest import escalation, screenshot, session_cookie, wait_live

pytestmark = pytest.mark.e2e


def _queue(page):
    return page.get_by_role("region", name="Escalation queue")


def _titles(page):
    """The titles of the cards a person sees, top to bottom."""
    return _queue(page).locator(".hcard:visible .hcard-title").all_inner_texts()


def _handoff(http, *, title, to, reason="Shift change, over to you"):
    session = http.post("/sessions", json={"title": title, "problem": "Laptop fan loud since the update."})
    assert session.status_code == 201, session.text
    handoff = http.post(f"/sessions/{session.json()['id']}/handoff",
                        json={"target_user_id": str(to.pk), "reason": reason})
    assert handoff.status_code == 201, handoff.text


@pytest.fixture
def queue_of_four(api_http, acme_tech, acme_senior, acme_senior2):
    """Oldest first: two escalations, a handoff to Sam, a handoff to Sue."""
    tech = api_http(acme_tech)
    escalation(tech, title="Printer offline in accounting", reason="Spooler restarts do nothing")
    _, vpn = escalation(tech, title="VPN drops every hour", reason="Tried a new profile")
    _handoff(tech, title="Fan noise on the CEO laptop", to=acme_senior)
    _handoff(tech, title="Mailbox migration half done", to=acme_senior2)
    return tech, vpn


NEWEST = ["Mailbox migration half done", "Fan noise on the CEO laptop", "VPN drops every hour",
          "Printer offline in accounting"]


def test_sort_view_and_filters_are_kept_per_user(browsers, queue_of_four, acme_senior, acme_senior2):
    page = browsers.open(acme_senior, "/escalations/", reduced_motion="reduce")
    wait_live(page)
    expect(_queue(page).locator(".hcard")).to_have_count(4)
    assert _titles(page) == NEWEST

    # Sort: the one waiting longest on top.
    page.get_by_label("Sort", exact=True).select_option(label="Waiting longest first")
    assert _titles(page) == NEWEST[::-1]

    # Compact list: one card a row, the problem text left out.
    page.get_by_label("Compact list", exact=True).check()
    cards = _queue(page).locator(".hcard")
    boxes = [cards.nth(i).bounding_box() for i in range(4)]
    assert len({round(b["x"]) for b in boxes}) == 1
    assert all(b["y"] < c["y"] for b, c in zip(boxes, boxes[1:], strict=False))
    expect(cards.first.locator(".hcard-problem")).to_be_hidden()
    expect(cards.first.get_by_role("button", name="Open context")).to_be_visible()
    screenshot(page, "queue-compact.png")

    # Text filter on title, problem or requester.
    page.get_by_label("Filter", exact=True).fill("printer")
    assert _titles(page) == ["Printer offline in accounting"]
    expect(_queue(page).locator("[data-queue-shown]")).to_have_text("1 shown")
    expect(_queue(page).locator("[data-queue-count]")).to_have_text("4")
    page.get_by_label("Filter", exact=True).fill("laptop fan")  # the problem of both handoffs
    assert _titles(page) == ["Fan noise on the CEO laptop", "Mailbox migration half done"]
    page.get_by_label("Filter", exact=True).fill("tina")  # the requester
    assert len(_titles(page)) == 4
    page.get_by_label("Filter", exact=True).fill("nothing like this")
    expect(_queue(page).get_by_text("Nothing matches your filter.")).to_be_visible()
    page.get_by_label("Filter", exact=True).fill("")

    # Escalations vs handoffs, and the handoffs handed to me.
    page.get_by_label("Type", exact=True).select_option(label="Handoffs")
    assert _titles(page) == ["Fan noise on the CEO laptop", "Mailbox migration half done"]
    page.get_by_label("Type", exact=True).select_option(label="Escalations")
    assert _titles(page) == ["Printer offline in accounting", "VPN drops every hour"]
    page.get_by_label("Type", exact=True).select_option(label="Escalations and handoffs")
    page.get_by_label("Handed to me", exact=True).check()
    assert _titles(page) == ["Fan noise on the CEO laptop"]

    # A reload keeps every choice.
    page.reload()
    wait_live(page)
    expect(page.get_by_label("Handed to me", exact=True)).to_be_checked()
    expect(page.get_by_label("Compact list", exact=True)).to_be_checked()
    expect(page.get_by_label("Sort", exact=True)).to_have_value("waiting")
    assert _titles(page) == ["Fan noise on the CEO laptop"]
    page.get_by_role("button", name="Clear filter").click()
    # The reset renders on the next tick (after the form's own reset): wait for the cards to return.
    expect(_queue(page).locator(".hcard:visible")).to_have_count(4)
    assert _titles(page) == NEWEST[::-1]  # the sort and the view stay; the filter goes
    expect(page.get_by_label("Compact list", exact=True)).to_be_checked()
    page.get_by_label("Handed to me", exact=True).check()

    # Another person in the same browser has their own choices (the defaults).
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie(acme_senior2),
                               "url": page.url.split("/escalations/")[0]}])
    page.reload()
    wait_live(page)
    expect(page.locator("body")).to_have_attribute("data-user-name", "Sue Senior")
    expect(page.get_by_label("Cards", exact=True)).to_be_checked()
    expect(page.get_by_label("Handed to me", exact=True)).not_to_be_checked()
    assert _titles(page) == NEWEST


def test_live_arrivals_respect_the_sort_and_the_filter(browsers, queue_of_four, api_http, acme_tech, acme_senior):
    page = browsers.open(acme_senior, "/escalations/", reduced_motion="reduce")
    wait_live(page)
    expect(_queue(page).locator(".hcard")).to_have_count(4)
    page.get_by_label("Sort", exact=True).select_option(label="Waiting longest first")
    page.get_by_label("Type", exact=True).select_option(label="Escalations")

    # A new escalation waits least: at the bottom.
    tech, vpn = queue_of_four
    escalation(tech, title="Scanner to email broken")
    expect(_queue(page).locator(".hcard:visible")).to_have_count(3)
    assert _titles(page) == ["Printer offline in accounting", "VPN drops every hour", "Scanner to email broken"]

    # A handoff is filtered out as it arrives (it is counted, not shown).
    _handoff(tech, title="Monitor flickers", to=acme_senior)
    expect(_queue(page).locator("[data-queue-count]")).to_have_text("6")
    expect(page.locator("[data-announcer]")).to_have_text(
        "New escalation from Tina Tech: Monitor flickers (hidden by your filter)")
    assert _titles(page) == ["Printer offline in accounting", "VPN drops every hour", "Scanner to email broken"]

    # Newest first again: the live arrival goes to the top, and a claim still takes a card away.
    page.get_by_label("Sort", exact=True).select_option(label="Newest first")
    assert _titles(page) == ["Scanner to email broken", "VPN drops every hour", "Printer offline in accounting"]
    assert api_http(acme_senior).post(f"/handoffs/{vpn['id']}/claim").status_code == 200
    expect(_queue(page).locator(".hcard", has_text="VPN drops every hour")).to_have_count(0)
    assert _titles(page) == ["Scanner to email broken", "Printer offline in accounting"]
    expect(_queue(page).locator("[data-queue-count]")).to_have_text("5")


def test_today_moves_after_a_claim(browsers, api_http, acme_tech, acme_senior, acme_senior2):
    """Issue #12 item 4: the metric card's "Today" follows claims made while the page is open."""
    _, handoff = escalation(api_http(acme_tech), title="Claimed while Sam watches")
    page = browsers.open(acme_senior, "/escalations/", reduced_motion="reduce")
    wait_live(page)
    today = page.locator("[data-metrics]")
    expect(today.locator('[data-metric="today-claimed"]')).to_have_text("0")
    expect(today.locator('[data-metric="today-claim"]')).to_have_text("—")

    assert api_http(acme_senior2).post(f"/handoffs/{handoff['id']}/claim").status_code == 200
    expect(today.locator('[data-metric="today-claimed"]')).to_have_text("1")
    expect(today.locator('[data-metric="today-claim"]')).not_to_have_text("—")
    expect(today.locator('[data-metric="period-claimed"]')).to_have_text("1")
