"""The shapes the assessment providers share: what they are given and what they return."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


class AssessmentError(Exception):
    """The assessment could not be made (provider error, bad answer): status `failed`."""


class AssessmentTimeout(AssessmentError):
    """The total deadline (ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS) passed: status `timed_out`."""


class AssessmentInvalid(AssessmentError):
    """A provider answered something that is not an assessment."""


@dataclass(frozen=True)
class AssessmentContext:
    """What the engineer would want a colleague to read: the escalated session's snapshot."""

    account_id: int
    problem: str
    steps_tried: list[dict] = field(default_factory=list)  # {action, result, outcome}
    conversation_tail: list[dict] = field(default_factory=list)  # {role, author, body}
    reason: str = ""
    title: str = ""
    session_id: str | None = None  # excluded from the similar sessions

    @classmethod
    def from_handoff(cls, handoff) -> AssessmentContext:
        return cls(
            account_id=handoff.account_id,
            title=handoff.session.title,
            problem=handoff.problem,
            steps_tried=list(handoff.steps_tried or []),
            conversation_tail=list(handoff.conversation_tail or []),
            reason=handoff.reason,
            session_id=str(handoff.session_id),
        )


@dataclass
class SimilarSession:
    id: str
    title: str
    resolution: str
    score: float

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "resolution": self.resolution, "score": round(self.score, 3)}


@dataclass
class Assessment:
    summary: str
    likely_causes: list[str]
    suggested_steps: list[str]
    confidence: float
    similar_sessions: list[SimilarSession] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON stored on `Handoff.assessment` (the API's `assessment` object)."""
        data = asdict(self)
        data["confidence"] = round(self.confidence, 2)
        data["similar_sessions"] = [s.to_dict() for s in self.similar_sessions]
        return data


# Bounds on what a provider may hand us: the context screen renders it as is.
MAX_SUMMARY = 2_000
MAX_ITEMS = 8
MAX_ITEM = 500


def _clean_list(value, name: str) -> list[str]:
    if not isinstance(value, list):
        raise AssessmentInvalid(f"{name} is not a list")
    items = []
    for item in value:
        if not isinstance(item, str):
            raise AssessmentInvalid(f"{name} has a non-string item")
        item = " ".join(item.split())
        if item and item not in items:
            items.append(item[:MAX_ITEM])
    return items[:MAX_ITEMS]


def assessment_from_llm(data, *, similar_sessions: list[SimilarSession]) -> Assessment:
    """Validate a model's JSON answer ({summary, likely_causes, suggested_steps, confidence}).
    Anything else raises `AssessmentInvalid`; the similar sessions are ours, not the model's."""
    if not isinstance(data, dict):
        raise AssessmentInvalid("the answer is not a JSON object")
    summary = data.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise AssessmentInvalid("summary is missing or empty")
    confidence = data.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not math.isfinite(confidence):
        raise AssessmentInvalid("confidence is not a number")
    if not 0 <= confidence <= 1:
        raise AssessmentInvalid("confidence is outside 0..1")
    return Assessment(
        summary=summary.strip()[:MAX_SUMMARY],
        likely_causes=_clean_list(data.get("likely_causes"), "likely_causes"),
        suggested_steps=_clean_list(data.get("suggested_steps"), "suggested_steps"),
        confidence=float(confidence),
        similar_sessions=similar_sessions,
    )
