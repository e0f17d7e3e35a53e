"""Similar resolved sessions of one account: the builtin provider's evidence.

On PostgreSQL the database does the text search (`django.contrib.postgres.search`): a weighted
`SearchVector` over the session's title (A), problem and resolution (B) and its steps' actions (C),
materialised once per search in a CTE, matched against an OR query of the new problem's lexemes
(prefix-matched, so `print` finds `printer`) and pre-ranked with `ts_rank` (what `SearchRank`
compiles to), in the same statement as each term's document frequency. When the `pg_trgm`
extension happens to be installed, title trigram similarity also catches typos (`spooller`); it is
never required, and this app ships no migration creating it. There is no GIN index (the document
spans two tables): the searched population is bounded to the account's latest resolved sessions,
and the query runs under a statement timeout within the assessment's deadline.

In embedded mode (SQLite) the same scoring runs in Python over the account's latest 500 resolved
sessions.

Either way the final score of a candidate is an IDF-weighted coverage of the new problem's terms:
the share of its (distinctive) terms that the resolved session mentions, counting a title hit
more than a problem/resolution hit, and those more than a step hit. It lies in 0..1, so it reads as
"how much of this problem that session was about".

Everything is filtered by account first: no query here ever reads another account's rows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery, TextField, Value
from django.db.models.functions import Coalesce

from escalations.assessment import text, vendors
from escalations.assessment.deadline import Deadline
from escalations.assessment.types import AssessmentContext, AssessmentTimeout
from escalations.models import PilotSession, SessionStatus, Step, StepOutcome

# Field weights of a term hit (PostgreSQL's A/B/C/D labels).
WEIGHTS = {"A": 1.0, "B": 0.8, "C": 0.5, "D": 0.3}
MAX_QUERY_TERMS = 32
PG_POPULATION = 2_000  # latest resolved sessions searched on PostgreSQL (~0.5 ms each)
PYTHON_POPULATION = 500  # ... and in embedded mode
PG_CANDIDATES = 50  # pre-ranked by SearchRank, re-scored in Python
TRIGRAM_MIN = 0.3
# Below this a "match" shares a word or two in passing (e.g. only "password"): not evidence.
MIN_SCORE = 0.15
# ... and a match far below the best one is noise next to it.
RELATIVE_FLOOR = 0.3
TITLE_EMPHASIS = 2.0
# How much a term that no resolved session mentions weighs, relative to a term found once.
UNSEEN_WEIGHT = 1.0
# A session whose fix is for another vendor's product than the one the new problem names (an HP
# driver swap for a Canon copier) keeps this share of its score: still listed when nothing better
# exists, never ranked as a close match on the strength of the shared symptoms (vendors.py).
VENDOR_CONFLICT = 0.5
_TSVECTOR_ENTRY = re.compile(r"'((?:[^']|'')+)'(?::([0-9A-D,]+))?")


@dataclass
class Match:
    id: str
    title: str
    resolution: str
    score: float
    worked_steps: list[str] = field(default_factory=list)
    client: str = ""  # the session's client, never copied into a suggestion (phrasing.deidentify)


def query_text(context: AssessmentContext) -> str:
    # The title and the problem say what is wrong; the reason often names the symptom again.
    return " ".join(part for part in (context.title, context.problem[:4_000], context.reason) if part)


def find_similar(context: AssessmentContext, *, deadline: Deadline, limit: int = 5) -> list[Match]:
    """The account's resolved sessions most like `context`, best first (above the floors)."""
    if connection.vendor == "postgresql":
        scored = _postgres_scores(context, deadline=deadline)
    else:
        scored = _python_scores(context)
    deadline.check()
    scored = [m for m in scored if m.score >= MIN_SCORE]
    _attach_worked_steps(context.account_id, scored)
    problem_vendors = vendors.named(query_text(context))
    for m in scored:
        if vendors.conflicts(problem_vendors, " ".join([m.resolution, *m.worked_steps])):
            m.score *= VENDOR_CONFLICT
    scored.sort(key=lambda m: (-m.score, m.title))
    floor = max(MIN_SCORE, RELATIVE_FLOOR * scored[0].score) if scored else MIN_SCORE
    return [m for m in scored if m.score >= floor][:limit]


def _attach_worked_steps(account_id: int, matches: list[Match]) -> None:
    by_id = {m.id: m for m in matches}
    steps = (
        Step.objects.filter(account_id=account_id, session_id__in=list(by_id), outcome=StepOutcome.WORKED)
        .order_by("created_at")
        .values_list("session_id", "action")
    )
    for session_id, action in steps:
        by_id[str(session_id)].worked_steps.append(action)


