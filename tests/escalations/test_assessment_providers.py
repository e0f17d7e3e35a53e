"""The OpenAI-compatible and Anthropic providers, against real HTTP servers on loopback: the exact
requests, the parsed assessment on the handoff, the `handoff.updated` frame, the total deadline,
and failures."""

import json
import time

import pytest

from escalations import hook_registry
from escalations.assessment.service import handoff_assess
from escalations.events import queue_group
from escalations.models import AssessmentStatus, Handoff
from tests.escalations.assessment_data import N, acme_history, escalation, without_auto_assessment
from tests.escalations.channel_listener import GroupListener
from tests.escalations.loopback import LoopbackServer

MODEL_ANSWER = {
    "summary": "Spooler crashes trace to the HP Universal driver.",
    "likely_causes": ["Faulty HP Universal PCL 6 driver", "Corrupt jobs in the spool folder"],
    "suggested_steps": ["Replace the HP Universal driver with the model-specific one", "Clear the spool folder"],
    "confidence": 0.8,
}


@pytest.fixture
def llm():
    server = LoopbackServer()
    yield server
    server.stop()


@pytest.fixture
def openai_settings(settings, llm):
    settings.AI_PROVIDER = "openai"
    settings.AI_BASE_URL = f"{llm.url}/v1"
    settings.AI_API_KEY = "sk-test-123"
    settings.AI_MODEL = "gpt-test"
    return settings


@pytest.fixture
def anthropic_settings(settings, llm):
    settings.AI_PROVIDER = "anthropic"
    settings.AI_BASE_URL = llm.url
    settings.AI_API_KEY = "sk-ant-test"
    settings.AI_MODEL = "claude-test"
    return settings


@pytest.fixture
def assessed_hooks(monkeypatch):
    calls = []
    monkeypatch.setattr(hook_registry, "ON_HANDOFF_ASSESSED", [*hook_registry.ON_HANDOFF_ASSESSED, calls.append])
    return calls


@pytest.fixture
def queue(acme):
    listener = GroupListener(queue_group(acme.pk))
    yield listener
    listener.close()


@pytest.fixture
def spooler_handoff(acme, acme_tech, acme_senior, django_capture_on_commit_callbacks, monkeypatch):
    history = acme_history(acme, acme_senior)
    without_auto_assessment(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):  # the escalation's own frames go out
        handoff = escalation(acme, acme_tech, title="Print spooler keeps crashing",
                             problem="The print spooler keeps crashing on the front desk PC.",
                             steps=[("Restarted the Print Spooler service", N)], reason="Restarts don't hold")
    handoff.history = history
    return handoff


def openai_completion(content: str) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}]}


def run_assessment(handoff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        status = handoff_assess(handoff_id=str(handoff.pk))
    return status, callbacks


def test_openai_compatible_server_gets_the_exact_request_and_the_answer_lands_on_the_handoff(
        openai_settings, llm, spooler_handoff, queue, assessed_hooks, django_capture_on_commit_callbacks):
    llm.answer(200, openai_completion(json.dumps(MODEL_ANSWER)))
    status, callbacks = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)

    assert status == AssessmentStatus.READY
    [request] = llm.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer sk-test-123"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["model"] == "gpt-test"
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "JSON" in body["messages"][0]["content"]
    prompt = body["messages"][1]["content"]
    assert "The print spooler keeps crashing on the front desk PC." in prompt
    assert "Restarted the Print Spooler service -> did_not_work" in prompt
    assert "Reason for escalating: Restarts don't hold" in prompt
    assert "Print spooler crashes when the front desk prints" in prompt  # the similar session...
    assert "worked: Replaced the HP Universal PCL 6 driver" in prompt  # ...and its fix

    handoff = Handoff.objects.get(pk=spooler_handoff.pk)
    assert handoff.assessment_status == "ready"
    assessment = handoff.assessment
    assert {k: assessment[k] for k in MODEL_ANSWER} == MODEL_ANSWER
    spooler = spooler_handoff.history["spooler"]
    assert assessment["similar_sessions"][0]["id"] == str(spooler.pk)
    assert set(assessment["similar_sessions"][0]) == {"id", "title", "resolution", "score"}

    # The model's suggestions cite no session; the match and its level come from the similar sessions.
    assert assessment["match"] == "close" and assessment["confidence_level"] in ("low", "medium", "high")
    assert assessment["suggestions"] == [{"text": s, "session_ids": []} for s in MODEL_ANSWER["suggested_steps"]]
    assert queue.receive_type("handoff.updated") == {"type": "handoff.updated", "handoff": {
        "id": str(handoff.pk), "assessment_status": "ready", "assessment_match": "close",
        "confidence_level": assessment["confidence_level"]}}
    assert [h.pk for h in assessed_hooks] == [handoff.pk]


