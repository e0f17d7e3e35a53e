"""The members page (issue #11): account admins see their people and pending invites, change
roles, deactivate and reactivate; the account always keeps one active admin; technicians and
engineers get 403; another account's member is a 404."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import User
from resolutionflow.celery import app as celery_app
from tests.helpers import PASSWORD, browser_client, recv_json, ws_connect


@pytest.fixture(autouse=True)
def _eager_tasks():
    """`.delay()` in process (ending a deactivated member's sessions), as embedded mode does."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def post(client, path, capture, data=None):
    with capture(execute=True):
        return client.post(path, data or {})


def can_log_in(email, password=PASSWORD) -> bool:
    """The login form signs them in: the product's pages open afterwards."""
    client = Client()
    client.post("/login/", {"username": email, "password": password})
    return client.get("/sessions/").status_code == 200


def test_the_page_lists_members_with_role_status_and_last_login(acme_admin, acme_tech, acme_senior, globex_admin):
    User.objects.filter(pk=acme_senior.pk).update(last_login=datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
    User.objects.filter(pk=acme_tech.pk).update(is_active=False)
    page = browser_client(acme_admin).get("/settings/members/")
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("Ada Admin", "admin@acme.test", "Tina Tech", "tech@acme.test", "Sam Senior",
                     "senior@acme.test", "2026-03-04 09:30", "Deactivated", "Never", "(you)"):
        assert expected in text
    assert text.count("data-member-row") == 3
    assert "globex" not in text.lower().replace("globex it", "")
    assert 'href="/settings/members/"' in text  # the nav link


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior"])
def test_technicians_and_engineers_get_403_everywhere(who, request, acme_admin, acme_tech2,
                                                      django_capture_on_commit_callbacks):
    client = browser_client(request.getfixturevalue(who))
    assert 'href="/settings/members/"' not in client.get("/sessions/").content.decode()
    assert client.get("/settings/members/").status_code == 403
    for action, data in (("role", {"role": "admin"}), ("deactivate", None), ("reactivate", None)):
        assert post(client, f"/settings/members/{acme_tech2.pk}/{action}", django_capture_on_commit_callbacks,
                    data).status_code == 403
    acme_tech2.refresh_from_db()
    assert (acme_tech2.role, acme_tech2.is_active) == ("technician", True)


def test_signed_out_visitors_are_sent_to_log_in(db):
    response = Client().get("/settings/members/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("action, data", [("role", {"role": "technician"}), ("deactivate", None),
                                          ("reactivate", None)])
def test_another_accounts_member_is_a_404(action, data, acme_admin, globex_senior,
                                          django_capture_on_commit_callbacks):
    client = browser_client(acme_admin)
    assert post(client, f"/settings/members/{globex_senior.pk}/{action}", django_capture_on_commit_callbacks,
                data).status_code == 404
    assert post(client, f"/settings/members/not-a-uuid/{action}", django_capture_on_commit_callbacks,
                data).status_code == 404
    globex_senior.refresh_from_db()
    assert (globex_senior.role, globex_senior.is_active) == ("engineer", True)


def test_an_admin_changes_a_role(acme_admin, acme_tech, django_capture_on_commit_callbacks):
    client = browser_client(acme_admin)
    response = post(client, f"/settings/members/{acme_tech.pk}/role", django_capture_on_commit_callbacks,
                    {"role": "engineer"})
    assert response.status_code == 302
    acme_tech.refresh_from_db()
    assert acme_tech.role == "engineer"
    assert "Tina Tech is now engineer." in client.get("/settings/members/").content.decode()
    # The new engineer sees the queue at once.
    assert browser_client(acme_tech).get("/escalations/").status_code == 200


@pytest.mark.parametrize("role", ["owner", ""])
def test_a_bad_role_is_a_400_and_changes_nothing(role, acme_admin, acme_tech, django_capture_on_commit_callbacks):
    response = post(browser_client(acme_admin), f"/settings/members/{acme_tech.pk}/role",
                    django_capture_on_commit_callbacks, {"role": role})
    assert response.status_code == 400
    assert "Choose technician, engineer or admin." in response.content.decode()
    acme_tech.refresh_from_db()
    assert acme_tech.role == "technician"


def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(acme_admin, acme_tech,
                                                                      django_capture_on_commit_callbacks):
    client = browser_client(acme_admin)
    for action, data in (("role", {"role": "engineer"}), ("deactivate", None)):
        response = post(client, f"/settings/members/{acme_admin.pk}/{action}", django_capture_on_commit_callbacks,
                        data)
        assert response.status_code == 400
        assert "Ada Admin is the account&#x27;s last active admin. Make someone else an admin first" in \
            response.content.decode()
    acme_admin.refresh_from_db()
    assert (acme_admin.role, acme_admin.is_active) == ("admin", True)
    assert client.get("/settings/members/").status_code == 200


def test_a_deactivated_admin_does_not_count_as_another_admin(acme_admin, acme_senior,
                                                             django_capture_on_commit_callbacks):
    User.objects.filter(pk=acme_senior.pk).update(role="admin", is_active=False)
    response = post(browser_client(acme_admin), f"/settings/members/{acme_admin.pk}/role",
                    django_capture_on_commit_callbacks, {"role": "technician"})
    assert response.status_code == 400
    acme_admin.refresh_from_db()
    assert acme_admin.role == "admin"


def test_with_a_second_admin_one_may_step_down_and_then_the_other_is_the_last(
        acme_admin, acme_senior, django_capture_on_commit_callbacks):
    client = browser_client(acme_admin)
    assert post(client, f"/settings/members/{acme_senior.pk}/role", django_capture_on_commit_callbacks,
                {"role": "admin"}).status_code == 302
    assert post(client, f"/settings/members/{acme_admin.pk}/role", django_capture_on_commit_callbacks,
                {"role": "engineer"}).status_code == 302
    acme_admin.refresh_from_db()
    assert acme_admin.role == "engineer"
    assert client.get("/settings/members/").status_code == 403  # no longer an admin

    other = browser_client(acme_senior)
    response = post(other, f"/settings/members/{acme_senior.pk}/deactivate", django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "Sam Senior is the account&#x27;s last active admin" in \
        response.content.decode()


def test_deactivating_signs_the_member_out_everywhere_and_reactivating_lets_them_log_in_again(
        acme_admin, acme_tech, django_capture_on_commit_callbacks):
    tech_browser = browser_client(acme_tech)
    other_browser = browser_client(acme_tech)
    assert tech_browser.get("/sessions/").status_code == 200
    assert Session.objects.count() == 2

    admin = browser_client(acme_admin)
    response = post(admin, f"/settings/members/{acme_tech.pk}/deactivate", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert "Tina Tech is deactivated" in admin.get("/settings/members/").content.decode()
    acme_tech.refresh_from_db()
    assert not acme_tech.is_active
    assert tech_browser.get("/sessions/")["Location"].startswith("/login/")
    assert Session.objects.count() == 1  # only the admin's: the member's sessions are deleted
    assert not can_log_in("tech@acme.test")

    response = post(admin, f"/settings/members/{acme_tech.pk}/reactivate", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    acme_tech.refresh_from_db()
    assert acme_tech.is_active
    # The old sessions stay ended; the password works again.
    assert other_browser.get("/sessions/")["Location"].startswith("/login/")
    assert can_log_in("tech@acme.test")


@pytest.mark.django_db(transaction=True)
def test_deactivating_on_the_page_closes_the_members_open_socket(live_asgi, acme_admin, acme_senior):
    member_cookie = browser_client(acme_senior).cookies[settings.SESSION_COOKIE_NAME].value
    ws = ws_connect(live_asgi, cookie=f"{settings.SESSION_COOKIE_NAME}={member_cookie}", origin=live_asgi.url)
    assert recv_json(ws) == {"type": "ready"}

    admin_cookie = browser_client(acme_admin).cookies[settings.SESSION_COOKIE_NAME].value
    with httpx.Client(base_url=live_asgi.url, timeout=10,
                      cookies={settings.SESSION_COOKIE_NAME: admin_cookie}) as http:
        assert http.get("/settings/members/").status_code == 200
        response = http.post(f"/settings/members/{acme_senior.pk}/deactivate",
                             headers={"X-CSRFToken": http.cookies["csrftoken"]})
        assert response.status_code == 302, response.text

    from websockets.exceptions import ConnectionClosed

    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4401
    with httpx.Client(base_url=live_asgi.url, cookies={settings.SESSION_COOKIE_NAME: member_cookie}) as http:
        assert http.get("/sessions/").headers["location"].startswith("/login/")


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(acme_admin, acme_senior):
    """The admin rows are locked before the count: with both requests queued behind one lock, the
    second sees one admin left and is refused."""
    import concurrent.futures
    import time

    from django.core.exceptions import ValidationError
    from django.db import connections, transaction

    from accounts.members import member_set_role

    User.objects.filter(pk=acme_senior.pk).update(role="admin")

    def demote(member):
        try:
            member_set_role(member=member, role="engineer")
            return "demoted"
        except ValidationError:
            return "refused"
        finally:
            connections.close_all()

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        with transaction.atomic():  # hold both rows: the two demotions start and wait here
            list(User.objects.select_for_update().filter(pk__in=[acme_admin.pk, acme_senior.pk]))
            futures = [pool.submit(demote, User.objects.get(pk=acme_admin.pk)),
                       pool.submit(demote, User.objects.get(pk=acme_senior.pk))]
            time.sleep(0.5)
        results = sorted(f.result(timeout=20) for f in futures)
    assert results == ["demoted", "refused"]
    assert User.objects.filter(account=acme_admin.account, role="admin", is_active=True).count() == 1
