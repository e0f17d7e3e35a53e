"""The web UI's basic pages: login, sessions list, the session page and its forms."""

from django.test import Client

from escalations.models import Handoff, PilotSession, Step
from tests.helpers import PASSWORD


def test_login_with_email_and_password_lands_on_the_sessions_list(acme_tech):
    client = Client()
    response = client.post("/login/", {"username": "tech@acme.test", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/sessions/")


def test_a_wrong_password_is_refused_with_a_message(acme_tech):
    response = Client().post("/login/", {"username": "tech@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert b"didn" in response.content  # "didn't match"


def test_pages_need_a_login(db):
    for url in ("/sessions/", "/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_technician_opens_a_session_logs_a_step_and_escalates_from_the_web(client, acme_tech, acme_senior):
    client.force_login(acme_tech)
    response = client.post("/sessions/", {"title": "Mapped drive gone", "problem": "S: missing after login"})
    session = PilotSession.objects.get(title="Mapped drive gone")
    assert response.status_code == 302 and response["Location"] == f"/pilot/{session.pk}"
    client.post(f"/pilot/{session.pk}/steps", {"action": "gpupdate /force", "result": "no change",
                                               "outcome": "did_not_work"})
    assert Step.objects.filter(session=session).count() == 1
    page = client.get(f"/pilot/{session.pk}").content.decode()
    assert "gpupdate /force" in page and "S: missing after login" in page
    client.post(f"/pilot/{session.pk}/escalate", {"reason": "GPO looks fine"})
    assert Handoff.objects.get(session=session).reason == "GPO looks fine"
    session.refresh_from_db()
    assert session.status == "escalated"


def test_a_web_form_error_is_shown_and_writes_nothing(client, acme_tech):
    client.force_login(acme_tech)
    client.post("/sessions/", {"title": "T", "problem": "P"})
    session = PilotSession.objects.get()
    response = client.post(f"/pilot/{session.pk}/steps", {"action": "", "outcome": "worked"}, follow=True)
    assert response.status_code == 200
    assert Step.objects.count() == 0
    assert b"required" in response.content


def test_staff_read_an_escalated_session_but_cannot_write_it_before_claiming(client, acme_tech, acme_senior):
    client.force_login(acme_tech)
    client.post("/sessions/", {"title": "T", "problem": "P"})
    session = PilotSession.objects.get()
    client.post(f"/pilot/{session.pk}/escalate", {"reason": "stuck"})
    client.force_login(acme_senior)
    assert client.get(f"/pilot/{session.pk}").status_code == 200
    client.post(f"/pilot/{session.pk}/steps", {"action": "x", "outcome": "worked"})
    assert Step.objects.count() == 0


def test_forms_need_the_csrf_token(acme_tech):
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme_tech)
    assert client.post("/sessions/", {"title": "T", "problem": "P"}).status_code == 403
    assert PilotSession.objects.count() == 0