def test_anthropic_messages_api_gets_the_exact_request_and_the_answer_lands_on_the_handoff(
        anthropic_settings, llm, spooler_handoff, queue, assessed_hooks, django_capture_on_commit_callbacks):
    text = "```json\n" + json.dumps(MODEL_ANSWER) + "\n```"
    llm.answer(200, {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
                     "content": [{"type": "text", "text": text}], "stop_reason": "end_turn"})
    status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)

    assert status == AssessmentStatus.READY
    [request] = llm.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.headers["x-api-key"] == "sk-ant-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    body = request.json()
    assert body["model"] == "claude-test"
    assert isinstance(body["max_tokens"], int) and body["max_tokens"] > 0
    assert "JSON" in body["system"]
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert "The print spooler keeps crashing on the front desk PC." in body["messages"][0]["content"]

    handoff = Handoff.objects.get(pk=spooler_handoff.pk)
    assert handoff.assessment_status == "ready"
    assert handoff.assessment["summary"] == MODEL_ANSWER["summary"]
    assert handoff.assessment["suggested_steps"] == MODEL_ANSWER["suggested_steps"]
    assert handoff.assessment["similar_sessions"][0]["id"] == str(spooler_handoff.history["spooler"].pk)
    assert queue.receive_type("handoff.updated")["handoff"] == {
        "id": str(handoff.pk), "assessment_status": "ready", "assessment_match": "close",
        "confidence_level": handoff.assessment["confidence_level"]}
    assert [h.pk for h in assessed_hooks] == [handoff.pk]


@pytest.mark.parametrize("provider_settings", ["openai_settings", "anthropic_settings"])
def test_a_model_that_hangs_past_the_deadline_leaves_the_handoff_timed_out(
        provider_settings, request, llm, spooler_handoff, queue, assessed_hooks, django_capture_on_commit_callbacks):
    settings = request.getfixturevalue(provider_settings)
    settings.ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS = 0.5
    llm.answer(200, openai_completion(json.dumps(MODEL_ANSWER)), hang=5)
    started = time.monotonic()
    status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)
    elapsed = time.monotonic() - started

    assert status == AssessmentStatus.TIMED_OUT
    assert elapsed < 1.5
    handoff = Handoff.objects.get(pk=spooler_handoff.pk)
    assert (handoff.assessment_status, handoff.assessment) == ("timed_out", None)
    assert handoff.is_open and handoff.reason == "Restarts don't hold"
    assert queue.receive_type("handoff.updated")["handoff"] == {
        "id": str(handoff.pk), "assessment_status": "timed_out", "assessment_match": None, "confidence_level": None}
    assert assessed_hooks == []


def test_the_deadline_is_total_not_per_read(openai_settings, llm, spooler_handoff, django_capture_on_commit_callbacks):
    # Every byte arrives well within any per-read timeout; the whole answer would take ~10 s.
    openai_settings.ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS = 0.5
    llm.answer(200, openai_completion(json.dumps(MODEL_ANSWER)), trickle=0.05)
    started = time.monotonic()
    status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)
    assert status == AssessmentStatus.TIMED_OUT
    assert time.monotonic() - started < 1.5
    assert Handoff.objects.get(pk=spooler_handoff.pk).assessment is None


GARBAGE = {
    "http 500": (500, {"error": {"message": "upstream exploded"}}),
    "not json": (200, "<html>Bad gateway</html>"),
    "no choices": (200, {"object": "chat.completion"}),
    "content not json": (200, openai_completion("I think it is the driver.")),
    "empty summary": (200, openai_completion(json.dumps({**MODEL_ANSWER, "summary": ""}))),
    "confidence out of range": (200, openai_completion(json.dumps({**MODEL_ANSWER, "confidence": 7}))),
    "steps not a list": (200, openai_completion(json.dumps({**MODEL_ANSWER, "suggested_steps": "reboot"}))),
    "a json list": (200, openai_completion("[1, 2, 3]")),
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_an_error_or_garbage_answer_leaves_the_handoff_failed(
        case, openai_settings, llm, spooler_handoff, queue, assessed_hooks, django_capture_on_commit_callbacks):
    llm.answer(*GARBAGE[case])
    status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)
    assert status == AssessmentStatus.FAILED
    handoff = Handoff.objects.get(pk=spooler_handoff.pk)
    assert (handoff.assessment_status, handoff.assessment) == ("failed", None)
    assert queue.receive_type("handoff.updated")["handoff"]["assessment_status"] == "failed"
    assert assessed_hooks == []


