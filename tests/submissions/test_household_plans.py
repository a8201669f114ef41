"""One household's submissions are read through ix_submissions_household on SQLite, which keeps no
statistics of the submissions table: with `kind = ...` in the condition its planner took the period
index (kind, captured_at, ...) instead, which holds every visit of the county (35 ms for one
household's summary rows at 400k submissions, against 0.3). The statements are captured as the real
code paths run them, then explained."""
import pytest
from sqlalchemy import event

from server.coverage.summary import refresh_summary
from server.satisfaction.queries import household_answers
from server.submissions.lifecycle import refresh_last_counted_visits
from server.web.services import list_household_visits


def _captured(db, run, marker):
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if marker in statement:
            seen.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert seen, f"no statement with {marker!r} ran"
    return seen[-1]


@pytest.mark.parametrize("path", ["summary", "last_counted_visit", "household_visits", "household_answers"])
def test_one_households_submissions_are_found_by_its_index(path, db, world):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics; SQLite keeps none of submissions")
    household = world.h1
    runs = {
        "summary": (lambda: refresh_summary([household.id]), "INSERT INTO coverage_months"),
        "last_counted_visit": (lambda: refresh_last_counted_visits([household.id]), "UPDATE households"),
        "household_visits": (lambda: list_household_visits(world.admin, household), "FROM submissions"),
        "household_answers": (lambda: household_answers(household.id), "FROM submissions"),
    }
    run, marker = runs[path]
    statement, parameters = _captured(db, run, marker)
    plan = [row[-1] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                       parameters)]
    on_submissions = [line for line in plan if "submissions" in line or "counted" in line]
    assert on_submissions and all("ix_submissions_household (household_id" in line for line in on_submissions), plan


@pytest.mark.parametrize("column", ["replaces_id", "rated_cadre_id"])
def test_the_partial_indexes_serve_look_ups_by_value(column, db, world):
    """ix_submissions_replaces and ix_submissions_rated_cadre hold only edits and the answers that rate
    a cadre (migration s11); a look-up by value, as the version chain and a cadre's satisfaction make
    it, still finds its rows through the index (on PostgreSQL too: `= value` implies IS NOT NULL)."""
    from server.submissions.models import Submission
    index = {"replaces_id": "ix_submissions_replaces", "rated_cadre_id": "ix_submissions_rated_cadre"}[column]
    statement = db.select(Submission.id).where(getattr(Submission, column) == 7)
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        compiled = statement.compile(connection)
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                                              tuple(compiled.params.values()))]
    else:  # no statistics of an empty table: forbid the sequential scan to see what the index may do
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
        plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + str(compiled))]
    assert any(index in line for line in plan), plan


def test_the_migrated_indexes_are_the_partial_ones(db):
    """Alembic's comparison of the models with the migrated schema ignores an index's WHERE: read the
    definitions back (migration s11)."""
    from sqlalchemy import text
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        rows = dict(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                            "AND tbl_name = 'submissions'")).all())
    else:
        rows = dict(connection.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                            "WHERE tablename = 'submissions'")).all())
    normal = {name: " ".join((sql or "").replace("(", " ").replace(")", " ").split()) for name, sql in rows.items()}
    assert "WHERE rated_cadre_id IS NOT NULL" in normal["ix_submissions_rated_cadre"]
    assert "WHERE replaces_id IS NOT NULL" in normal["ix_submissions_replaces"]
    assert "ix_submissions_kind_captured" not in rows and "WHERE" not in normal["ix_submissions_visit_period"]
