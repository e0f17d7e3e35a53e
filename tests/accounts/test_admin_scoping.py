"""Account admins can use Django admin safely; superusers see every account."""

import pytest

from accounts.models import User
from escalations import handoffs, services
from tests.helpers import PASSWORD


@pytest.fixture
def acme_escalation(acme_tech, acme_senior):
    session = services.session_create(actor=acme_tech, title="Acme printer", problem="p")
    return handoffs.handoff_create(session=session, actor=acme_tech, intent="escalate", reason="r")


@pytest.fixture
def globex_escalation(globex_tech, globex_senior):
    session = services.session_create(actor=globex_tech, title="Globex VPN", problem="p")
    return handoffs.handoff_create(session=session, actor=globex_tech, intent="escalate", reason="r")


def test_an_account_admin_can_open_the_admin_but_engineers_cannot(client, acme_admin, acme_senior):
    client.force_login(acme_admin)
    assert client.get("/admin/").status_code == 200
    client.force_login(acme_senior)
    assert client.get("/admin/").status_code == 302  # to the admin login


def test_user_list_shows_only_the_admins_account(client, acme_admin, acme_tech, globex_admin, globex_tech):
    client.force_login(acme_admin)
    page = client.get("/admin/accounts/user/").content.decode()
    assert "tech@acme.test" in page
    assert "globex.test" not in page


def test_another_accounts_user_is_a_404_in_the_admin(client, acme_admin, globex_tech):
    client.force_login(acme_admin)
    response = client.get(f"/admin/accounts/user/{globex_tech.pk}/change/")
    assert response.status_code in (302, 404)
    if response.status_code == 302:  # Django redirects unknown ids to the index with a message
        assert "/admin/" in response["Location"]
    assert client.post(f"/admin/accounts/user/{globex_tech.pk}/delete/", {"post": "yes"}).status_code in (302, 404)
    assert User.objects.filter(pk=globex_tech.pk).exists()


def test_an_account_admin_adds_a_teammate_into_their_own_account(client, acme_admin, globex):
    client.force_login(acme_admin)
    response = client.post("/admin/accounts/user/add/", {
        "email": "new@acme.test", "name": "New Person", "role": "engineer",
        "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true",
        # A crafted field for another account or platform rights is ignored.
        "account": str(globex.pk), "is_superuser": "on", "is_staff": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new@acme.test")
    assert user.account_id == acme_admin.account_id
    assert user.role == "engineer"
    assert not user.is_superuser and not user.is_staff


def test_an_account_admin_changes_a_role(client, acme_admin, acme_tech):
    client.force_login(acme_admin)
    page = client.get(f"/admin/accounts/user/{acme_tech.pk}/change/")
    assert page.status_code == 200
    assert b"is_superuser" not in page.content
    response = client.post(f"/admin/accounts/user/{acme_tech.pk}/change/", {
        "email": acme_tech.email, "name": acme_tech.name, "role": "engineer", "is_active": "on",
        "email_notifications": "on", "chat_mentions": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    acme_tech.refresh_from_db()
    assert acme_tech.role == "engineer"


def test_handoffs_in_the_admin_are_scoped_and_filterable(client, acme_admin, acme_escalation, globex_escalation):
    client.force_login(acme_admin)
    page = client.get("/admin/escalations/handoff/?intent__exact=escalate").content.decode()
    assert "Acme printer" in page or str(acme_escalation.session_id) in page
    assert "Globex VPN" not in page and str(globex_escalation.session_id) not in page
    detail = client.get(f"/admin/escalations/handoff/{globex_escalation.pk}/change/")
    assert detail.status_code in (302, 404)
    sessions = client.get("/admin/escalations/pilotsession/").content.decode()
    assert "Acme printer" in sessions and "Globex VPN" not in sessions


def test_superusers_see_every_account(client, db, acme_escalation, globex_escalation, acme_tech, globex_tech):
    root = User.objects.create_superuser(email="root@platform.test", password=PASSWORD)
    client.force_login(root)
    page = client.get("/admin/accounts/user/").content.decode()
    assert "tech@acme.test" in page and "tech@globex.test" in page
    sessions = client.get("/admin/escalations/pilotsession/").content.decode()
    assert "Acme printer" in sessions and "Globex VPN" in sessions