# --- Scoring shared by both paths ---------------------------------------------------------------

def _idf(df: int, n: int) -> float:
    # BM25's idf, always positive: a term in every document still counts a little.
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def weighted_coverage(query_terms: list[str], doc: dict[str, float], idf: dict[str, float],
                      emphasis: set[str] = frozenset(), *, n: int) -> float:
    """Share of the query's IDF mass that `doc` (term → field weight) covers. A term that no
    resolved session has still counts (UNSEEN_WEIGHT × the IDF of a term found once): it cannot
    tell candidates apart, but leaving it out made "Dymo label printer prints blank labels" a
    100 % match of every printing session, since its only known term was "print". Terms of the
    new session's title (`emphasis`) count double: the title says what is wrong, the problem text
    also tells side symptoms ("...then the printer shows offline")."""
    total = got = 0.0
    unseen = UNSEEN_WEIGHT * _idf(1, max(n, 1))
    for q in query_terms:
        mass = idf.get(q, unseen) * (TITLE_EMPHASIS if q in emphasis else 1.0)
        total += mass
        best = max((w for t, w in doc.items() if text.matches(q, t)), default=0.0)
        got += mass * best
    return got / total if total else 0.0


# --- Embedded mode: Python over the latest resolved sessions -----------------------------------

def _python_doc(title: str, problem: str, resolution: str, actions: list[str]) -> dict[str, float]:
    doc: dict[str, float] = {}
    for label, body in (("C", " ".join(actions)), ("B", f"{problem} {resolution}"), ("A", title)):
        for term in text.terms(body):
            doc[term] = max(doc.get(term, 0.0), WEIGHTS[label])
    return doc


def _python_scores(context: AssessmentContext) -> list[Match]:
    query_terms = list(dict.fromkeys(text.terms(query_text(context))))[:MAX_QUERY_TERMS]
    emphasis = set(text.terms(context.title))
    if not query_terms:
        return []
    rows = list(
        PilotSession.objects.filter(account_id=context.account_id, status=SessionStatus.RESOLVED)
        .exclude(pk=context.session_id)
        .order_by("-resolved_at", "-created_at")
        .values("id", "title", "problem", "resolution", "client_name")[:PYTHON_POPULATION]
    )
    actions: dict = {}
    for session_id, action in Step.objects.filter(
        account_id=context.account_id, session_id__in=[r["id"] for r in rows]
    ).values_list("session_id", "action"):
        actions.setdefault(session_id, []).append(action)
    docs = [(r, _python_doc(r["title"], r["problem"], r["resolution"], actions.get(r["id"], []))) for r in rows]
    n = len(docs)
    idf = {}
    for q in query_terms:
        df = sum(1 for _, doc in docs if any(text.matches(q, t) for t in doc))
        if df:
            idf[q] = _idf(df, n)
    return [
        Match(id=str(r["id"]), title=r["title"], resolution=r["resolution"], client=r["client_name"],
              score=weighted_coverage(query_terms, doc, idf, emphasis, n=n))
        for r, doc in docs
    ]


# --- PostgreSQL: full-text search --------------------------------------------------------------

def _parse_tsvector(value: str) -> dict[str, float]:
    """`'crash':3A 'spooler':2A,7B` → {lexeme: best field weight}. Unlabelled positions are D."""
    doc = {}
    for lexeme, positions in _TSVECTOR_ENTRY.findall(value or ""):
        labels = [p[-1] if p[-1] in "ABC" else "D" for p in positions.split(",") if p] or ["D"]
        doc[lexeme.replace("''", "'")] = max(WEIGHTS[label] for label in labels)
    return doc


