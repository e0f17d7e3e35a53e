"""Times in the browser follow the viewer's time zone (issue #11): a step the technician logs
reaches the engineer's open page live (an ISO UTC time in a frame) and shows there in the engineer's
own zone with its abbreviation, as the server renders it after a reload; the technician, who
follows the account's zone, sees the account's."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Account, User
from tests.e2e.conftest import escalation, wait_live

pytestmark = pytest.mark.e2e


def test_a_live_step_shows_in_each_viewers_zone(browsers, api_http, acme, acme_tech, acme_senior):
    Account.objects.filter(pk=acme.pk).update(time_zone="Asia/Kolkata")
    User.objects.filter(pk=acme_senior.pk).update(time_zone="America/New_York")
    session, handoff = escalation(api_http(acme_tech), title="Time zone check")
    assert api_http(acme_senior).post(f"/handoffs/{handoff['id']}/claim").status_code == 200

    senior = browsers.open(acme_senior, f"/pilot/{session['id']}")
    wait_live(senior)
    expect(senior.locator("body")).to_have_attribute("data-time-zone", "America/New_York")
    tech = browsers.open(acme_tech, f"/pilot/{session['id']}")
    wait_live(tech)
    expect(tech.locator("body")).to_have_attribute("data-time-zone", "Asia/Kolkata")

    tech.get_by_label("What did you try?").fill("Rebooted PC-04")
    tech.get_by_role("button", name="Add step").click()
    live_step = senior.locator("[data-steps] .timeline-item").last
    expect(live_step).to_contain_text("Rebooted PC-04")
    # New York is on EST in late November (and EDT in summer); Intl names it either way.
    expect(live_step.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}\s?(AM |PM )?E[SD]T"))

    senior.reload()
    expect(senior.locator("[data-steps] .timeline-item").last.locator("time")).to_have_text(
        re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2} E[SD]T$"))
    tech.reload()
    expect(tech.locator("[data-steps] .timeline-item").last.locator("time")).to_have_text(
        re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2} IST$"))
