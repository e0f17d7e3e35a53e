"""SQL building blocks for the metrics: durations in seconds and percentiles, computed by the database.

PostgreSQL has `percentile_cont` (an ordered-set aggregate). SQLite (the embedded mode) has none, so
`register_sqlite_functions` adds a `PERCENTILE_CONT(fraction, value)` aggregate to every SQLite
connection: the same queries run in both modes, and the rows never come back to Python.
"""

from __future__ import annotations

import math

from django.core.exceptions import FullResultSet
from django.db.models import Aggregate, FloatField

# Durations are sorted on PostgreSQL as `KEY_ORIGIN + (end - start)`: a `timestamp`, which the
# sort compares as a plain 64-bit integer, where an `interval` is a 16-byte value passed by
# reference and compared through 128-bit arithmetic (docs/performance.md). Subtracting the origin
# gives back the very interval (`timestamp - timestamp` and `timestamptz - timestamptz` both
# normalise with `justify_hours`), and `timestamp + interval` has no time zone, so no DST.
KEY_ORIGIN = "TIMESTAMP '2000-01-01 00:00:00'"


class Percentile(Aggregate):
    """Continuous percentile (linear interpolation), like PostgreSQL's `percentile_cont`.

    `Percentile(expr, 0.5)` is the median. Works with `filter=Q(...)` (`FILTER (WHERE ...)`) and in
    grouped queries. NULL inputs are ignored; no input gives NULL.
    """

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    arity = 1
    template = "%(function)s(%(fraction)r) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("A percentile fraction is between 0 and 1.")
        # A validated float literal: rendered with repr(), never user text.
        super().__init__(expression, fraction=fraction, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Swap the class template (Aggregate.as_sql refuses a `template` keyword with a filter).
        clone = self.copy()
        clone.template = "%(function)s(%(fraction)r, %(expressions)s)"
        return clone.as_sql(compiler, connection, **extra_context)


class DurationPercentile(Aggregate):
    """Continuous percentile of `end - start`, in seconds (float): exactly
    `EXTRACT(EPOCH FROM percentile_cont(fraction) WITHIN GROUP (ORDER BY end - start))`.

    PostgreSQL: `percentile_cont` over intervals spends most of its time sorting 16-byte
    by-reference values. Instead the aggregate collects the durations as sortable timestamps
    (`KEY_ORIGIN + (end - start)`) in one `ARRAY_AGG(... ORDER BY ...)`, and a scalar subquery
    picks the two neighbouring values and interpolates them with the same interval operators,
    in the same order, as PostgreSQL's `percentile_cont` (orderedsetaggs.c: rows
    `floor`/`ceil(fraction × (n − 1))`, `lo + (hi − lo) × proportion`): same figure to the
    microsecond, about 20 % less CPU (docs/performance.md). The median and the p90 of the same
    input and filter are the same aggregate call, which PostgreSQL computes once.
    `EXTRACT(EPOCH ...)` is applied to the one result, never per row (numerics sort slowly).

    SQLite sorts julianday differences (millisecond precision).
    """

    function = "PERCENTILE_CONT"
    name = "DurationPercentile"
    output_field = FloatField()
    arity = 2
    arg_joiner = " - "
    template = "%(function)s(%(fraction)r) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, end, start, fraction: float, **extra):
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("A percentile fraction is between 0 and 1.")
        super().__init__(end, start, fraction=fraction, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"DurationPercentile is not implemented for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        connection.ops.check_expression_support(self)
        end, start = self.source_expressions
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        filter_sql, filter_params = None, []
        if self.filter is not None:
            try:
                filter_sql, filter_params = compiler.compile(self.filter)
            except FullResultSet:
                pass
        keys = sorted_duration_keys(end_sql, start_sql, filter_sql)
        params = [*end_params, *start_params, *end_params, *start_params, *filter_params]
        return duration_percentile(keys, self.extra["fraction"]), params

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.template = "%(function)s(%(fraction)r, (julianday(%(expressions)s)) * 86400.0)"
        clone.arg_joiner = ") - julianday("
        return super(DurationPercentile, clone).as_sql(compiler, connection, **extra_context)


def sorted_duration_keys(end_sql: str, start_sql: str, filter_sql: str | None = None) -> str:
    """PostgreSQL: the aggregate `ARRAY_AGG(KEY_ORIGIN + (end - start) ORDER BY ...)`, with its
    FILTER: the durations of the group as sorted timestamps (NULL when there are none). It names
    only the columns of its own query, so inside `duration_percentile`'s subquery it still belongs
    to that query and is evaluated there, once per group; two identical calls are computed once."""
    key = f"({KEY_ORIGIN} + ({end_sql} - {start_sql}))"
    sql = f"ARRAY_AGG({key} ORDER BY {key})"
    return f"{sql} FILTER (WHERE {filter_sql})" if filter_sql else sql


def duration_percentile(keys_sql: str, fraction: float) -> str:
    """PostgreSQL: `EXTRACT(EPOCH FROM percentile_cont(fraction) WITHIN GROUP (ORDER BY duration))`
    from `keys_sql`, an array of `sorted_duration_keys`: the rows floor/ceil(fraction × (n − 1))
    and `(hi − lo) × proportion + lo` with the interval operators, as orderedsetaggs.c does
    (interval_lerp). NULL for a NULL array."""
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("A percentile fraction is between 0 and 1.")
    return (
        f"(SELECT {LERP}"
        f" FROM (SELECT pct_pos.keys[floor(pct_pos.pos)::integer + 1] - {KEY_ORIGIN} AS lo,"
        f" pct_pos.keys[ceil(pct_pos.pos)::integer + 1] - {KEY_ORIGIN} AS hi, pct_pos.pos"
        f" FROM (SELECT pct_keys.keys, {fraction!r}::double precision * (cardinality(pct_keys.keys) - 1) AS pos"
        f" FROM (SELECT {keys_sql} AS keys) AS pct_keys) AS pct_pos) AS pct_pair)"
    )


# percentile_cont's interpolation (orderedsetaggs.c, interval_lerp) between the intervals `lo` and
# `hi` of a row `pct_pair` that also holds `pos` = fraction × (n − 1), in seconds. One text, used by
# both percentile builders, so they cannot round differently.
LERP = ("EXTRACT(EPOCH FROM (pct_pair.hi - pct_pair.lo) * (pct_pair.pos - floor(pct_pair.pos))"
        " + pct_pair.lo)::double precision")


def merged_duration_percentile(days: str, stats: str, fraction: float, stride: int) -> str:
    """PostgreSQL: `duration_percentile` of the union of many sorted key arrays, without sorting
    the union: the same figure, from the same two keys.

    `days` names a relation with one sorted key array per row (`keys`, non-empty); `stats` a
    one-row relation with `n` (keys in all), `d` (arrays) and `sample`: every `stride`-th key of
    each array (positions stride, 2 × stride, …), sorted. The percentile needs the keys of 1-based
    ranks r1 = floor(pos) + 1 and r2 = ceil(pos) + 1 of the union. An array holding i sample keys
    ≤ x holds between stride × i and stride × i + stride − 1 keys ≤ x, so the sample key at position
    q has at least stride × q keys at or below it, and at most stride × q + (stride − 1) × d when
    keys are distinct: `below` (position (r1 − 1 − (stride − 1) × d) / stride, or −infinity) has
    fewer than r1 keys at or below it and `above` (position ceil(r2 / stride), or +infinity) at
    least r2. Each array's keys in (below, above] are a slice found by binary search
    (`width_bucket` counts an array's keys ≤ a value); sorted together they are the ranks
    rank(below) + 1 … rank(above), about 2 × stride × d keys instead of n. The ranks are checked
    (ties can break the upper bound); if the bracket misses, the union is sorted, as before."""
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("A percentile fraction is between 0 and 1.")
    stride = int(stride)
    full = duration_percentile(f"(SELECT ARRAY_AGG(pct_all.key ORDER BY pct_all.key)"
                               f" FROM {days} AS pct_day, unnest(pct_day.keys) AS pct_all(key))", fraction)
    ranks = (f"SELECT pct_pos.*, floor(pct_pos.pos)::integer + 1 AS r1, ceil(pct_pos.pos)::integer + 1 AS r2"
             f" FROM (SELECT {stats}.n, {stats}.d, {stats}.sample,"
             f" {fraction!r}::double precision * ({stats}.n - 1) AS pos FROM {stats}) AS pct_pos")
    bounds = ("SELECT pct_ranks.*,"
              f" CASE WHEN (pct_ranks.r1 - 1 - {stride - 1} * pct_ranks.d) / {stride} >= 1"
              f" THEN pct_ranks.sample[(pct_ranks.r1 - 1 - {stride - 1} * pct_ranks.d) / {stride}]"
              " ELSE '-infinity'::timestamp END AS below,"
              f" CASE WHEN (pct_ranks.r2 + {stride - 1}) / {stride} <= COALESCE(cardinality(pct_ranks.sample), 0)"
              f" THEN pct_ranks.sample[(pct_ranks.r2 + {stride - 1}) / {stride}]"
              " ELSE 'infinity'::timestamp END AS above"
              f" FROM ({ranks}) AS pct_ranks")
    bracket = ("SELECT SUM(width_bucket(pct_bounds.below, pct_day.keys))::integer AS below_rank,"
               " SUM(width_bucket(pct_bounds.above, pct_day.keys))::integer AS above_rank,"
               " (SELECT ARRAY_AGG(pct_key.key ORDER BY pct_key.key) FROM"
               f" {days} AS pct_slice, unnest(pct_slice.keys[width_bucket(pct_bounds.below, pct_slice.keys) + 1"
               " : width_bucket(pct_bounds.above, pct_slice.keys)]) AS pct_key(key)) AS keys"
               f" FROM {days} AS pct_day")
    pair = (f"SELECT pct_in.keys[pct_bounds.r1 - pct_in.below_rank] - {KEY_ORIGIN} AS lo,"
            f" pct_in.keys[pct_bounds.r2 - pct_in.below_rank] - {KEY_ORIGIN} AS hi, pct_bounds.pos,"
            " pct_bounds.n, pct_in.below_rank < pct_bounds.r1 AND pct_in.above_rank >= pct_bounds.r2 AS bracketed"
            f" FROM ({bounds}) AS pct_bounds CROSS JOIN LATERAL ({bracket}) AS pct_in")
    return (f"(SELECT CASE WHEN COALESCE(pct_pair.n, 0) = 0 THEN NULL WHEN pct_pair.bracketed THEN {LERP}"
            f" ELSE {full} END FROM ({pair}) AS pct_pair)")


def percentile_cont(values, fraction: float) -> float | None:
    """The definition PostgreSQL uses: the value at position fraction × (n − 1) of the sorted
    values, interpolated linearly between its neighbours."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SQLitePercentileCont:
    """`PERCENTILE_CONT(fraction, value)` for SQLite connections (embedded mode only)."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, fraction, value):
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


def register_sqlite_functions(sender, connection, **kwargs):
    """`connection_created` receiver: teach SQLite the aggregate PostgreSQL has built in."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("PERCENTILE_CONT", 2, _SQLitePercentileCont)
