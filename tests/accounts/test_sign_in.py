"""Sign-in on django-allauth (issue #11): log in by email, a wrong password, the one lockout
(django-axes) on allauth's own login path too, closed signup, a forgotten password reset by email,
and a password change by the signed-in user."""

import re

from axes.models import AccessAttempt

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
