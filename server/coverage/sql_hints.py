"""Planner hints the coverage queries share (coverage.queries and the aggregates, which queries
imports, so they live apart)."""
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class unindexed(FunctionElement):  # noqa: N801
    """SQLite: `+column`, so that the planner reads the table rather than an index on the column (for
    conditions that hold for most rows); elsewhere the column as is."""
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
