"""The copilot answers (issue #12): a message sent `to_copilot` gets an answer as its own
message, from the worker: `builtin` from the account's resolved sessions (with links) or "no
close match"; OpenAI-compatible and Anthropic streamed through real HTTP servers on loopback."""

import json

import pytest

from escalations import copilot, tasks
from escalations.events import session_group
from escalations.models import Message, MessageRole
from tests.escalations.assessment_data import acme_history
from tests.escalations.channel_listener import GroupListener
from tests.escalations.loopback import LoopbackServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(api, acme_tech, monkeypatch):
    """`asked(body, problem=...)`: a session with a question to the copilot; returns the question."""
    queued = []
    monkeypatch.setattr(tasks, "enqueue_copilot_answer", queued.append)

    def ask(body, *, problem="The Print Spooler service stops on the reception PC."):
        client = api(acme_tech)
        session = client.post("/api/v1/sessions", {"title": "Printing", "problem": problem}, format="json").json()
        answer = client.post(f"/api/v1/sessions/{session['id']}/messages", {"body": body, "to_copilot": True},
                             format="json")
        assert answer.status_code == 201, answer.content
        return Message.objects.get(pk=answer.json()["id"])

    ask.queued = queued
    return ask


@pytest.fixture
def llm():
    server = LoopbackServer()
    yield server
    server.stop()


def _answer_of(question):
    return Message.objects.get(session=question.session, role=MessageRole.ASSISTANT)


def test_the_question_is_queued_after_commit_and_the_request_does_not_wait(
        asked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        question = asked("What should I try next?")
    assert asked.queued == [str(question.pk)]
    assert not Message.objects.filter(role=MessageRole.ASSISTANT).exists()


def test_builtin_answers_from_resolved_sessions_with_links(asked, acme, acme_senior, settings):
    settings.AI_PROVIDER = "builtin"
    history = acme_history(acme, acme_senior)
    question = asked("The spooler keeps crashing when the front desk prints, jobs stuck. What next?")
    tasks.copilot_answer(str(question.pk))
    text = _answer_of(question).body
    assert text.startswith("From your team's resolved sessions, try:")
    assert f"/pilot/{history['spooler'].pk}" in text
    assert "driver" in text.lower()


def test_builtin_says_no_close_match_instead_of_inventing(asked, acme, acme_senior, settings):
    settings.AI_PROVIDER = "builtin"
    acme_history(acme, acme_senior)
    question = asked("The shared calendar crashes when opened", problem="Shared calendar crashes in the mobile app.")
    tasks.copilot_answer(str(question.pk))
    assert _answer_of(question).body == copilot.NO_MATCH


def test_an_answer_is_saved_once_however_often_the_task_runs(asked, settings):
    settings.AI_PROVIDER = "builtin"
    question = asked("Anything?")
    tasks.copilot_answer(str(question.pk))
    tasks.copilot_answer(str(question.pk))
    assert Message.objects.filter(session=question.session, role=MessageRole.ASSISTANT).count() == 1


def _sse(events: list[dict], done: bool = False) -> str:
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    return body + ("data: [DONE]\n\n" if done else "")


def test_openai_streams_the_answer_to_the_page_and_saves_it(asked, llm, settings):
    settings.AI_PROVIDER, settings.AI_BASE_URL = "openai", f"{llm.url}/v1"
    settings.AI_API_KEY, settings.AI_MODEL = "sk-test", "gpt-test"
    pieces = ["Clear the spool folder, ", "then reinstall ", "the model-specific driver."]
    chunks = [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    llm.answer(200, _sse(chunks, done=True), headers={"Content-Type": "text/event-stream"}, trickle=0.002)
    question = asked("What should I try next?")
    page = GroupListener(session_group(question.session_id))
    try:
        tasks.copilot_answer(str(question.pk))
        delta = page.receive_type("copilot.delta")
        assert delta["reply_id"] == str(copilot.answer_id(question.pk))
        assert "".join(pieces).startswith(delta["text"])
        final = page.receive_type("session.message")["message"]
    finally:
        page.close()
    assert final["id"] == delta["reply_id"] and final["role"] == "assistant" and final["author"] is None
    assert final["body"] == "".join(pieces) == _answer_of(question).body
    sent = llm.last.json()
    assert llm.last.path == "/v1/chat/completions" and sent["stream"] is True and sent["model"] == "gpt-test"
    assert llm.last.headers["authorization"] == "Bearer sk-test"
    assert "What should I try next?" in sent["messages"][1]["content"]
    assert "Print Spooler service stops" in sent["messages"][1]["content"]


def test_anthropic_streams_text_deltas(asked, llm, settings):
    settings.AI_PROVIDER, settings.AI_BASE_URL, settings.AI_API_KEY, settings.AI_MODEL = (
        "anthropic", llm.url, "sk-ant", "claude-test")
    events = [{"type": "message_start", "message": {"id": "msg_1"}},
              {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Check the "}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "IKE lifetime."}},
              {"type": "message_stop"}]
    body = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    llm.answer(200, body, headers={"Content-Type": "text/event-stream"})
    question = asked("VPN drops hourly?")
    tasks.copilot_answer(str(question.pk))
    assert _answer_of(question).body == "Check the IKE lifetime."
    assert llm.last.path == "/v1/messages" and llm.last.json()["stream"] is True
    assert llm.last.headers["x-api-key"] == "sk-ant" and llm.last.headers["anthropic-version"] == "2023-06-01"


def test_a_failing_or_silent_provider_is_said_in_the_conversation(asked, llm, settings):
    settings.AI_PROVIDER, settings.AI_BASE_URL, settings.AI_MODEL = "openai", llm.url, "gpt-test"
    llm.answer(500, {"error": {"message": "overloaded"}})
    question = asked("Help?")
    tasks.copilot_answer(str(question.pk))
    assert _answer_of(question).body.startswith("The copilot (openai) could not answer just now.")

    settings.COPILOT_TIMEOUT_SECONDS = 0.5
    llm.answer(200, _sse([{"choices": [{"delta": {"content": "x"}}]}]), hang=2)
    question = asked("Still there?")
    tasks.copilot_answer(str(question.pk))
    assert _answer_of(question).body.startswith("The copilot (openai) did not answer within 0.5 s.")
