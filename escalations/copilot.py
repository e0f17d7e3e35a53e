"""The copilot: answers a message addressed to it (`to_copilot`), as its own message in the
session's conversation, from a worker (escalations.tasks.copilot_answer), never in the request.

- `builtin`: from the account's own resolved sessions, through the built-in assessment (the same
  similarity, threshold and phrasing): the next steps to try, each with the session it comes
  from as a link, or "no close match". It never invents a fix.
- `openai` / `anthropic`: the configured model, with the session's problem, steps and
  conversation (and the similar resolved sessions) as context, streamed: each piece of the answer
  is pushed to the session's page (`copilot.delta` frames, at most every DELTA_EVERY seconds)
  as it arrives, and the whole answer is saved as one message at the end. Bounded by
  COPILOT_TIMEOUT_SECONDS in total.
If the provider fails or times out, the answer says so, in the conversation: the page never
waits on something that will not come.

Idempotent: the answer's id is derived from the question's, so a task run twice (acks_late
after a worker died) saves one answer.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from django.conf import settings
from django.db import IntegrityError

from escalations import events
from escalations.assessment import Deadline, get_provider, llm
from escalations.assessment.similar import find_similar
from escalations.assessment.types import AssessmentContext, AssessmentError, AssessmentTimeout
from escalations.models import Message, MessageRole
from resolutionflow import outbound

logger = logging.getLogger(__name__)

ANSWER_NAMESPACE = uuid.UUID("9b0c3d7e-6f1a-4c35-9d7b-2f5e8a1c4b60")
DELTA_EVERY = 0.1  # seconds between two `copilot.delta` frames of one answer
MAX_ANSWER_CHARS = 10_000  # a message's limit
CONVERSATION_TURNS = 10

NO_MATCH = ("No close match in your resolved sessions, so I have no fix to suggest from your team's history. "
            "Log what you try as steps; once this is resolved, the next similar problem will find it.")

SYSTEM_PROMPT = (
    "You are the troubleshooting copilot of a managed service provider (MSP) team, inside a ticket's "
    "troubleshooting session. Answer the last question of the conversation for the technician or engineer "
    "working it: concise, practical, next steps as short imperative sentences, most likely first. Do not "
    "repeat steps already tried unless you say what to do differently. Use the similar sessions this team "
    "resolved when they fit, without copying another client's names or hosts. If you are not sure, say so; "
    "never invent facts about this client's systems."
)


def answer_id(question_id) -> uuid.UUID:
    return uuid.uuid5(ANSWER_NAMESPACE, str(question_id))


def context_for(question: Message) -> AssessmentContext:
    session = question.session
    steps = list(session.steps.order_by("-created_at")[: settings.HANDOFF_MAX_STEPS_TRIED])[::-1]
    tail = list(session.messages.select_related("author").order_by("-created_at")[:CONVERSATION_TURNS])[::-1]
    return AssessmentContext(
        account_id=session.account_id,
        title=session.title,
        # The question leads: it is what the similar sessions are searched for, with the problem.
        problem=f"{question.body}\n\n{session.problem}",
        steps_tried=[{"action": s.action, "result": s.result, "outcome": s.outcome} for s in steps],
        conversation_tail=[{"role": m.role, "author": m.author_name, "body": m.body} for m in tail],
        session_id=str(session.pk),
    )


def builtin_answer(context: AssessmentContext) -> str:
    """Next steps from the account's resolved sessions, each citing its session, or NO_MATCH."""
    assessment = get_provider("builtin").assess(context, deadline=Deadline(settings.COPILOT_TIMEOUT_SECONDS))
    titles = {s.id: s.title for s in assessment.similar_sessions}
    suggestions = getattr(assessment, "suggestions", None) or []
    if getattr(assessment, "match", "close") == "none" or not assessment.suggested_steps:
        return NO_MATCH
    lines = ["From your team's resolved sessions, try:"]
    if suggestions:
        for i, suggestion in enumerate(suggestions, 1):
            cites = ", ".join(f"“{titles.get(sid, 'a resolved session')}” /pilot/{sid}"
                              for sid in suggestion.session_ids)
            lines.append(f"{i}. {suggestion.text}" + (f" (from {cites})" if cites else ""))
    else:
        lines += [f"{i}. {text}" for i, text in enumerate(assessment.suggested_steps, 1)]
        lines.append("Similar sessions: "
                     + ", ".join(f"“{s.title}” /pilot/{s.id}" for s in assessment.similar_sessions))
    return "\n".join(lines)


def _prompt(context: AssessmentContext, question: str) -> str:
    matches = find_similar(context, deadline=Deadline(settings.COPILOT_TIMEOUT_SECONDS))
    return llm.user_prompt(context, matches) + f"\n\nQuestion to answer now: {question}"


