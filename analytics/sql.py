"""SQL building blocks for the metrics: durations in seconds and percentiles, computed by the database.

PostgreSQL has `percentile_cont` (an ordered-set aggregate). SQLite (the embedded mode) has none, so
`register_sqlite_functions` adds a `PERCENTILE_CONT(fraction, value)` aggregate to every SQLite
connection: the same queries run in both modes, and the rows never come back to Python.
"""

from __future__ import annotations

import math

from django.db.models import Aggregate, FloatField


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
    """Continuous percentile of `end - start`, in seconds (float).

    PostgreSQL sorts the intervals themselves and converts the one result to seconds:
    `EXTRACT(EPOCH FROM ...)` on every row yields numerics, three times slower to sort
    (docs/performance.md). SQLite sorts julianday differences (millisecond precision).
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
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return f"EXTRACT(EPOCH FROM {sql})::double precision", params

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.template = "%(function)s(%(fraction)r, (julianday(%(expressions)s)) * 86400.0)"
        clone.arg_joiner = ") - julianday("
        return super(DurationPercentile, clone).as_sql(compiler, connection, **extra_context)


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