def test_anthropic_answer_without_a_text_block_is_failed(anthropic_settings, llm, spooler_handoff,
                                                         django_capture_on_commit_callbacks):
    llm.answer(200, {"type": "message", "content": [{"type": "tool_use", "id": "t", "name": "x", "input": {}}]})
    status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)
    assert status == AssessmentStatus.FAILED


def test_an_unreachable_server_is_failed_not_timed_out(openai_settings, spooler_handoff,
                                                       django_capture_on_commit_callbacks):
    server = LoopbackServer()
    server.stop()  # nothing listens on that port any more: connection refused
    openai_settings.AI_BASE_URL = server.url
    status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)
    assert status == AssessmentStatus.FAILED


# --- AI_BASE_URL with or without `/v1`; the Anthropic default model; per-family token limits (issue #14) ---

OPENAI_ROUTE = ("POST", "/v1/chat/completions")
ANTHROPIC_ROUTE = ("POST", "/v1/messages")


def anthropic_message(content: str) -> dict:
    return {"id": "msg_1", "type": "message", "role": "assistant", "content": [{"type": "text", "text": content}]}


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_ai_base_url_with_or_without_v1_reaches_the_one_documented_path(
        provider, suffix, settings, spooler_handoff, django_capture_on_commit_callbacks):
    route = OPENAI_ROUTE if provider == "openai" else ANTHROPIC_ROUTE
    server = LoopbackServer(routes={route})  # anything else, e.g. /v1/v1/..., is a 404
    try:
        settings.AI_PROVIDER, settings.AI_API_KEY, settings.AI_MODEL = provider, "k", "m"
        settings.AI_BASE_URL = server.url + suffix
        answer = json.dumps(MODEL_ANSWER)
        server.answer(200, openai_completion(answer) if provider == "openai" else anthropic_message(answer))
        status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)
        assert [(r.method, r.path) for r in server.requests] == [route]
        assert status == AssessmentStatus.READY
    finally:
        server.stop()


def test_the_anthropic_default_model_is_a_current_one(settings):
    from escalations.assessment.anthropic import AnthropicProvider

    settings.AI_MODEL = ""
    model = AnthropicProvider(base_url="http://127.0.0.1:9", api_key="k").model
    assert model == "claude-haiku-4-5"


@pytest.mark.parametrize("model, reasoning", [
    ("o1", True), ("o1-mini", True), ("o3-mini-2025-01-31", True), ("o4-mini", True), ("gpt-5", True),
    ("gpt-5-mini", True), ("openai/o3", True),
    ("gpt-4o-mini", False), ("gpt-4.1", False), ("llama3.1:8b", False), ("qwen2.5", False), ("omni-x", False),
])
def test_reasoning_models_take_max_completion_tokens_and_no_temperature(model, reasoning):
    from escalations.assessment import llm

    sampling = llm.openai_sampling(model)
    if reasoning:
        assert sampling == {"max_completion_tokens": llm.MAX_TOKENS}
    else:
        assert sampling == {"temperature": 0.2, "max_tokens": llm.MAX_TOKENS}


@pytest.mark.parametrize("model", ["o3-mini", "gpt-4o-mini"])
def test_the_openai_request_body_follows_the_model_family(model, openai_settings, llm, spooler_handoff,
                                                          django_capture_on_commit_callbacks):
    openai_settings.AI_MODEL = model
    llm.answer(200, openai_completion(json.dumps(MODEL_ANSWER)))
    status, _ = run_assessment(spooler_handoff, django_capture_on_commit_callbacks)
    assert status == AssessmentStatus.READY
    body = llm.last.json()
    if model.startswith("o"):
        assert "max_tokens" not in body and "temperature" not in body and body["max_completion_tokens"] > 0
    else:
        assert "max_completion_tokens" not in body and body["max_tokens"] > 0 and body["temperature"] == 0.2
