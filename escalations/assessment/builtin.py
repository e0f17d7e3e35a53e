"""The builtin provider: works offline, from the account's own resolved sessions.

It finds the most similar resolved sessions (`similar.find_similar`). When the best is a close
match (CLOSE_MATCH), it proposes the steps that *worked* in them as next steps to try —
imperative, de-identified, each citing its sessions, minus what was already tried here and what is
for another vendor — reads likely causes out of their resolutions, and sets the confidence (and
its level) from how well the best match covers this problem. Otherwise it says so: no close match.
"""

from __future__ import annotations

import re

from escalations.assessment import phrasing, text, vendors
from escalations.assessment.deadline import Deadline
from escalations.assessment.similar import Match, find_similar, query_text
from escalations.assessment.types import (
    CLOSE_MATCH,
    MATCH_CLOSE,
    MATCH_NONE,
    Assessment,
    AssessmentContext,
    SimilarSession,
    Suggestion,
    confidence_level,
)

MAX_SUGGESTIONS = 5
MAX_CAUSES = 3
# Of the close matches, those that also score at least this share of the best one support the
# suggestions (a 0.45 match next to a 0.85 one is about something else).
SUPPORT_SHARE = 0.5
NO_CLOSE_MATCH = "No close match in your resolved sessions"
_CAUSE_HINT = re.compile(
    r"\b(cause[sd]?|because|due to|root|culprit|corrupt\w*|faulty|broken|expired|stale|stuck|full|crash\w*|"
    r"misconfigur\w*|wrong|missing|blocked|filled)\b",
    re.IGNORECASE,
)


def supporting(matches: list[Match]) -> list[Match]:
    """The close matches the suggestions come from: at most 3, best first."""
    if not matches or matches[0].score < CLOSE_MATCH:
        return []
    floor = max(CLOSE_MATCH, matches[0].score * SUPPORT_SHARE)
    return [m for m in matches[:3] if m.score >= floor]


def _fallback_step(match: Match) -> list[str]:
    sentence = next(iter(text.sentences(match.resolution)), "")
    return [f"Try what resolved a similar session: {_clip(sentence, 200)}"] if sentence else []


def suggestions_for(context: AssessmentContext, support: list[Match]) -> list[Suggestion]:
    """The worked steps of the supporting matches as next steps to try: imperative, without the
    other client's names and hosts, best match first. A step this session already tried (whatever
    its outcome) is left out, and so is one for another vendor than the problem names; the same
    step from several sessions is one suggestion citing them all."""
    tried = [s.get("action", "") for s in context.steps_tried]
    problem_vendors = vendors.named(query_text(context))
    out: list[Suggestion] = []
    for match in support:
        for action in match.worked_steps or _fallback_step(match):
            step = phrasing.deidentify(phrasing.imperative(" ".join(action.split())), client=match.client)
            if any(text.same_action(step, t) for t in tried) or vendors.conflicts(problem_vendors, step):
                continue
            same = next((o for o in out if text.same_action(step, o.text)), None)
            if same is not None:
                if match.id not in same.session_ids:
                    same.session_ids.append(match.id)
                continue
            out.append(Suggestion(text=_clip(step, 500), session_ids=[match.id]))
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
        if not sentence:
            continue
        sentence = phrasing.deidentify(sentence, client=match.client).rstrip(".;,: ")
        cause = _clip(sentence[:1].upper() + sentence[1:], 200)
        if not any(text.same_action(cause, c) for c in causes):
            causes.append(cause)
    return causes[:MAX_CAUSES]


def summarize(context: AssessmentContext, matches: list[Match], suggestions: list[Suggestion]) -> str:
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
        parts.append(f"{NO_CLOSE_MATCH}: nothing to suggest from them.")
        return " ".join(parts)
    best = matches[0]
    parts.append(f"Closest resolved session: “{best.title}” ({confidence_level(best.score)} confidence).")
    if len(matches) > 1:
        parts.append(f"{len(matches) - 1} more similar resolved session{'s' if len(matches) > 2 else ''} below.")
    if not suggestions and best.worked_steps:
        parts.append("Everything that fixed similar sessions was already tried here, or is for another vendor.")
    return " ".join(parts)


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
    """The assessment from the similar sessions found. Below CLOSE_MATCH there is no close match:
    nothing is suggested and no session is listed, rather than a distant session's fix (a
    shared-calendar crash once got print-spooler fixes because both "crash")."""
    close = [m for m in matches if m.score >= CLOSE_MATCH]
    support = supporting(close)
    suggestions = suggestions_for(context, support)
    best = close[0].score if close else 0.0
    return Assessment(
        summary=summarize(context, close, suggestions),
        likely_causes=likely_causes(support),
        suggested_steps=[s.text for s in suggestions],
        confidence=round(best, 2),
        similar_sessions=similar_sessions(close),
        match=MATCH_CLOSE if close else MATCH_NONE,
        confidence_level=confidence_level(best) if close else None,
        suggestions=suggestions,
    )


class BuiltinProvider:
    name = "builtin"

    def assess(self, context: AssessmentContext, *, deadline: Deadline | None = None) -> Assessment:
        deadline = deadline or Deadline.from_settings()
        return build_assessment(context, find_similar(context, deadline=deadline))
