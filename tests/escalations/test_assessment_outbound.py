"""The LLM providers call the model through the one outbound client (resolutionflow.outbound):
resolved once and connected to that address, no redirects, the answer capped, within the
assessment's deadline. AI_BASE_URL is the operator's setting: a private address is allowed."""

import socket

import pytest

from escalations.assessment import llm
from escalations.assessment.deadline import Deadline
from escalations.assessment.types import AssessmentError, AssessmentInvalid, AssessmentTimeout
from resolutionflow.outbound import guard
from tests.escalations.loopback import LoopbackServer


@pytest.fixture
def model():
    server = LoopbackServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def private_networks_off(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False


def post(url, deadline=5.0):
    return llm.post_json(url, headers={"Authorization": "Bearer k"}, body={"model": "m"}, deadline=Deadline(deadline))


def test_a_local_model_server_is_allowed_it_is_the_operators_setting(model):
    model.answer(200, {"choices": []})
    assert post(f"{model.url}/v1/chat/completions") == {"choices": []}
    assert model.last.json() == {"model": "m"} and model.last.headers["authorization"] == "Bearer k"


def test_the_model_host_is_resolved_once_and_that_address_is_dialled(model, monkeypatch):
    port = model.url.rsplit(":", 1)[1]
    lookups = []

    def resolve(host, port_):
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(guard, "resolve", resolve)
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, *a, **k: real(host, *a, **k) if host == "127.0.0.1" else pytest.fail(host))
    model.answer(200, {"ok": 1})
    assert post(f"http://models.internal:{port}/v1/chat/completions") == {"ok": 1}
    assert lookups == ["models.internal"] and model.last.headers["host"] == f"models.internal:{port}"


def test_a_redirect_is_not_followed(model):
    elsewhere = LoopbackServer()
    try:
        model.answer(307, "", headers={"Location": f"{elsewhere.url}/v1/chat/completions"})
        with pytest.raises(AssessmentError, match="HTTP 307 .*not followed"):
            post(f"{model.url}/v1/chat/completions")
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_an_answer_larger_than_the_cap_is_invalid(model, monkeypatch):
    monkeypatch.setattr(llm, "MAX_RESPONSE_BYTES", 1000)
    model.answer(200, {"content": "x" * 5000})
    with pytest.raises(AssessmentInvalid, match="larger than 1000 bytes"):
        post(f"{model.url}/v1/messages")


def test_an_error_answer_is_a_short_summary(model):
    model.answer(500, "upstream exploded\n" * 1000)
    with pytest.raises(AssessmentError) as caught:
        post(f"{model.url}/v1/messages")
    assert str(caught.value).startswith("HTTP 500 from 127.0.0.1:") and len(str(caught.value)) < 200


def test_the_deadline_bounds_the_whole_call(model):
    model.answer(200, {"ok": "x" * 100}, trickle=0.05)  # about 5 s in all
    with pytest.raises(AssessmentTimeout):
        post(f"{model.url}/v1/messages", deadline=0.5)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://models.example/v1", "http://user:pw@127.0.0.1/v1"])
def test_only_http_urls_are_called(url):
    with pytest.raises(AssessmentError):
        post(url)
