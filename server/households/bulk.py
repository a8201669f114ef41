"""Bulk reads and writes for the importer: plain executemany on SQLite, COPY and arrays on PostgreSQL
(thousands of bound parameters per statement cost more than the database work itself there)."""
from sqlalchemy import ARRAY, any_, bindparam, insert, update

from ..extensions import db


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def one_of(column, values):
    """`column IN values`, as one array parameter on PostgreSQL."""
    values = list(values)
    if _postgres():
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def refresh_statistics(*models) -> None:
    """After a large import: PostgreSQL plans the next lookups by code with the index, not a scan."""
    if _postgres():
        for model in models:
            db.session.connection().exec_driver_sql(f"ANALYZE {model.__table__.name}")


def _copy(table_name: str, rows: list[dict], columns: list[str]) -> None:
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def insert_rows(model, rows: list[dict]) -> None:
    """Insert rows that all have the same keys."""
    if not rows:
        return
    if _postgres():
        _copy(model.__table__.name, rows, list(rows[0]))
    else:
        db.session.execute(insert(model), rows)


def update_rows(model, rows: list[dict]) -> None:
    """Update rows by id; every row has the same keys, one of them `id`."""
    if not rows:
        return
    if not _postgres():
        db.session.execute(update(model), rows)
        return
    table, columns = model.__table__.name, list(rows[0])
    staging = f"import_{table}"
    connection = db.session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {staging}")
    connection.exec_driver_sql(f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
                               f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
    _copy(staging, rows, columns)
    assignments = ", ".join(f"{c} = s.{c}" for c in columns if c != "id")
    connection.exec_driver_sql(f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s WHERE t.id = s.id")
    connection.exec_driver_sql(f"DROP TABLE {staging}")
