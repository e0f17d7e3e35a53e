"""The bell in a real browser (issue #12): an escalation's bell stops being unread when a colleague
claims it, live, in the open panel and in the count, without a reload."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import escalation, wait_live

pytestmark = pytest.mark.e2e


def test_a_colleagues_claim_drops_the_escalation_from_the_open_bell(browsers, api_http, acme_tech, acme_senior,
                                                                   acme_senior2):
    page = browsers.open(acme_senior, "/sessions/", reduced_motion="reduce")
    wait_live(page)
    bell = page.get_by_role("button", name="Notifications", exact=True)
    count = page.locator("[data-bell-count]")
    expect(count).to_have_attribute("data-count", "0")

    _, handoff = escalation(api_http(acme_tech), title="Claimed by Sue while Sam reads")
    expect(count).to_have_attribute("data-count", "1")  # the escalation's bell, live
    bell.click()
    item = page.locator("#bell-panel .note", has_text="Claimed by Sue while Sam reads")
    expect(item).to_have_class("note is-unread")
    expect(page.get_by_role("button", name="Mark as read: Tina Tech escalated")).to_be_visible()

    assert api_http(acme_senior2).post(f"/handoffs/{handoff['id']}/claim").status_code == 200
    expect(count).to_have_attribute("data-count", "0")
    expect(page.locator("#bell-count-text")).to_have_text("0 unread")
    expect(item).to_have_class("note")  # still listed, now read
    expect(page.locator("#bell-panel")).to_be_visible()  # the panel stayed open

    # What the server says agrees after a reload.
    page.reload()
    wait_live(page)
    expect(count).to_have_attribute("data-count", "0")
