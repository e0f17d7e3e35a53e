"""The builtin provider: works offline, from the account's own resolved sessions.

It finds the most similar resolved sessions (`similar.find_similar`), proposes the steps that
*worked* in them as next steps (minus what was already tried here), reads likely causes out of
their resolutions, and sets a confidence from how well the best match covers this problem.
"""

from __future__ import annotations

import re

from escalations.assessment import text
from escalations.assessment.deadline import Deadline
from escalations.assessment.similar import Match, find_similar
from escalations.assessment.types import Assessment, AssessmentContext, SimilarSession

MAX_SUGGESTIONS = 5
MAX_CAUSES = 3
# A match supports the suggestions when it scores at least this, and half the best score.
SUPPORT_FLOOR = 0.2
_CAUSE_HINT = re.compile(
    r"\b(cause[sd]?|because|due to|root|culprit|corrupt\w*|faulty|broken|expired|stale|stuck|full|crash\w*|"
    r"misconfigur\w*|wrong|missing|blocked|filled)\b",
    re.IGNORECASE,
)


def supporting(matches: list[Match]) -> list[Match]:
    if not matches:
        return []
    floor = max(SUPPORT_FLOOR, matches[0].score / 2)
    return [m for m in matches[:3] if m.score >= floor]


def suggested_steps(context: AssessmentContext, support: list[Match]) -> list[str]:
    """The worked steps of the supporting matches, best match first, without repeats and without
    what this session already tried (whatever its outcome was)."""
    tried = [s.get("action", "") for s in context.steps_tried]
    out: list[str] = []
    for match in support:
        candidates = match.worked_steps or ([f"Apply the fix from “{match.title}”: {_clip(match.resolution)}"]
                                            if match.resolution else [])
        for action in candidates:
            action = " ".join(action.split())
            if any(text.same_action(action, t) for t in tried) or any(text.same_action(action, o) for o in out):
                continue
            out.append(action)
    return out[:MAX_SUGGESTIONS]


def _cause_sentence(resolution: str) -> str | None:
    sentences = text.sentences(resolution)
    if not sentences:
        return None
    return next((s for s in sentences if _CAUSE_HINT.search(s)), sentences[0])


def likely_causes(support: list[Match]) -> list[str]:
    causes: list[str] = []
    for match in support:
        sentence = _cause_sentence(match.resolution)
        if not sentence and match.worked_steps:
            sentence = f"Fixed before by: {match.worked_steps[0]}"
        if not sentence:
            continue
        sentence = sentence.rstrip(".;,: ")
        cause = f"{_clip(sentence[:1].upper() + sentence[1:], 200)} (as in “{match.title}”)"
        if not any(text.same_action(sentence, c) for c in causes):
            causes.append(cause)
    return causes[:MAX_CAUSES]


def confidence(matches: list[Match], support: list[Match], suggestions: list[str]) -> float:
    """Mostly how much of this problem the best match covers; more when several sessions agree,
    less when there is nothing new to suggest. Never certainty: the cap is 0.95."""
    if not matches:
        return 0.0
    value = 0.8 * matches[0].score + 0.1 * min(1.0, (len(support) - 1) / 2) + (0.1 if suggestions else -0.1)
    return round(min(0.95, max(0.0, value)), 2)


def summarize(context: AssessmentContext, matches: list[Match], suggestions: list[str]) -> str:
    parts = [f"{text.first_line(context.title or context.problem).rstrip('.')}."]
    steps = context.steps_tried
    if steps:
        failed = sum(1 for s in steps if s.get("outcome") == "did_not_work")
        unclear = sum(1 for s in steps if s.get("outcome") == "inconclusive")
        detail = ", ".join(p for p in (f"{failed} did not work" if failed else "",
                                       f"{unclear} inconclusive" if unclear else "") if p)
        parts.append(f"{len(steps)} step{'s' if len(steps) != 1 else ''} tried" + (f" ({detail})." if detail else "."))
    else:
        parts.append("No steps logged yet.")
    if not matches:
        parts.append("No resolved session of this account resembles it yet.")
        return " ".join(parts)
    best = matches[0]
    fix = (f", fixed by: {_sentence(best.worked_steps[-1])}" if best.worked_steps
           else f", resolved as: {_sentence(best.resolution)}" if best.resolution else ".")
    parts.append(f"Closest resolved session: “{best.title}” ({round(best.score * 100)}% match){fix}")
    if len(matches) > 1:
        parts.append(f"{len(matches) - 1} more similar resolved session{'s' if len(matches) > 2 else ''} below.")
    if not suggestions and best.worked_steps:
        parts.append("Everything that fixed similar sessions was already tried here.")
    return " ".join(parts)


def _sentence(value: str, limit: int = 200) -> str:
    value = _clip(value, limit).rstrip(".;,: ")
    return value if value.endswith("…") else f"{value}."


def _clip(value: str, limit: int = 240) -> str:
    """At most `limit` characters, cut at a word boundary."""
    value = " ".join((value or "").split())
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def similar_sessions(matches: list[Match]) -> list[SimilarSession]:
    return [SimilarSession(id=m.id, title=m.title, resolution=_clip(m.resolution, 500), score=m.score)
            for m in matches]


def build_assessment(context: AssessmentContext, matches: list[Match]) -> Assessment:
    support = supporting(matches)
    suggestions = suggested_steps(context, support)
    return Assessment(
        summary=summarize(context, matches, suggestions),
        likely_causes=likely_causes(support),
        suggested_steps=suggestions,
        confidence=confidence(matches, support, suggestions),
        similar_sessions=similar_sessions(matches),
    )


class BuiltinProvider:
    name = "builtin"

    def assess(self, context: AssessmentContext, *, deadline: Deadline | None = None) -> Assessment:
        deadline = deadline or Deadline.from_settings()
        return build_assessment(context, find_similar(context, deadline=deadline))
