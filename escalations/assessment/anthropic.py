"""Anthropic Messages API.

POST `{AI_BASE_URL or https://api.anthropic.com}/v1/messages` (AI_BASE_URL with or without its `/v1`:
llm.api_root) with the headers `x-api-key`,
`anthropic-version: 2023-06-01` and `content-type: application/json`; the body has `model`,
`max_tokens`, `system` and `messages`. The answer's first `text` content block holds the JSON.
https://docs.anthropic.com/en/api/messages
"""

from __future__ import annotations

from django.conf import settings

from escalations.assessment import llm
from escalations.assessment.builtin import similar_sessions
from escalations.assessment.deadline import Deadline
from escalations.assessment.similar import find_similar
from escalations.assessment.types import Assessment, AssessmentContext, AssessmentInvalid, assessment_from_llm

DEFAULT_BASE_URL = "https://api.anthropic.com"
# claude-3-5-haiku-latest is retired; the default is a current alias (AI_MODEL overrides it).
# https://docs.anthropic.com/en/docs/about-claude/models/overview ,
# https://docs.anthropic.com/en/docs/about-claude/model-deprecations
DEFAULT_MODEL = "claude-haiku-4-5"
API_VERSION = "2023-06-01"


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, *, base_url: str = "", api_key: str = "", model: str = ""):
        self.base_url = llm.api_root(base_url or settings.AI_BASE_URL, DEFAULT_BASE_URL)
        self.api_key = api_key or settings.AI_API_KEY
        self.model = model or settings.AI_MODEL or DEFAULT_MODEL

    def request(self, context: AssessmentContext, matches) -> tuple[str, dict, dict]:
        headers = {"x-api-key": self.api_key, "anthropic-version": API_VERSION, "content-type": "application/json"}
        body = {
            "model": self.model,
            "max_tokens": llm.MAX_TOKENS,
            "system": llm.SYSTEM_PROMPT,
            "messages": [{"role": "user", "content": llm.user_prompt(context, matches)}],
            "temperature": 0.2,
        }
        return f"{self.base_url}/v1/messages", headers, body

    def assess(self, context: AssessmentContext, *, deadline: Deadline | None = None) -> Assessment:
        deadline = deadline or Deadline.from_settings()
        matches = find_similar(context, deadline=deadline)
        url, headers, body = self.request(context, matches)
        answer = llm.post_json(url, headers=headers, body=body, deadline=deadline)
        blocks = answer.get("content") if isinstance(answer, dict) else None
        if not isinstance(blocks, list):
            raise AssessmentInvalid("the answer has no content blocks")
        text = next((b.get("text") for b in blocks if isinstance(b, dict) and b.get("type") == "text"), None)
        return assessment_from_llm(llm.json_object_from_text(text), similar_sessions=similar_sessions(matches))
