"""Inviting a teammate in a real browser (issue #11): the admin invites an email on the members
page; the email is captured by Django's file-based email backend, configured for a web process of this
test's own (`EMAIL_URL=filemail://…`; its tasks run eagerly after the commit, as embedded mode does);
the invitee opens the link in a fresh browser, chooses a name and a password, lands signed in on
the product, logs out and logs in again with that password."""

from __future__ import annotations

import email
import re
import time
from email import policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests import helpers
from tests.e2e.conftest import VIEWPORT, Browsers
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.e2e

PASSWORD = "lantern-quartz-meadow-7"


@pytest.fixture
def mail_server(transactional_db, tmp_path):
    """A web process whose emails land as files in `server.outbox`; its SITE_URL is its own address, so
    the link in the email opens it."""
    port = helpers.free_port()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    server = helpers.LiveAsgiServer(port=port, extra_env={
        "EMAIL_URL": f"filemail:///{outbox}", "SITE_URL": f"http://127.0.0.1:{port}"})
    server.outbox = outbox
    yield server
    server.stop()


def sent_messages(outbox: Path, count: int, timeout: float = 10.0) -> list:
    """The messages the server wrote (the file backend appends each, then a line of dashes)."""
    deadline = time.monotonic() + timeout
    while True:
        chunks = [chunk.strip() for path in sorted(outbox.iterdir())
                  for chunk in path.read_text().split("-" * 79) if chunk.strip()]
        if len(chunks) >= count or time.monotonic() > deadline:
            return [email.message_from_string(chunk + "\n", policy=policy.default) for chunk in chunks]
        time.sleep(0.1)


def test_an_admin_invites_a_teammate_who_joins_and_logs_in(new_context, mail_server, acme_admin):
    browsers = Browsers(new_context, mail_server)
    page = browsers.open(acme_admin, "/sessions/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
    assert_accessible(page, "the members page")

    page.get_by_label("Email").fill("nora@acme.test")
    page.get_by_label("Role", exact=True).select_option("engineer")
    page.get_by_role("button", name="Send invite").click()
    expect(page.locator(".flash-list")).to_contain_text("Invite sent to nora@acme.test (Engineer).")
    row = page.locator("[data-invite-row]")
    expect(row).to_contain_text("nora@acme.test")
    expect(row).to_contain_text("Engineer")
    expect(row).not_to_contain_text("Not sent yet")

    [message] = sent_messages(mail_server.outbox, 1)
    assert message["To"] == "nora@acme.test"
    assert message["Subject"] == "Ada Admin invited you to Acme MSP on ResolutionFlow"
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(mail_server.url)}/invite/[A-Za-z0-9_-]+", body).group(0)

    # The invitee: a browser of their own, never signed in.
    context = new_context(base_url=mail_server.url, viewport=VIEWPORT)
    invitee = context.new_page()
    invitee.on("pageerror", lambda exc: browsers.errors.append(f"invitee {invitee.url}: {exc}"))
    invitee.on("console", lambda msg: msg.type == "error" and browsers.errors.append(f"invitee: {msg.text}"))
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join Acme MSP")).to_be_visible()
    expect(invitee.locator("[data-invite-email]")).to_have_text("nora@acme.test")
    assert_accessible(invitee, "the invite page")
    invitee.get_by_label("Your name").fill("Nora New")
    invitee.get_by_label("Password", exact=True).fill(PASSWORD)
    invitee.get_by_label("Password again").fill(PASSWORD)
    invitee.get_by_role("button", name="Join and sign in").click()

    expect(invitee).to_have_url(f"{mail_server.url}/sessions/")
    expect(invitee.locator(".flash-list")).to_contain_text("Welcome to Acme MSP, Nora New.")
    expect(invitee.locator(".me .who")).to_contain_text("Nora New")
    expect(invitee.locator(".me .who")).to_contain_text("Engineer")
    user = User.objects.get(email="nora@acme.test")
    assert (user.account_id, user.role) == (acme_admin.account_id, "engineer")

    # The link was single use.
    again = new_context(base_url=mail_server.url, viewport=VIEWPORT).new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="This invite has already been used")).to_be_visible()

    # Log out, then the first login with the password they chose.
    invitee.get_by_role("button", name="Log out").click()
    expect(invitee.get_by_role("heading", name="Log in")).to_be_visible()
    invitee.get_by_label("Email").fill("nora@acme.test")
    invitee.get_by_label("Password").fill(PASSWORD)
    invitee.get_by_role("button", name="Log in").click()
    expect(invitee).to_have_url(f"{mail_server.url}/sessions/")
    expect(invitee.locator(".me .who")).to_contain_text("Nora New")

    # The admin's page now lists Nora as a member, with a last login, and no pending invite.
    page.reload()
    member = page.locator("[data-member-row]").filter(has_text="nora@acme.test")
    expect(member).to_contain_text("Nora New")
    expect(member).to_contain_text("Active")
    expect(member).not_to_contain_text("Never")
    expect(page.locator("[data-no-invites]")).to_be_visible()
    assert not browsers.errors, "\n".join(browsers.errors)
