"""Invites (issue #11): an account admin invites an email with a role; the email (sent after
commit, by the task a worker runs) carries a single-use link that expires; the invitee chooses a
name and a password and lands signed in, in the invite's account with its role."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.invite_tokens import hash_token
from accounts.models import Invite, User
from resolutionflow.celery import app as celery_app
from tests.helpers import PASSWORD, ROOT, browser_client

LINK = re.compile(r"https://rf\.example\.com/invite/([A-Za-z0-9_-]+)")
GOOD_PASSWORD = "plum-orbit-canvas-42"


@pytest.fixture(autouse=True)
def _mail_and_eager_tasks(settings):
    """Django's locmem email backend, links on a known SITE_URL, and `.delay()` run in process (as
    embedded mode does; no worker in these tests)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://rf.example.com"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def invite(client, capture, email="newbie@acme.test", role="engineer"):
    with capture(execute=True):
        return client.post("/settings/members/invite", {"email": email, "role": role})


def link_token(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def accept(token, *, name="Nora New", password=GOOD_PASSWORD, confirm=None, client=None):
    client = client or Client()
    response = client.post(f"/invite/{token}", {"name": name, "password": password,
                                                "password_confirm": password if confirm is None else confirm})
    return client, response


def test_an_admin_invites_and_the_invitee_joins_signed_in_with_the_role(
        acme_admin, django_capture_on_commit_callbacks):
    admin = browser_client(acme_admin)
    response = invite(admin, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/settings/members/"
    assert "Invite sent to newbie@acme.test (Engineer)." in admin.get("/settings/members/").content.decode()

    assert [m.to for m in mail.outbox] == [["newbie@acme.test"]]
    message = mail.outbox[0]
    assert message.subject == "Ada Admin invited you to Acme MSP on ResolutionFlow"
    token = link_token(message)
    assert f"/invite/{token}" in message.alternatives[0][0]

    page = Client().get(f"/invite/{token}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Join Acme MSP" in text and "newbie@acme.test" in text and "engineer" in text
    assert "no-store" in page["Cache-Control"]

    client, response = accept(token)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="newbie@acme.test")
    assert (user.account_id, user.role, user.name, user.is_active) == (acme_admin.account_id, "engineer",
                                                                       "Nora New", True)
    assert user.check_password(GOOD_PASSWORD)
    home = client.get("/", follow=True)
    assert home.status_code == 200 and home.wsgi_request.user == user
    assert "Welcome to Acme MSP, Nora New." in home.content.decode()
    assert Invite.objects.get(email="newbie@acme.test").accepted_user == user


def test_only_a_hash_of_the_link_token_is_stored(acme_admin, django_capture_on_commit_callbacks):
    invite(browser_client(acme_admin), django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    stored = Invite.objects.get()
    assert stored.token_hash == hash_token(token) != token
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_invite")
        assert token not in repr(cursor.fetchall())


def test_a_used_link_is_refused_with_a_clear_page(acme_admin, django_capture_on_commit_callbacks):
    invite(browser_client(acme_admin), django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    accept(token)

    again = Client().get(f"/invite/{token}")
    assert again.status_code == 410
    assert "This invite has already been used" in again.content.decode()
    _, second = accept(token, name="Mallory", password="another-pass-99x")
    assert second.status_code == 410
    assert User.objects.filter(email="newbie@acme.test").count() == 1
    assert User.objects.get(email="newbie@acme.test").name == "Nora New"


def test_an_expired_link_is_refused_and_creates_nobody(acme_admin, django_capture_on_commit_callbacks):
    invite(browser_client(acme_admin), django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    page = Client().get(f"/invite/{token}")
    assert page.status_code == 410 and "This invite has expired" in page.content.decode()
    _, response = accept(token)
    assert response.status_code == 410
    assert not User.objects.filter(email="newbie@acme.test").exists()


def test_the_link_expires_after_invite_expiry_days(acme_admin, settings, django_capture_on_commit_callbacks):
    settings.INVITE_EXPIRY_DAYS = 3
    before = timezone.now()
    invite(browser_client(acme_admin), django_capture_on_commit_callbacks)
    stored = Invite.objects.get()
    assert before + timedelta(days=3) <= stored.expires_at <= timezone.now() + timedelta(days=3)
    assert "for 3 days" in browser_client(acme_admin).get("/settings/members/").content.decode()


def test_an_unknown_link_is_a_404_page(db):
    response = Client().get("/invite/not-a-real-token")
    assert response.status_code == 404
    assert "This invite link is not valid" in response.content.decode()
    assert Client().get("/invite/" + "x" * 5000).status_code == 404


def test_reinviting_replaces_the_pending_invite(acme_admin, django_capture_on_commit_callbacks):
    admin = browser_client(acme_admin)
    invite(admin, django_capture_on_commit_callbacks, role="technician")
    first = link_token(mail.outbox[0])
    invite(admin, django_capture_on_commit_callbacks, role="admin")
    second = link_token(mail.outbox[1])

    old = Client().get(f"/invite/{first}")
    assert old.status_code == 410 and "replaced by a newer invite" in old.content.decode()
    pending = Invite.objects.pending()
    assert [(i.email, i.role) for i in pending] == [("newbie@acme.test", "admin")]
    page = admin.get("/settings/members/").content.decode()
    assert page.count("data-invite-row") == 1

    accept(second)
    assert User.objects.get(email="newbie@acme.test").role == "admin"


def test_an_admin_revokes_a_pending_invite(acme_admin, django_capture_on_commit_callbacks):
    admin = browser_client(acme_admin)
    invite(admin, django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    pending = Invite.objects.get()

    response = admin.post(f"/settings/members/invites/{pending.pk}/revoke", follow=True)
    assert response.status_code == 200
    assert "Invite to newbie@acme.test revoked: its link no longer works." in response.content.decode()
    assert "No pending invites." in response.content.decode()
    _, refused = accept(token)
    assert refused.status_code == 410
    assert not User.objects.filter(email="newbie@acme.test").exists()


@pytest.mark.parametrize("email", ["admin@acme.test", "ADMIN@globex.test"])
def test_an_email_that_is_already_a_user_anywhere_cannot_be_invited(
        email, acme_admin, globex_admin, django_capture_on_commit_callbacks):
    response = invite(browser_client(acme_admin), django_capture_on_commit_callbacks, email=email)
    assert response.status_code == 400
    assert f"{email.lower()} already has a ResolutionFlow login" in response.content.decode()
    assert not Invite.objects.exists() and mail.outbox == []


@pytest.mark.parametrize("body, message", [
    ({"email": "not an email", "role": "engineer"}, "Enter a valid email address."),
    ({"email": "x@acme.test", "role": "owner"}, "Select a valid choice."),
    ({"email": "", "role": "engineer"}, "This field is required."),
    ({"email": "a" * 250 + "@acme.test", "role": "engineer"}, "Ensure this value has at most 254 characters"),
])
def test_bad_invite_input_is_a_400_with_the_message_and_writes_nothing(
        body, message, acme_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_client(acme_admin).post("/settings/members/invite", body)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invite.objects.exists() and mail.outbox == []


@pytest.mark.parametrize("fields, message", [
    ({"password": "short"}, "This password is too short."),
    ({"password": "password123"}, "This password is too common."),
    ({"password": "newbie@acme.test1"}, "too similar to the email"),
    ({"confirm": "something-else-1"}, "The two passwords differ."),
    ({"name": "  "}, "This field is required."),
    ({"name": "n" * 151}, "at most 150 characters"),
])
def test_a_bad_name_or_password_is_a_400_with_the_message_and_the_link_still_works(
        fields, message, acme_admin, django_capture_on_commit_callbacks):
    invite(browser_client(acme_admin), django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    _, response = accept(token, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(email="newbie@acme.test").exists()
    assert Invite.objects.pending().count() == 1
    _, ok = accept(token)
    assert ok.status_code == 302


def test_an_invite_whose_email_became_a_user_meanwhile_cannot_be_accepted(
        acme_admin, globex_admin, django_capture_on_commit_callbacks):
    invite(browser_client(acme_admin), django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    User.objects.create_user(email="newbie@acme.test", password=PASSWORD, account=globex_admin.account)

    _, response = accept(token)
    assert response.status_code == 400
    assert "newbie@acme.test already has a ResolutionFlow login: log in instead." in response.content.decode()
    assert User.objects.get(email="newbie@acme.test").account == globex_admin.account
    assert Invite.objects.get().accepted_at is None


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior"])
def test_technicians_and_engineers_cannot_invite_or_revoke(who, request, acme_admin,
                                                            django_capture_on_commit_callbacks):
    invite(browser_client(acme_admin), django_capture_on_commit_callbacks)
    pending = Invite.objects.get()
    client = browser_client(request.getfixturevalue(who))
    assert client.get("/settings/members/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/settings/members/invite", {"email": "x@acme.test", "role": "admin"}).status_code == 403
    assert client.post(f"/settings/members/invites/{pending.pk}/revoke").status_code == 403
    assert Invite.objects.pending().count() == 1 and len(mail.outbox) == 1


def test_another_accounts_invite_is_a_404(acme_admin, globex_admin, django_capture_on_commit_callbacks):
    invite(browser_client(globex_admin), django_capture_on_commit_callbacks, email="someone@globex.test")
    theirs = Invite.objects.get()
    admin = browser_client(acme_admin)
    assert admin.post(f"/settings/members/invites/{theirs.pk}/revoke").status_code == 404
    assert admin.post("/settings/members/invites/not-a-uuid/revoke").status_code == 404
    assert Invite.objects.pending().get() == theirs
    assert "someone@globex.test" not in admin.get("/settings/members/").content.decode()


def test_the_invite_form_needs_a_csrf_token(acme_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme_admin)
    assert client.post("/settings/members/invite", {"email": "x@acme.test", "role": "admin"}).status_code == 403
    assert not Invite.objects.exists()


def test_a_failed_send_leaves_the_invite_unsent_and_shown_so(acme_admin, settings,
                                                              django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: connection refused
    admin = browser_client(acme_admin)
    response = invite(admin, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    stored = Invite.objects.get()
    assert (stored.sent_at, stored.token_hash) == (None, None)
    assert "Not sent yet" in admin.get("/settings/members/").content.decode()


@pytest.mark.parametrize("value", ["seven", "0", "91", "2.5"])
def test_a_bad_invite_expiry_setting_fails_at_start_up(value):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DEBUG": "1", "INVITE_EXPIRY_DAYS": value})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "INVITE_EXPIRY_DAYS must be a whole number of days from 1 to 90." in result.stderr
