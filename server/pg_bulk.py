"""Many rows in one short PostgreSQL statement: INSERT ... SELECT FROM unnest(one array per column).

SQLAlchemy sends a batch's rows to PostgreSQL as one INSERT with a VALUES group per row: for 100
submissions of 30 columns, an 80 KB statement with 3,000 parameters. psycopg caches the parsing of a
statement only up to 4 KB and 50 parameters, and PostgreSQL cannot keep a plan for text that changes
with the row count, so both parsed that statement again for every batch (about a fifth of a JSON
push's CPU in the app). Here the statement is the same for any number of rows, with one parameter
per column: psycopg parses it once, and PostgreSQL prepares it once per connection.

Each value goes through its column type's own bind processing (a UTC datetime is checked and moved
to UTC, a JSON value is wrapped as jsonb, None in a JSON column is JSON null), as SQLAlchemy's own
INSERT does; a column the rows leave out takes its Python default."""
from psycopg import adapters
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import Float, insert, text



class BinaryArray(list):
    """A column's values, sent in PostgreSQL's binary array format: psycopg's text format escapes
    every element with regular expressions (a batch's raw XML through them costs more than the
    rest of the statement). The binary format refuses a list mixing ints and floats: arrays()
    makes a float column's values floats."""


adapters.register_dumper(BinaryArray, ListBinaryDumper)
_SOURCES: dict = {}
_STATEMENTS: dict = {}


def source(table, names: tuple, dialect, prefix: str = "p"):
    """SELECT * FROM unnest(CAST(:p0 AS type[]), ...): the rows of `arrays`, as a select whose
    columns are the table's `names` (for INSERT ... FROM SELECT, an UPDATE ... FROM, a join).
    `prefix` names the parameters (two sources in one statement need two)."""
    key = (table.name, names, prefix)
    if key not in _SOURCES:
        columns = [table.c[name] for name in names]
        casts = ", ".join(f"CAST(:{prefix}{at} AS {c.type.dialect_impl(dialect).compile(dialect=dialect)}[])"
                          for at, c in enumerate(columns))
        processors = [_processor(c, dialect) for c in columns]
        _SOURCES[key] = (text(f"SELECT * FROM unnest({casts}) AS u({', '.join(names)})").columns(*columns),
                         processors)
    return _SOURCES[key][0]


def _processor(column, dialect):
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if not isinstance(column.type, Float):
        return process
    if process is None:  # psycopg's case
        return lambda v: float(v) if isinstance(v, int) else v
    return lambda v: process(float(v) if isinstance(v, int) else v)


def arrays(table, names: tuple, rows: list, dialect, defaults=None, prefix: str = "p") -> dict:
    """The parameters of source(): one list per column, each value through its column type's bind
    processing; a value a row leaves out is taken from `defaults`, else NULL."""
    source(table, names, dialect, prefix)
    processors, defaults = _SOURCES[(table.name, names, prefix)][1], defaults or {}
    params = {}
    for at, (name, process) in enumerate(zip(names, processors)):
        values = [row.get(name, defaults.get(name)) for row in rows]
        params[f"{prefix}{at}"] = BinaryArray(map(process, values) if process is not None else values)
    return params


def _defaults(table, present: set) -> dict:
    """Python defaults of the columns no row names (the autoincrementing key aside)."""
    out = {}
    for c in table.c:
        if c.name in present or c.default is None or (c.primary_key and c.autoincrement):
            continue
        out[c.name] = c.default.arg if c.default.is_scalar else c.default.arg(None)
    return out


def insert_rows(connection, table, rows: list[dict], returning: tuple = ()):
    """INSERT these rows (dicts of column values; a column the rows leave out takes its Python
    default) in one statement; the result's rows hold the `returning` columns, in no particular
    order (return a unique column to match them to the rows)."""
    present = {name for row in rows for name in row}
    defaults = _defaults(table, present)
    names = tuple(sorted(present | set(defaults)))
    key = (table.name, names, tuple(returning))
    if key not in _STATEMENTS:
        statement = insert(table).from_select(names, source(table, names, connection.dialect))
        _STATEMENTS[key] = statement.returning(*(table.c[n] for n in returning)) if returning else statement
    return connection.execute(_STATEMENTS[key], arrays(table, names, rows, connection.dialect, defaults))