class _SSE:
    """Server-sent events, fed bytes as they arrive; calls `on_data(dict)` for each `data:` line
    that holds a JSON object (OpenAI's `[DONE]` and comments are skipped)."""

    def __init__(self, on_data):
        self.buffer = b""
        self.on_data = on_data

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            try:
                data = json.loads(line[5:].strip())
            except ValueError:
                continue
            if isinstance(data, dict):
                self.on_data(data)


def _openai_text(data: dict) -> str:
    try:
        return data["choices"][0]["delta"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _anthropic_text(data: dict) -> str:
    if data.get("type") == "error":
        raise AssessmentError(str((data.get("error") or {}).get("message", "the model reported an error"))[:200])
    delta = data.get("delta") if data.get("type") == "content_block_delta" else None
    return delta.get("text", "") if isinstance(delta, dict) and delta.get("type") == "text_delta" else ""


def llm_answer(context: AssessmentContext, question: str, *, on_text) -> str:
    """Stream the configured model's answer; `on_text(text so far)` as it grows."""
    provider = get_provider()
    prompt = _prompt(context, question)
    if settings.AI_PROVIDER == "anthropic":
        # https://docs.anthropic.com/en/api/messages-streaming
        url = f"{provider.base_url}/v1/messages"
        headers = {"x-api-key": provider.api_key, "anthropic-version": "2023-06-01",
                   "content-type": "application/json", "accept": "text/event-stream"}
        body = {"model": provider.model, "max_tokens": llm.MAX_TOKENS, "system": SYSTEM_PROMPT, "stream": True,
                "messages": [{"role": "user", "content": prompt}]}
        pick = _anthropic_text
    else:
        # https://platform.openai.com/docs/api-reference/chat-streaming
        url = f"{provider.base_url}/v1/chat/completions"
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if provider.api_key:
            headers["Authorization"] = f"Bearer {provider.api_key}"
        body = {"model": provider.model, "stream": True, **llm.openai_sampling(provider.model),
                "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}]}
        pick = _openai_text
    parts: list[str] = []

    def on_data(data):
        piece = pick(data)
        if piece:
            parts.append(piece)
            on_text("".join(parts))

    stream = _SSE(on_data)
    try:
        outbound.request("POST", url, headers=headers, json=body, timeout=settings.COPILOT_TIMEOUT_SECONDS,
                         max_bytes=llm.MAX_RESPONSE_BYTES, allow_private=True, on_chunk=stream.feed)
    except outbound.TransportError as exc:
        if exc.timed_out:
            raise AssessmentTimeout(f"no complete answer within {settings.COPILOT_TIMEOUT_SECONDS:g} s") from exc
        raise AssessmentError(str(exc)) from exc
    stream.feed(b"\n")
    text = "".join(parts).strip()
    if not text:
        raise AssessmentError("the model answered no text")
    return text


def answer(*, question_id) -> str | None:
    """Answer one question (a Message sent `to_copilot`); returns the answer's id, or None when
    there is nothing to do (the question is gone, or already answered)."""
    question = Message.objects.select_related("session", "author").filter(pk=question_id).first()
    if question is None:
        return None
    reply_id = answer_id(question.pk)
    if Message.objects.filter(pk=reply_id).exists():
        return None
    session = question.session
    group = events.session_group(session.pk)
    last_sent = [0.0]

    def on_text(text: str):
        now = time.monotonic()
        if now - last_sent[0] >= DELTA_EVERY:
            last_sent[0] = now
            events.send_now(group, events.copilot_delta_frame(session_id=session.pk, reply_id=reply_id,
                                                              text=text[:MAX_ANSWER_CHARS]))

    context = context_for(question)
    try:
        if settings.AI_PROVIDER == "builtin":
            text = builtin_answer(context)
        else:
            text = llm_answer(context, question.body, on_text=on_text)
    except AssessmentTimeout:
        text = (f"The copilot ({settings.AI_PROVIDER}) did not answer within {settings.COPILOT_TIMEOUT_SECONDS:g} s. "
                "Ask again in a moment, or ask a colleague.")
    except Exception as exc:  # the conversation says so instead of waiting forever
        logger.warning("copilot answer to %s failed: %r", question_id, exc)
        text = (f"The copilot ({settings.AI_PROVIDER}) could not answer just now. "
                "Ask again in a moment, or ask a colleague.")
    try:
        reply = Message.objects.create(pk=reply_id, account_id=session.account_id, session=session,
                                       role=MessageRole.ASSISTANT, author=None, body=text[:MAX_ANSWER_CHARS])
    except IntegrityError:  # answered meanwhile by another run of the task
        return None
    events.send_now(group, events.session_message_frame(reply))
    return str(reply.pk)
