"""Sign-in in a real browser (issue #11): a forgotten password reset through the emailed link, and
two-factor authentication set up on the Security page and then asked for at login.

The reset runs twice, once per way the email leaves the server:
- through Django's locmem backend, with the server in this process (pytest-django's `live_server`,
  Django's threaded WSGI server on the transactional test database), so `mailoutbox` holds it;
- through a real SMTP server on loopback (aiosmtpd), to which a web process of the test's own sends it
  (`EMAIL_URL=smtp://127.0.0.1:<port>`); the test parses what the SMTP server received.

The codes are computed in the test from the key the page shows (RFC 6238, as an authenticator app
does: `totp` in tests/accounts/test_sign_in.py)."""

from __future__ import annotations

import email
import re
import time
from email import policy
from email.utils import parseaddr

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from accounts.models import User
from tests import helpers
from tests.accounts.test_sign_in import totp
from tests.e2e.conftest import VIEWPORT
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "harbour-violet-engine-58"
MISMATCH = "Your email and password didn't match. Please try again."


def visitor(new_context, base_url, errors, who="visitor"):
    """A page in a browser of its own, not signed in; its JavaScript errors go to `errors`."""
    context = new_context(base_url=base_url, viewport=VIEWPORT, reduced_motion="reduce")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{who} {page.url}: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and "WebSocket connection to" not in msg.text
            and errors.append(f"{who} {page.url}: console.error: {msg.text}"))
    return page


def log_in(page, email_address, password):
    page.get_by_label("Email").fill(email_address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def server_knows_password(user, password=helpers.PASSWORD):
    """The test process hashes with MD5 for speed; the web process knows only the product's hashers, so the
    password is stored with one of them (PBKDF2, few iterations: the server re-hashes it when it
    checks it, as after a Django upgrade, and the member stays signed in)."""
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=user.pk).update(password=hasher.encode(password, hasher.salt(), iterations=1000))
    user.refresh_from_db()  # a session cookie made from now on carries the stored password's hash


def reset_password_in_the_browser(page, base_url, user, receive_message, *, check_accessibility=False):
    """From the login page's "Forgot password?" link to signed in with the new password; the old
    one is refused. `receive_message()` returns the email the server sent, parsed."""
    page.goto("/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    if check_accessibility:
        assert_accessible(page, "the password reset page")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("a link to set a new password is on its way")).to_be_visible()
    if check_accessibility:
        assert_accessible(page, "the reset link sent page")

    message = receive_message()
    assert message["To"] == user.email
    assert message["Subject"] == "ResolutionFlow: Password Reset Email"
    body = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(rf"{re.escape(base_url)}/accounts/password/reset/key/\S+/", body)
    assert len(links) == 1, body

    page.goto(links[0])
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    if check_accessibility:
        assert_accessible(page, "the set a new password page")
    new_password = page.get_by_label("New Password", exact=True)
    expect(new_password).to_have_accessible_description(re.compile("at least 8 characters"))
    new_password.fill("short")
    page.get_by_label("New Password (again)", exact=True).fill("short")
    page.get_by_role("button", name="Set password").click()
    # The rule it broke is shown, and read with the field.
    too_short = "This password is too short. It must contain at least 8 characters."
    expect(page.get_by_role("alert").first).to_have_text(too_short)
    expect(new_password).to_have_attribute("aria-invalid", "true")
    expect(new_password).to_have_accessible_description(re.compile("This password is too short"))
    if check_accessibility:
        assert_accessible(page, "the set a new password page with an error")

    new_password.fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    if check_accessibility:
        assert_accessible(page, "the password changed page")

    page.get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    log_in(page, user.email, helpers.PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(MISMATCH)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    log_in(page, user.email, NEW_PASSWORD)
    expect(page).to_have_url(f"{base_url}/sessions/")
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    expect(page.locator(".me .who")).to_contain_text(user.name)

    # The link worked once.
    page.goto(links[0])
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()


def test_a_forgotten_password_is_reset_by_email_in_the_browser(new_context, live_server, mailoutbox, acme_tech):
    errors: list[str] = []
    page = visitor(new_context, live_server.url, errors)

    def receive_message():
        [sent] = mailoutbox
        return email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)

    reset_password_in_the_browser(page, live_server.url, acme_tech, receive_message, check_accessibility=True)
    assert len(mailoutbox) == 1
    assert not errors, "\n".join(errors)


class Inbox:
    """aiosmtpd's handler: keeps every message the SMTP server accepted."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


@pytest.fixture
def smtp_inbox():
    """A real SMTP server on loopback (aiosmtpd, in a thread of this process)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=helpers.free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_server(transactional_db, smtp_inbox):
    """A web process that sends its email over SMTP to `smtp_inbox`."""
    port = helpers.free_port()
    server = helpers.LiveAsgiServer(port=port, extra_env={
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_inbox.port}", "SITE_URL": f"http://127.0.0.1:{port}"})
    yield server
    server.stop()


def test_a_forgotten_password_is_reset_through_a_real_smtp_server(new_context, smtp_server, smtp_inbox, acme_tech):
    server_knows_password(acme_tech)
    errors: list[str] = []
    page = visitor(new_context, smtp_server.url, errors)

    def receive_message():
        [(sender, recipients, message)] = smtp_inbox.wait_for(1)
        assert recipients == [acme_tech.email]
        assert sender == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        return message

    reset_password_in_the_browser(page, smtp_server.url, acme_tech, receive_message)
    assert len(smtp_inbox.messages) == 1
    assert not errors, "\n".join(errors)


def current_code(secret: str) -> str:
    """The code an authenticator app shows now, read with at least five seconds of its 30-second
    window left (the server accepts the current window only), as a person waits for a fresh one."""
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    return totp(secret)


def test_a_member_sets_up_two_factor_and_the_next_login_asks_for_the_code(browsers, live_asgi, acme_tech):
    server_knows_password(acme_tech)
    page = browsers.open(acme_tech, "/sessions/", reduced_motion="reduce")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Sign-in and security", level=1)).to_be_visible()
    expect(page.get_by_text("Off.", exact=True)).to_be_visible()
    assert_accessible(page, "the Security page")

    page.get_by_role("link", name="Set up an authenticator app").click()
    # allauth asks for the password again before a factor is added.
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    assert_accessible(page, "the confirm-your-password page")
    page.get_by_label("Password", exact=True).fill("not-my-password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect password.")
    page.get_by_label("Password", exact=True).fill(helpers.PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page, "the authenticator set-up page")
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    page.get_by_label("Authenticator code").fill(current_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    expect(page.locator(".flash-list")).to_contain_text("Authenticator app activated.")
    expect(page.get_by_text("10 of 10 codes unused")).to_be_visible()
    codes = page.get_by_role("list", name="Unused recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"\d{8}", code) for code in codes.all_inner_texts()), codes.all_inner_texts()
    assert_accessible(page, "the recovery codes page")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page.get_by_text("On: signing in asks for a code from your authenticator app.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    log_in(page, acme_tech.email, helpers.PASSWORD)
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    assert_accessible(page, "the two-factor code page")

    code = current_code(secret)
    page.get_by_label("Authenticator code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect code.")
    expect(page.get_by_label("Authenticator code")).to_have_attribute("aria-invalid", "true")
    # Not signed in yet.
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    page.get_by_label("Authenticator code").fill(current_code(secret))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_asgi.url}/sessions/")
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    expect(page.locator(".me .who")).to_contain_text("Tina Tech")
