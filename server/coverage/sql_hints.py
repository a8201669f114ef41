"""Planner hints the coverage queries share (coverage.queries and the aggregates, which queries
imports, so they live apart)."""
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class unindexed(FunctionElement):  # noqa: N801
    """SQLite: `+column`, so that the planner reads the table rather than an index on the column (for
    conditions that hold for most rows), or reads another index: `+kind` keeps it off the period
    index (kind, captured_at, ...) for one household's submissions, which ix_submissions_household
    finds (SQLite keeps no statistics of submissions, and took the covering period index: 35 ms for a
    household's summary rows at 400k submissions, against 0.3). Elsewhere the column as is."""
    inherit_cache, name = True, "unindexed"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"
