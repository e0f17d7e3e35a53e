"""Small text helpers for the builtin provider: tokens, a light stemmer, sentences.

PostgreSQL does the real linguistics (the `english` text search configuration); these helpers
serve the embedded (SQLite) fallback ranking and the "already tried?" comparison of steps.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can cannot could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my no nor not
    now of off on once only or other our out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours get gets got still also every again keep keeps kept""".split()
)


def stem(word: str) -> str:
    """A deliberately light suffix stripper (crashing/crashes/crashed → crash, policies → policy).
    Prefix matching (`matches`) covers the rest (print ~ printer, disabl ~ disable)."""
    if len(word) <= 4:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("es") and word[:-2].endswith(("sh", "ch", "x", "ss", "z")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words, stop words removed, in order (duplicates kept)."""
    return [w for w in _WORD.findall((text or "").lower()) if w not in STOPWORDS and len(w) > 1]


def terms(text: str) -> list[str]:
    """Stemmed words."""
    return [stem(w) for w in words(text)]


def matches(query_term: str, doc_term: str) -> bool:
    """Equal terms match; so does a term that starts the other when the shorter one is long
    enough to be specific (print ~ printer, disabl ~ disable; but `pc` does not match `pci`)."""
    if doc_term == query_term:
        return True
    short, long_ = sorted((query_term, doc_term), key=len)
    return len(short) >= 4 and long_.startswith(short)


def same_action(a: str, b: str) -> bool:
    """Whether two step descriptions say the same thing ("Restarted the Print Spooler service" vs
    "restart spooler service"): their terms mostly overlap *both ways*. A long fix that merely
    mentions a short step ("cleared the spool folder, replaced the driver, restarted the
    spooler") is not that step."""
    ta, tb = set(terms(a)), set(terms(b))
    if not ta or not tb:
        return (a or "").strip().lower() == (b or "").strip().lower()
    return len(ta & tb) / max(len(ta), len(tb)) >= 0.7


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if s.strip()]


def first_line(text: str, limit: int = 160) -> str:
    line = next((s for s in (text or "").splitlines() if s.strip()), "").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
