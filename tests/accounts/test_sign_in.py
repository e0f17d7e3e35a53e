"""Sign-in on django-allauth (issue #11): log in by email, a wrong password, the one lockout
(django-axes) on allauth's own login path too, closed signup, a forgotten password reset by email,
a password change by the signed-in user, and the TOTP second factor: an account that requires it
sends its members to enrol, and a login with an authenticator asks for the code (also the admin's)."""

import base64
import hashlib
import hmac
import os
import re
import struct
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from axes.models import AccessAttempt
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client, override_settings

from accounts.models import User
from tests.helpers import PASSWORD

MISMATCH = "Your email and password didn't match."
LOCKED = "Too many failed sign-in attempts. Try again in 15 minutes."
NEW_PASSWORD = "a-brand-new-passphrase-42"


def sign_in(client, email, password, *, path="/login/", **extra):
    return client.post(path, {"username": email, "password": password}, **extra)


def test_a_member_logs_in_by_email_and_lands_on_their_sessions(client, acme_tech):
    response = sign_in(client, "Tech@Acme.test", PASSWORD, follow=True)
    assert response.redirect_chain[-1][0] == "/sessions/"
    assert response.context["user"] == acme_tech


def test_the_login_page_offers_a_forgotten_password_link(client, db):
    page = client.get("/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in page and "Forgot password?" in page
    assert client.get("/password_reset/")["Location"] == "/accounts/password/reset/"


def test_a_wrong_password_and_an_unknown_email_get_the_same_refusal(client, acme_tech):
    wrong = sign_in(client, acme_tech.email, "not-my-password")
    unknown = sign_in(client, "nobody@acme.test", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 200 and MISMATCH in response.content.decode()
    assert client.get("/sessions/")["Location"].startswith("/login/")


def test_allauths_own_login_path_is_counted_and_locked_by_axes(client, acme_tech):
    statuses = [sign_in(client, acme_tech.email, "wrong", path="/accounts/login/").status_code for _ in range(11)]
    assert statuses == [200] * 9 + [429] * 2
    response = sign_in(client, acme_tech.email, PASSWORD, path="/accounts/login/")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert AccessAttempt.objects.get().failures_since_start == 10
    # The same lock holds on /login/: one policy, one count.
    assert sign_in(client, acme_tech.email, PASSWORD).status_code == 429


def test_failures_on_both_paths_add_up_to_one_lock(client, acme_tech):
    for path in ["/login/", "/accounts/login/", "/admin/login/"] * 3:
        sign_in(client, acme_tech.email, "wrong", path=path)
    assert sign_in(client, acme_tech.email, "wrong", path="/accounts/login/").status_code == 429


def test_nobody_can_sign_up(client, db):
    response = client.post("/accounts/signup/", {"email": "new@acme.test", "password1": NEW_PASSWORD})
    assert response.status_code == 200
    assert "closed" in response.content.decode().lower()
    assert not User.objects.filter(email="new@acme.test").exists()


def reset_link(message) -> str:
    [link] = re.findall(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body)
    return link


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, acme_tech, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": acme_tech.email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    [message] = mailoutbox
    assert message.to == [acme_tech.email]
    assert "ResolutionFlow" in message.subject

    form = client.get(reset_link(message), follow=True)
    assert form.status_code == 200 and "Set a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302

    assert sign_in(client, acme_tech.email, PASSWORD).status_code == 200  # the old one is gone
    assert sign_in(client, acme_tech.email, NEW_PASSWORD).status_code == 302
    # The link worked once.
    client.logout()
    again = client.get(reset_link(message), follow=True)
    assert "This link no longer works" in again.content.decode()


def test_the_new_password_fields_carry_their_rules_and_errors(client, acme_tech, mailoutbox):
    # Django points each input's aria-describedby at "<id>_helptext" and, with errors, "<id>_error":
    # a screen reader reads those with the field, so they must be on the page.
    client.post("/accounts/password/reset/", {"email": acme_tech.email})
    form = client.get(reset_link(mailoutbox[0]), follow=True)
    page = form.content.decode()
    rules = re.search(r'<div class="muted auth-help" id="id_password1_helptext">(.*?)</div>', page, re.S).group(1)
    assert "<li>Your password must contain at least 8 characters.</li>" in rules  # a list, not run together
    assert '<label for="id_password1">New Password</label>' in page

    def described_by(page, name):
        tag = re.search(rf'<input type="password" name="{name}"[^>]*>', page).group(0)
        ids = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
        assert all(f'id="{id_}"' in page for id_ in ids), (tag, ids)
        return ids

    too_short = client.post(form.redirect_chain[-1][0], {"password1": "short", "password2": "short"}).content.decode()
    assert described_by(too_short, "password1") == ["id_password1_helptext", "id_password1_error"]
    assert "This password is too short." in re.search(r'<div id="id_password1_error">(.*?)</div>', too_short, re.S)[1]

    mismatch = client.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    mismatch = mismatch.content.decode()
    assert described_by(mismatch, "password2") == ["id_password2_error"]
    assert "You must type the same password each time." in mismatch


def test_a_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, acme_tech, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "ghost@acme.test"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    assert mailoutbox == []


def test_a_tampered_reset_link_is_refused(client, acme_tech, mailoutbox):
    client.post("/accounts/password/reset/", {"email": acme_tech.email})
    link = reset_link(mailoutbox[0])
    response = client.get(link[:-3] + "zz/", follow=True)
    assert response.status_code == 200 and "This link no longer works" in response.content.decode()


def test_a_signed_in_member_changes_their_password(client, acme_tech):
    assert sign_in(client, acme_tech.email, PASSWORD).status_code == 302
    page = client.get("/accounts/password/change/")
    assert page.status_code == 200 and "Change your password" in page.content.decode()

    wrong = client.post("/accounts/password/change/", {"oldpassword": "guess", "password1": NEW_PASSWORD,
                                                        "password2": NEW_PASSWORD})
    assert wrong.status_code == 200
    changed = client.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD,
                                                          "password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.get("/sessions/").status_code == 200  # still signed in here
    client.logout()
    assert sign_in(client, acme_tech.email, PASSWORD).status_code == 200
    assert sign_in(client, acme_tech.email, NEW_PASSWORD).status_code == 302


def test_the_password_change_page_needs_a_sign_in(client, db):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- Two-factor authentication (TOTP) -------------------------------------------------------------

def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238: HMAC-SHA1 over the 30-second counter, dynamic truncation, six digits."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def enrol(user) -> str:
    """An authenticator app set up for `user` as the enrolment page does; returns the secret."""
    secret = base64.b32encode(os.urandom(20)).decode()
    TOTP.activate(user, secret)
    return secret


def test_a_member_of_an_account_requiring_mfa_must_enrol_before_anything_else(client, acme, acme_tech, globex_tech):
    acme.mfa_required = True
    acme.save()
    signed_in = sign_in(client, acme_tech.email, PASSWORD, follow=True)
    # To the enrolment page, which (allauth) first asks for the password again.
    assert [url for url, _ in signed_in.redirect_chain][-2:] == [
        "/accounts/2fa/totp/activate/?next=%2F",
        "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F%3Fnext%3D%252F"]
    confirmed = client.post(signed_in.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert confirmed.redirect_chain[-1][0].startswith("/accounts/2fa/totp/activate/")
    page = confirmed.content.decode()
    assert "Acme MSP requires two-factor authentication" in page

    for path in ("/sessions/", "/escalations/", "/settings/notifications", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate/")
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and "two-factor" in api.json()["detail"]

    # Enrol with a code computed from the secret the page shows.
    secret = re.search(r"data-totp-secret>([A-Z2-7=]+)<", page).group(1)
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000" if totp(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=acme_tech).exists()
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=acme_tech, type=Authenticator.Type.TOTP).exists()
    assert client.get("/sessions/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200

    # Another account that does not require it is not affected.
    other = sign_in(Client(), globex_tech.email, PASSWORD, follow=True)
    assert other.redirect_chain[-1][0] == "/sessions/"


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher",
                                     "django.contrib.auth.hashers.PBKDF2PasswordHasher"])
def test_confirming_the_password_keeps_the_member_signed_in_when_it_is_rehashed(client, acme_tech):
    # A password stored under a hasher this Django no longer prefers (as after an upgrade that
    # raises the iterations) is stored re-hashed when checked: the session must follow it.
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=acme_tech.pk).update(password=hasher.encode(PASSWORD, hasher.salt(), iterations=1000))
    acme_tech.refresh_from_db()
    client.force_login(acme_tech)
    asked = client.get("/accounts/2fa/totp/activate/", follow=True)
    assert asked.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")

    confirmed = client.post(asked.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert [url for url, _ in confirmed.redirect_chain] == ["/accounts/2fa/totp/activate/"]
    assert "Set up two-factor authentication" in confirmed.content.decode()
    acme_tech.refresh_from_db()
    assert acme_tech.password.startswith("md5$")  # it was re-hashed
    assert client.get("/sessions/").status_code == 200


def test_a_wrong_password_on_the_confirmation_page_is_refused(client, acme_tech):
    client.force_login(acme_tech)
    asked = client.get("/accounts/2fa/totp/activate/", follow=True)
    assert "Confirm your password" in asked.content.decode()
    refused = client.post(asked.redirect_chain[-1][0], {"password": "not-my-password"})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert '<div id="id_password_error"><p class="field-error" role="alert">Incorrect password.</p></div>' in page
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")


def test_the_stored_totp_secret_is_encrypted(acme_tech):
    secret = enrol(acme_tech)
    stored = Authenticator.objects.get(user=acme_tech).data["secret"]
    assert secret not in stored


def test_with_an_authenticator_the_login_asks_for_a_code(client, acme_tech):
    secret = enrol(acme_tech)
    response = sign_in(client, acme_tech.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/sessions/")["Location"].startswith("/login/")  # not signed in yet

    page = client.get("/accounts/2fa/authenticate/")
    assert page.status_code == 200 and "Two-factor authentication" in page.content.decode()
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "12345"})
    assert wrong.status_code == 200
    assert client.get("/sessions/")["Location"].startswith("/login/")

    done = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert done.status_code == 302 and done["Location"] == "/"
    assert client.get("/sessions/").status_code == 200


def test_a_code_from_another_time_window_is_refused(client, acme_tech):
    secret = enrol(acme_tech)
    sign_in(client, acme_tech.email, PASSWORD)
    stale = client.post("/accounts/2fa/authenticate/", {"code": totp(secret, at=time.time() - 300)})
    assert stale.status_code == 200
    assert client.get("/sessions/")["Location"].startswith("/login/")


def test_the_admin_login_asks_for_the_code_too(client, acme_admin):
    secret = enrol(acme_admin)
    response = client.post("/admin/login/?next=/admin/", {"username": acme_admin.email, "password": PASSWORD,
                                                          "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302
    done = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_account_admin_requires_mfa_in_the_admin_for_their_account_only(client, acme, globex, acme_admin):
    secret = enrol(acme_admin)
    sign_in(client, acme_admin.email, PASSWORD)
    client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    form = client.get(f"/admin/accounts/account/{acme.pk}/change/")
    assert form.status_code == 200 and "mfa_required" in form.content.decode()
    response = client.post(f"/admin/accounts/account/{acme.pk}/change/", {
        "name": acme.name, "escalation_renotify_minutes": 10, "time_zone": acme.time_zone, "mfa_required": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    acme.refresh_from_db()
    assert acme.mfa_required
    assert client.get(f"/admin/accounts/account/{globex.pk}/change/").status_code in (302, 404)
