"""The AI assessment of a handoff: summary, likely causes, suggested next steps, confidence and
similar resolved sessions. See docs/assessment.md.

Providers share one interface, `assess(context, *, deadline=None) -> Assessment`:
`builtin` (offline, the account's own resolved sessions), `openai` (any OpenAI-compatible
chat-completions server) and `anthropic` (Messages API), chosen by `AI_PROVIDER`.
"""

from __future__ import annotations

from django.conf import settings

from escalations.assessment.deadline import Deadline
from escalations.assessment.types import (
    Assessment,
    AssessmentContext,
    AssessmentError,
    AssessmentInvalid,
    AssessmentTimeout,
    SimilarSession,
)

__all__ = [
    "Assessment", "AssessmentContext", "AssessmentError", "AssessmentInvalid", "AssessmentTimeout",
    "Deadline", "SimilarSession", "assess", "get_provider",
]


def get_provider(name: str | None = None):
    name = name or settings.AI_PROVIDER
    if name == "builtin":
        from escalations.assessment.builtin import BuiltinProvider

        return BuiltinProvider()
    if name == "openai":
        from escalations.assessment.openai import OpenAIProvider

        return OpenAIProvider()
    if name == "anthropic":
        from escalations.assessment.anthropic import AnthropicProvider

        return AnthropicProvider()
    raise ValueError(f"Unknown AI provider {name!r} (builtin, openai, anthropic).")


def assess(context: AssessmentContext, *, provider=None, timeout: float | None = None) -> Assessment:
    """Assess `context` with the configured provider within the total deadline."""
    provider = provider or get_provider()
    seconds = settings.ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS if timeout is None else timeout
    return provider.assess(context, deadline=Deadline(seconds))
