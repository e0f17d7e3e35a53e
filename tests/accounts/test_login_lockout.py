"""Sign-in lockout (issue #10 item 7): django-axes counts failed sign-ins per (email, address) and
per address, on /login/ and /admin/login/, and answers a locked attempt with the same 429 page
whether the email exists or not. API tokens are not affected."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import AsyncClient, RequestFactory
from django.utils import timezone

from accounts.lockout import client_ip
from tests.helpers import PASSWORD

LOCKED = "Too many failed sign-in attempts. Try again in 15 minutes."
MISMATCH = "Your email and password didn't match."


def sign_in(client, email, password, *, path="/login/", address="127.0.0.1", **extra):
    return client.post(path, {"username": email, "password": password}, REMOTE_ADDR=address, **extra)


def signed_in(response) -> bool:
    return response.status_code == 302


def fail(client, email, times, **kwargs):
    return [sign_in(client, email, "wrong-password", **kwargs) for _ in range(times)]


def test_thirty_wrong_passwords_lock_the_email_and_the_right_one_is_then_refused(client, acme_tech):
    responses = fail(client, acme_tech.email, 30)
    assert [r.status_code for r in responses] == [200] * 9 + [429] * 21
    assert MISMATCH in responses[8].content.decode()
    locked = responses[9]
    assert LOCKED in locked.content.decode() and MISMATCH not in locked.content.decode()
    assert locked["Retry-After"] == "900"
    assert locked["Content-Type"].startswith("text/html")

    response = sign_in(client, acme_tech.email, PASSWORD)
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert client.get("/sessions/")["Location"].startswith("/login/")  # not signed in


def test_failures_while_locked_are_not_counted(client, acme_tech):
    fail(client, acme_tech.email, 30)
    [attempt] = AccessAttempt.objects.all()
    assert attempt.failures_since_start == 10


def test_other_people_and_the_same_person_elsewhere_are_unaffected(client, acme_tech, acme_senior):
    fail(client, acme_tech.email, 30)
    assert signed_in(sign_in(client, acme_senior.email, PASSWORD))
    client.logout()
    assert signed_in(sign_in(client, acme_tech.email, PASSWORD, address="203.0.113.9"))


def test_case_and_spaces_in_the_email_count_as_the_same_email(client, acme_tech):
    fail(client, "Tech@Acme.test", 5)
    fail(client, " tech@acme.test ", 4)
    assert sign_in(client, "TECH@ACME.TEST", "wrong-password").status_code == 429


def test_an_unknown_email_gets_exactly_the_same_answers(client, acme_tech):
    def answers(email):
        out = []
        for response in fail(client, email, 12) + [sign_in(client, email, PASSWORD)]:
            page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
            out.append((response.status_code, page.replace(email, "EMAIL")))
        return out

    assert answers("ghost@acme.test") == answers(acme_tech.email)


def test_the_lock_ends_after_the_cool_off(client, acme_tech):
    fail(client, acme_tech.email, 10)
    assert sign_in(client, acme_tech.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert sign_in(client, acme_tech.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert signed_in(sign_in(client, acme_tech.email, PASSWORD))


def test_an_operator_can_lift_a_lock_with_axes_reset_username(client, acme_tech):
    fail(client, acme_tech.email, 10)
    call_command("axes_reset_username", acme_tech.email)
    assert signed_in(sign_in(client, acme_tech.email, PASSWORD))


def test_an_address_trying_many_emails_is_locked_at_the_higher_limit(client, acme_tech):
    for i in range(7):
        fail(client, f"guess{i}@acme.test", 7)  # 49 failures, no pair reaches 10
    assert sign_in(client, "guess7@acme.test", "wrong-password").status_code == 429  # the 50th
    assert sign_in(client, acme_tech.email, PASSWORD).status_code == 429
    assert signed_in(sign_in(client, acme_tech.email, PASSWORD, address="198.51.100.20"))


def test_the_admin_login_counts_and_locks_too(client, acme_admin):
    fail(client, acme_admin.email, 5, path="/admin/login/")
    fail(client, acme_admin.email, 4)
    response = sign_in(client, acme_admin.email, "wrong-password", path="/admin/login/")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert sign_in(client, acme_admin.email, PASSWORD, path="/admin/login/").status_code == 429


def test_api_tokens_still_work_for_a_locked_out_email(client, api, acme_tech):
    fail(client, acme_tech.email, 10)
    assert api(acme_tech).get("/api/v1/me", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_the_lockout_page_is_served_under_asgi_too(acme_tech):
    async def run():
        client = AsyncClient()
        statuses = []
        for _ in range(10):
            response = await client.post("/login/", {"username": acme_tech.email, "password": "nope"})
            statuses.append(response.status_code)
        return statuses, response.content.decode()

    statuses, page = async_to_sync(run)()
    assert statuses == [200] * 9 + [429]
    assert LOCKED in page


@pytest.mark.parametrize("proxies, forwarded, expected", [
    (0, "198.51.100.7", "10.0.0.2"),                    # not configured: the header is ignored
    (1, "198.51.100.7", "198.51.100.7"),                # one proxy appended the client's address
    (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),       # what the client wrote itself is ignored
    (2, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
    (2, "198.51.100.7", "10.0.0.2"),                    # did not come through both proxies
    (1, "not-an-address", "10.0.0.2"),
    (1, "", "10.0.0.2"),
])
def test_the_client_address_honours_x_forwarded_for_only_behind_configured_proxies(
        settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post("/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_forged_x_forwarded_for_does_not_escape_the_lock(client, acme_tech):
    for i in range(10):
        sign_in(client, acme_tech.email, "wrong-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert sign_in(client, acme_tech.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
