"""OpenAI-compatible chat completions (OpenAI, Azure-style gateways, vLLM, Ollama, LM Studio...).

POST `{AI_BASE_URL}/v1/chat/completions` (AI_BASE_URL with or without its `/v1`: llm.api_root)
with `Authorization: Bearer AI_API_KEY`, the model
`AI_MODEL`, and `response_format: {"type": "json_object"}` (JSON mode), then validate the JSON
in `choices[0].message.content`. Reasoning models (o1/o3/o4/gpt-5) get `max_completion_tokens`
and no `temperature`, others `max_tokens` (llm.openai_sampling).
https://platform.openai.com/docs/api-reference/chat/create
"""

from __future__ import annotations

from django.conf import settings

from escalations.assessment import llm
from escalations.assessment.builtin import similar_sessions
from escalations.assessment.deadline import Deadline
from escalations.assessment.similar import find_similar
from escalations.assessment.types import Assessment, AssessmentContext, AssessmentInvalid, assessment_from_llm

DEFAULT_BASE_URL = "https://api.openai.com"
DEFAULT_MODEL = "gpt-4o-mini"


class OpenAIProvider:
    name = "openai"

    def __init__(self, *, base_url: str = "", api_key: str = "", model: str = ""):
        self.base_url = llm.api_root(base_url or settings.AI_BASE_URL, DEFAULT_BASE_URL)
        self.api_key = api_key or settings.AI_API_KEY
        self.model = model or settings.AI_MODEL or DEFAULT_MODEL

    def request(self, context: AssessmentContext, matches) -> tuple[str, dict, dict]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:  # local servers (Ollama, vLLM) often need none
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": llm.SYSTEM_PROMPT},
                {"role": "user", "content": llm.user_prompt(context, matches)},
            ],
            "response_format": {"type": "json_object"},
            **llm.openai_sampling(self.model),
        }
        return f"{self.base_url}/v1/chat/completions", headers, body

    def assess(self, context: AssessmentContext, *, deadline: Deadline | None = None) -> Assessment:
        deadline = deadline or Deadline.from_settings()
        matches = find_similar(context, deadline=deadline)
        url, headers, body = self.request(context, matches)
        answer = llm.post_json(url, headers=headers, body=body, deadline=deadline)
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise AssessmentInvalid("the answer has no choices[0].message.content") from None
        return assessment_from_llm(llm.json_object_from_text(content), similar_sessions=similar_sessions(matches))
