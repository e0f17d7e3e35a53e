"""A session's steps and messages are capped, and everything that lists them is bounded: the
session detail, the session page and the handoff snapshot (issue #10, item 12)."""

import pytest
from django.utils import timezone

from escalations.models import Handoff, Message, PilotSession, Step
from tests.helpers import add_step, escalate, make_session


@pytest.fixture
def tech(api, acme_tech):
    return api(acme_tech)


def _fill(model, session_id, author, n, fields):
    """`n` rows straight into the table, one second apart (as if written over time)."""
    start = timezone.now() - timezone.timedelta(hours=1)
    session = PilotSession.objects.get(pk=session_id)
    model.objects.bulk_create([
        model(account_id=session.account_id, session=session, author=author,
              created_at=start + timezone.timedelta(seconds=i), **fields(i))
        for i in range(n)
    ])


def _steps(session_id, author, n):
    _fill(Step, session_id, author, n, lambda i: {"action": f"step {i}", "result": "", "outcome": "did_not_work"})


def _messages(session_id, author, n):
    _fill(Message, session_id, author, n, lambda i: {"body": f"message {i}"})


def test_the_501st_step_is_a_400_and_writes_nothing(tech, acme_tech):
    session = make_session(tech)
    _steps(session["id"], acme_tech, 499)
    add_step(tech, session["id"])  # the 500th
    response = tech.post(f"/api/v1/sessions/{session['id']}/steps",
                         {"action": "one more", "result": "", "outcome": "worked"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This session already has 500 steps, the most one session can hold. "
                  "Resolve it and start a new session to go on.",
        "limit": 500,
    }
    assert Step.objects.filter(session_id=session["id"]).count() == 500


def test_the_501st_message_is_a_400_and_writes_nothing(tech, acme_tech):
    session = make_session(tech)
    _messages(session["id"], acme_tech, 500)
    response = tech.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "hello?"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("This session already has 500 messages")
    assert Message.objects.filter(session_id=session["id"]).count() == 500


def test_the_caps_are_settings(tech, settings):
    settings.SESSION_MAX_STEPS = 2
    settings.SESSION_MAX_MESSAGES = 1
    session = make_session(tech)
    add_step(tech, session["id"])
    add_step(tech, session["id"])
    url = f"/api/v1/sessions/{session['id']}"
    assert tech.post(f"{url}/steps", {"action": "a", "outcome": "worked"}, format="json").status_code == 400
    assert tech.post(f"{url}/messages", {"body": "one"}, format="json").status_code == 201
    response = tech.post(f"{url}/messages", {"body": "two"}, format="json")
    assert response.status_code == 400 and response.json()["limit"] == 1


def test_the_session_page_forms_refuse_the_extra_step_and_message_with_a_message(client, tech, acme_tech, settings):
    settings.SESSION_MAX_STEPS = 1
    settings.SESSION_MAX_MESSAGES = 1
    session = make_session(tech)
    add_step(tech, session["id"])
    tech.post(f"/api/v1/sessions/{session['id']}/messages", {"body": "first"}, format="json")
    client.force_login(acme_tech)
    page = f"/pilot/{session['id']}"
    response = client.post(f"{page}/steps", {"action": "more", "result": "", "outcome": "worked"}, follow=True)
    assert response.redirect_chain == [(page, 302)]
    assert "This session already has 1 steps, the most one session can hold." in response.content.decode()
    response = client.post(f"{page}/messages", {"body": "second"}, follow=True)
    assert "This session already has 1 messages, the most one session can hold." in response.content.decode()
    assert Step.objects.count() == 1 and Message.objects.count() == 1


def test_the_detail_returns_the_most_recent_steps_and_messages_with_totals(tech, acme_tech, settings,
                                                                          django_assert_max_num_queries):
    settings.SESSION_MAX_STEPS = 5
    settings.SESSION_MAX_MESSAGES = 3
    session = make_session(tech)
    _steps(session["id"], acme_tech, 12)  # more than the cap: written before it existed
    _messages(session["id"], acme_tech, 7)
    with django_assert_max_num_queries(12):
        body = tech.get(f"/api/v1/sessions/{session['id']}").json()
    assert [s["action"] for s in body["steps"]] == [f"step {i}" for i in range(7, 12)]
    assert body["steps_total"] == 12
    assert [m["body"] for m in body["messages"]] == ["message 4", "message 5", "message 6"]
    assert body["messages_total"] == 7


def test_the_detail_of_a_small_session_has_everything(tech):
    session = make_session(tech)
    add_step(tech, session["id"], action="first")
    add_step(tech, session["id"], action="second")
    body = tech.get(f"/api/v1/sessions/{session['id']}").json()
    assert [s["action"] for s in body["steps"]] == ["first", "second"]
    assert (body["steps_total"], body["messages"], body["messages_total"]) == (2, [], 0)


def test_the_session_page_shows_the_latest_steps_and_says_so(client, tech, acme_tech, settings):
    settings.SESSION_MAX_STEPS = 3
    settings.SESSION_MAX_MESSAGES = 2
    session = make_session(tech)
    _steps(session["id"], acme_tech, 5)
    _messages(session["id"], acme_tech, 4)
    client.force_login(acme_tech)
    page = client.get(f"/pilot/{session['id']}").content.decode()
    assert "Steps tried <span class=\"muted small\">(5)</span>" in page
    assert "The latest 3 are shown." in page
    assert "step 1<" not in page and "step 4<" in page
    assert "The latest 2 of 4 messages are shown." in page


def test_the_handoff_snapshot_keeps_the_most_recent_steps_and_counts_them_all(api, tech, acme_tech, acme_senior,
                                                                              settings, client):
    settings.HANDOFF_MAX_STEPS_TRIED = 4
    session = make_session(tech)
    _steps(session["id"], acme_tech, 9)
    _messages(session["id"], acme_tech, 30)
    handoff = escalate(tech, session["id"]).json()
    assert [s["action"] for s in handoff["steps_tried"]] == ["step 5", "step 6", "step 7", "step 8"]
    assert handoff["steps_tried_total"] == 9
    assert len(handoff["conversation_tail"]) == 10

    senior = api(acme_senior)
    detail = senior.get(f"/api/v1/handoffs/{handoff['id']}").json()
    assert (len(detail["steps_tried"]), detail["steps_tried_total"]) == (4, 9)
    assert senior.get("/api/v1/handoffs").json()["results"][0]["steps_count"] == 9
    client.force_login(acme_senior)
    assert "9 steps tried" in client.get(f"/escalations/{handoff['id']}/card").content.decode()


def test_an_older_handoff_without_a_total_counts_its_snapshot(api, tech, acme_senior):
    session = make_session(tech)
    add_step(tech, session["id"])
    handoff = escalate(tech, session["id"]).json()
    Handoff.objects.filter(pk=handoff["id"]).update(steps_tried_total=None)
    assert api(acme_senior).get(f"/api/v1/handoffs/{handoff['id']}").json()["steps_tried_total"] == 1
