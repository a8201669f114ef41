"""The households trigger that keeps the coverage aggregates runs only when what they count changes
(the household's village, category, active flag or the month of its last counted visit): a visit
in the month of the household's last one moved the trigger through a dozen statements that changed
nothing. PostgreSQL: the trigger is split in two (insert; update with a WHEN condition), the
function is the same.

Revision ID: s7_households_trigger_when
Revises: s6_category_last_id
"""

from alembic import op

from server.migrations.earlier import load

revision = 's7_households_trigger_when'
down_revision = 's6_category_last_id'
branch_labels = None
depends_on = None

COLUMNS = "area_id, is_active, category, last_counted_visit_at"


V = load("s2_h16b_coverage_aggregates")
C = load("s3_h2_cadre_aggregates")


def changed(dialect: str) -> str:
    """True when an update of a household changes something the aggregates count: every statement
    of the update branch is conditioned on this (is_active changing, or the bucket moving)."""
    bucket, _ = V._changes(V.PG_MONTH if dialect == "pg" else V.SQLITE_MONTH, dialect)
    differs = "IS DISTINCT FROM" if dialect == "pg" else "IS NOT"
    return f"(OLD.is_active {differs} NEW.is_active OR {bucket})"


def _sqlite_update(when: bool) -> str:
    statement = C.sqlite_triggers()[1]
    head = f"AFTER UPDATE OF {COLUMNS} ON households BEGIN"
    assert head in statement
    return statement.replace(head, f"AFTER UPDATE OF {COLUMNS} ON households WHEN {changed('sqlite')} BEGIN")  \
        if when else statement


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER coverage_households_upkeep ON households")
        op.execute("CREATE TRIGGER coverage_households_insert AFTER INSERT ON households FOR EACH ROW "
                   "EXECUTE FUNCTION coverage_households_upkeep()")
        op.execute(f"CREATE TRIGGER coverage_households_upkeep AFTER UPDATE OF {COLUMNS} ON households "
                   f"FOR EACH ROW WHEN {changed('pg')} EXECUTE FUNCTION coverage_households_upkeep()")
    else:
        op.execute("DROP TRIGGER coverage_households_update")
        op.execute(_sqlite_update(when=True))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER coverage_households_upkeep ON households")
        op.execute("DROP TRIGGER coverage_households_insert ON households")
        op.execute(f"CREATE TRIGGER coverage_households_upkeep AFTER INSERT OR UPDATE OF {COLUMNS} ON households "
                   "FOR EACH ROW EXECUTE FUNCTION coverage_households_upkeep()")
    else:
        op.execute("DROP TRIGGER coverage_households_update")
        op.execute(_sqlite_update(when=False))