def _query_lexemes(query: str) -> list[str]:
    """The new problem's lexemes as PostgreSQL's `english` configuration sees them, in text order,
    restricted to plain alphanumerics so they can be put in a raw tsquery safely."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('english', %s)::text", [query])
        (vector,) = cursor.fetchone()
    positions = []
    for lexeme, pos in _TSVECTOR_ENTRY.findall(vector or ""):
        # Our stop words too: PostgreSQL's list keeps generic verbs such as "keep".
        if re.fullmatch(r"[a-z0-9]+", lexeme) and len(lexeme) > 1 and lexeme not in text.STOPWORDS:
            first = min(int(p) for p in re.findall(r"\d+", pos)) if pos else 0
            positions.append((first, lexeme))
    return [lexeme for _, lexeme in sorted(positions)][:MAX_QUERY_TERMS]


def _lexeme_query(lexeme: str) -> str:
    return f"{lexeme}:*" if len(lexeme) >= 4 else lexeme


def _has_pg_trgm() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")
        return bool(cursor.fetchone()[0])


def _document():
    # By session only: the session is already the account's, and a second condition on account_id
    # tempts the planner into a BitmapAnd with the account's whole step index, per row.
    actions = (
        Step.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(text=StringAgg("action", delimiter=" "))
        .values("text")[:1]
    )
    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("problem", weight="B", config="english")
        + SearchVector("resolution", weight="B", config="english")
        + SearchVector(Coalesce(Subquery(actions), Value(""), output_field=TextField()), weight="C",
                       config="english")
    )


def _postgres_scores(context: AssessmentContext, *, deadline: Deadline) -> list[Match]:
    lexemes = _query_lexemes(query_text(context))
    emphasis = set(_query_lexemes(context.title)) if context.title else set()
    if not lexemes:
        return []
    # The population and its documents, built with the ORM (SearchVector), then materialised once
    # in a CTE: PostgreSQL does not share a repeated expression, and computing each document for
    # the match, the rank, the output and every term's document frequency costs a to_tsvector per
    # row each time (measured: ~1 ms per session for all its text).
    docs = (
        PilotSession.objects.filter(account_id=context.account_id, status=SessionStatus.RESOLVED)
        .exclude(pk=context.session_id)
        .order_by("-resolved_at", "-created_at")
        .annotate(document=_document())
        .values("id", "title", "resolution", "client_name", "resolved_at", "document")[:PG_POPULATION]
    )
    docs_sql, docs_params = docs.query.sql_with_params()
    # Lexemes are already stemmed: the `simple` configuration only lower-cases them again.
    term_queries = [_lexeme_query(lx) for lx in lexemes]
    df_columns = ", ".join(f"count(*) FILTER (WHERE document @@ to_tsquery('simple', %s)) AS df{i}"
                           for i in range(len(lexemes)))
    try:
        # SET LOCAL lasts until the end of the *outermost* transaction, so the previous value is put
        # back on success; on a timeout the rollback of this block undoes it.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout')")
            (previous,) = cursor.fetchone()
            cursor.execute("SELECT set_config('statement_timeout', %s, true)",
                           [f"{max(1, int(deadline.remaining() * 1000))}ms"])
            trigram = _has_pg_trgm()
            title = context.title or context.problem[:200]
            sql = f"""
                WITH docs AS MATERIALIZED ({docs_sql}),
                     stats AS MATERIALIZED (SELECT count(*) AS n, {df_columns} FROM docs),
                     q AS (SELECT to_tsquery('simple', %s) AS query)
                SELECT d.id, d.title, d.resolution, d.client_name, d.document::text AS vector,
                       ts_rank(d.document, q.query) AS rank,
                       {"similarity(d.title, %s)" if trigram else "0.0"} AS trgm, stats.*
                FROM docs d CROSS JOIN stats CROSS JOIN q
                WHERE d.document @@ q.query {"OR similarity(d.title, %s) >= %s" if trigram else ""}
                ORDER BY rank DESC, d.resolved_at DESC
                LIMIT {PG_CANDIDATES}
            """
            params = [*docs_params, *term_queries, " | ".join(term_queries)]
            if trigram:
                params += [title, title, TRIGRAM_MIN]
            cursor.execute(sql, params)
            columns = [c.name for c in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
    except OperationalError as exc:
        if "statement timeout" in str(exc) or "canceling statement" in str(exc):
            raise AssessmentTimeout("the similar-session search passed the deadline") from exc
        raise
    if not rows:
        return []
    n = rows[0]["n"]
    idf = {lx: _idf(rows[0][f"df{i}"], n) for i, lx in enumerate(lexemes) if rows[0][f"df{i}"]}
    matches = []
    for row in rows:
        score = weighted_coverage(lexemes, _parse_tsvector(row["vector"]), idf, emphasis, n=n)
        if trigram:
            score = 0.85 * score + 0.15 * float(row["trgm"] or 0)
        matches.append(Match(id=str(row["id"]), title=row["title"], resolution=row["resolution"],
                             client=row["client_name"], score=score))
    return matches
