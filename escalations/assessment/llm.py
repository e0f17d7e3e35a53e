"""What the OpenAI-compatible and Anthropic providers share: the prompt, a deadline-bounded
HTTP POST (through the one outbound client, resolutionflow.outbound), and reading a JSON object
out of a model's text."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re

from escalations.assessment.deadline import Deadline
from escalations.assessment.similar import Match
from escalations.assessment.types import AssessmentContext, AssessmentError, AssessmentInvalid, AssessmentTimeout
from resolutionflow import outbound

MAX_RESPONSE_BYTES = 1_000_000
MAX_TOKENS = 1_024


def api_root(base_url: str, default: str) -> str:
    """One rule for AI_BASE_URL, for both providers: the server's root without a trailing `/v1`
    or slash, so `https://api.openai.com`, `https://api.openai.com/v1` and `.../v1/` are the same
    and the providers add `/v1/...` once (never `/v1/v1`)."""
    root = (base_url or default).strip().rstrip("/")
    while root.lower().endswith("/v1"):
        root = root[: -len("/v1")].rstrip("/")
    return root


# OpenAI's reasoning models (o1, o3, o4-mini, gpt-5...) reject `max_tokens` ("Unsupported
# parameter: 'max_tokens' ... Use 'max_completion_tokens' instead") and any `temperature` but the
# default; other models and local OpenAI-compatible servers (Ollama, vLLM, LM Studio) expect
# `max_tokens`. https://github.com/openai/openai-python/issues/2046 ,
# https://platform.openai.com/docs/guides/reasoning , https://platform.openai.com/docs/api-reference/chat/create
_REASONING_MODEL = re.compile(r"^(o\d+|gpt-5)([-.:_].*)?$")


def is_reasoning_model(model: str) -> bool:
    """o1/o3/o4-mini/gpt-5 families (with an optional `openai/` style prefix): True."""
    name = (model or "").strip().lower().rsplit("/", 1)[-1]
    return bool(_REASONING_MODEL.match(name))


def openai_sampling(model: str) -> dict:
    """The token limit (and temperature) a chat completion request takes for this model."""
    if is_reasoning_model(model):
        return {"max_completion_tokens": MAX_TOKENS}
    return {"temperature": 0.2, "max_tokens": MAX_TOKENS}

SYSTEM_PROMPT = (
    "You assist senior engineers at a managed service provider (MSP). A junior technician escalated a "
    "troubleshooting session. From the problem, the steps already tried (with their outcome), the recent "
    "conversation, the reason for escalating and similar sessions this team resolved before, write an "
    "assessment for the engineer who picks it up. Do not suggest steps that were already tried unless "
    "you say what to do differently. Prefer fixes that worked in the similar sessions when they fit. "
    "Answer with one JSON object and nothing else, with exactly these keys: "
    '"summary" (string, at most 3 sentences), "likely_causes" (array of short strings, most likely first), '
    '"suggested_steps" (array of short imperative strings, the next steps in order), '
    '"confidence" (number from 0 to 1: how sure you are the first suggested step resolves it).'
)


def user_prompt(context: AssessmentContext, matches: list[Match]) -> str:
    lines = [f"Title: {context.title}" if context.title else "", "Problem:", context.problem.strip(), ""]
    lines.append("Steps tried:" if context.steps_tried else "Steps tried: none logged.")
    for i, step in enumerate(context.steps_tried, 1):
        lines.append(f"{i}. {step.get('action', '')} -> {step.get('outcome', '')}: {step.get('result', '')}")
    if context.conversation_tail:
        lines += ["", "Recent conversation:"]
        lines += [f"- {m.get('author') or m.get('role')}: {m.get('body', '')}" for m in context.conversation_tail]
    lines += ["", f"Reason for escalating: {context.reason}", ""]
    if matches:
        lines.append("Similar sessions this team resolved:")
        for m in matches:
            lines.append(f"- \"{m.title}\" (similarity {m.score:.2f}). Resolution: {m.resolution}")
            lines += [f"    worked: {action}" for action in m.worked_steps]
    else:
        lines.append("Similar sessions this team resolved: none found.")
    return "\n".join(line for line in lines if line is not None).strip()


def post_json(url: str, *, headers: dict, body: dict, deadline: Deadline) -> dict:
    """POST `body` as JSON and return the decoded JSON answer, all within what is left of
    `deadline` (connect, send, every read: one budget, enforced by the outbound client on each
    socket operation, so a server trickling a byte at a time is cut off too). Non-2xx and
    unreadable answers raise `AssessmentError`, the deadline `AssessmentTimeout`.

    Through the one outbound client: resolved once and connected to that address, no redirects,
    at most MAX_RESPONSE_BYTES read. AI_BASE_URL is the operator's setting, not a tenant's, so
    private addresses are allowed (a local Ollama or vLLM)."""
    budget = deadline.remaining()

    def call() -> outbound.Response:
        return outbound.request("POST", url, headers=headers, json=body, timeout=budget,
                                max_bytes=MAX_RESPONSE_BYTES, allow_private=True)

    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            response = call()
        else:  # called from async code: keep its loop free, run the blocking call on a thread
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                response = pool.submit(call).result()
    except outbound.TransportError as exc:
        if exc.timed_out:
            raise AssessmentTimeout(f"no answer within {budget:.1f} s: {exc}") from exc
        if exc.status_code is not None and 200 <= exc.status_code < 300:  # e.g. larger than the cap
            raise AssessmentInvalid(str(exc)) from exc
        raise AssessmentError(str(exc)) from exc
    try:
        return response.json()
    except ValueError as exc:
        raise AssessmentInvalid(f"{response.host} answered something that is not JSON") from exc


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def json_object_from_text(content) -> dict:
    """A model's text → the JSON object in it (tolerates a ```json fence around it)."""
    if not isinstance(content, str) or not content.strip():
        raise AssessmentInvalid("the model answered no text")
    content = content.strip()
    fenced = _FENCE.match(content)
    if fenced:
        content = fenced.group(1)
    try:
        data = json.loads(content)
    except ValueError:
        start, end = content.find("{"), content.rfind("}")
        if start < 0 or end <= start:
            raise AssessmentInvalid("the model's text holds no JSON object") from None
        try:
            data = json.loads(content[start : end + 1])
        except ValueError:
            raise AssessmentInvalid("the model's text holds no valid JSON object") from None
    if not isinstance(data, dict):
        raise AssessmentInvalid("the model's JSON is not an object")
    return data
