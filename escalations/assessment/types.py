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


# How close the best similar resolved session must be (its score, 0..1: how much of this problem
# it was about) to suggest anything from it, and the confidence levels above that. Measured on the
# demo data's relevance set (docs/assessment.md, "Relevance"): the right session scored 0.55–0.89,
# the best session for problems no session is about at most 0.31.
CLOSE_MATCH = 0.4
LEVELS = (("high", 0.7), ("medium", 0.55), ("low", CLOSE_MATCH))
MATCH_CLOSE, MATCH_NONE = "close", "none"


def confidence_level(score: float | None) -> str | None:
    """`high`, `medium` or `low` for a close match's score; None below CLOSE_MATCH (no close match)."""
    if score is None:
        return None
    return next((name for name, floor in LEVELS if score >= floor), None)


@dataclass
class Suggestion:
    """A next step to try, with the similar sessions (ids) it comes from."""

    text: str
    session_ids: list[str] = field(default_factory=list)


@dataclass
class Assessment:
    summary: str
    likely_causes: list[str]
    suggested_steps: list[str]
    confidence: float
    similar_sessions: list[SimilarSession] = field(default_factory=list)
    # "close": the best similar session is a close match (score >= CLOSE_MATCH); "none": there is
    # no close match, and nothing is suggested from the account's resolved sessions.
    match: str = MATCH_CLOSE
    confidence_level: str | None = None
    # `suggested_steps` again, each with the ids of the similar sessions it comes from.
    suggestions: list[Suggestion] = field(default_factory=list)

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
    steps = _clean_list(data.get("suggested_steps"), "suggested_steps")
    # The level comes from the similar sessions, as for the builtin provider: the model's own
    # number is kept in `confidence`, but a screen shows the level, which the evidence sets.
    best = max((s.score for s in similar_sessions), default=None)
    level = confidence_level(best)
    return Assessment(
        summary=summary.strip()[:MAX_SUMMARY],
        likely_causes=_clean_list(data.get("likely_causes"), "likely_causes"),
        suggested_steps=steps,
        confidence=float(confidence),
        similar_sessions=similar_sessions,
        match=MATCH_CLOSE if level else MATCH_NONE,
        confidence_level=level,
        suggestions=[Suggestion(text=s) for s in steps],  # the model cites no session
    )
