"""The Integrations page in a real browser: an admin presses "Send a test" on a Slack channel whose
URL is a loopback Slack server and reads the answer on the page. The live server runs its tasks
eagerly after the commit (LiveAsgiServer), as the embedded mode does, so the delivery is sent by
the time the page's script follows it."""

import concurrent.futures

import pytest
from playwright.sync_api import expect

from notifications import outbox
from notifications.models import Delivery
from notifications.transports import slack as slack_transport
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import assert_accessible
from tests.notifications.builders import run_due, slack, webhook
from tests.notifications.loopback import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def slack_server():
    server = Receiver()
    yield server
    server.stop()


def test_an_admin_sends_a_test_to_slack_and_sees_the_answer(browsers, acme_admin, slack_server):
    slack_server.default.body = b"ok"
    channel = slack(acme_admin.account, slack_server.url("/services/T000/B000/XXXX"), name="#escalations")
    webhook(acme_admin.account, "https://hooks.example.com/rf")
    page = browsers.open(acme_admin, "/sessions/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    expect(page.get_by_role("heading", name="Integrations", level=1)).to_be_visible()

    card = page.locator("[data-integration]").filter(has=page.get_by_role("heading", name="#escalations"))
    expect(card.get_by_text("Nothing sent yet.")).to_be_visible()
    card.get_by_role("button", name="Send a test").click()

    result = card.get_by_role("status")
    expect(result).to_have_text("Delivered: HTTP 200 · ok")
    expect(result).to_have_attribute("data-tone", "ok")
    [request] = slack_server.requests
    assert request.path == "/services/T000/B000/XXXX"
    assert "ResolutionFlow test message" in request.body.decode()
    delivery = Delivery.objects.get(channel=channel)
    assert (delivery.event_type, delivery.status, delivery.last_status_code) == ("test", "delivered", 200)

    page.reload()
    row = page.locator(f'tr[data-delivery-id="{delivery.pk}"]')
    expect(row).to_contain_text("test")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200 · ok")
    assert_accessible(page, "the Integrations page")
    screenshot(page, "integrations.png")


def test_a_failing_slack_test_shows_the_error(browsers, acme_admin, slack_server):
    slack_server.reply(404, b"no_service")
    slack(acme_admin.account, slack_server.url("/services/T000/B000/GONE"), name="#old-channel")
    page = browsers.open(acme_admin, "/settings/integrations/")
    card = page.locator("[data-integration]").filter(has=page.get_by_role("heading", name="#old-channel"))
    card.get_by_role("button", name="Send a test").click()
    result = card.get_by_role("status")
    expect(result).to_contain_text("Failed: HTTP 404 from 127.0.0.1")
    expect(result).to_contain_text("no_service")
    expect(result).not_to_contain_text("GONE")
    expect(result).to_have_attribute("data-tone", "bad")


def test_a_test_sent_before_the_script_ran_is_followed_from_the_page(browsers, acme_admin, slack_server, settings):
    """"Send a test" pressed before the page's script loaded (or without it) comes back as
    `?test=<id>`: the card says the test is queued, and shows the vendor's answer once sent."""
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True  # this process sends it, to the loopback Slack
    slack_server.default.body = b"ok"
    channel = slack(acme_admin.account, slack_server.url("/services/T000/B000/XXXX"), name="#escalations")
    delivery = outbox.new(account_id=channel.account_id, kind=channel.kind, event_type="test", target=channel.name,
                          payload=slack_transport.build_test(channel_name=channel.name, requested_by="Ada"),
                          channel=channel)
    delivery.save()  # queued, not dispatched: the worker sends it below
    page = browsers.open(acme_admin, f"/settings/integrations/?test={delivery.pk}")
    result = page.locator("[data-integration]").filter(
        has=page.get_by_role("heading", name="#escalations")).get_by_role("status")
    expect(result).to_have_text("Queued: waiting for a worker to send it.")

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(run_due).result()
    expect(result).to_have_text("Delivered: HTTP 200 · ok")
    expect(result).to_have_attribute("data-tone", "ok")
