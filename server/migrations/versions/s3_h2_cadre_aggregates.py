"""Coverage aggregates per cadre: per named period, cadre and village the standing-linked households
visited by their cadre and the cadre's flagged visits (coverage_cadre_keys), the standing-linked
households per category and month of their last counted visit (coverage_cadre_households) and per
village (coverage_cadre_sizes); triggers on households and on assignments keep them through every
writer; assignments by valid_from (links that start after a period's end)

Revision ID: s3_h2_cadre_aggregates
Revises: s3_h4_cache_epochs
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = 's3_h2_cadre_aggregates'
down_revision = 's3_h4_cache_epochs'
branch_labels = None
depends_on = None


def _village_triggers():
    """The households triggers of s2_h16b (the per-village statements, kept as they are)."""
    spec = importlib.util.spec_from_file_location(
        "s2_h16b_coverage_aggregates", Path(__file__).with_name("s2_h16b_coverage_aggregates.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


V = _village_triggers()
#: the period keys a summary month lies in (as coverage.aggregates.month_keys)
KEY_EXPRESSIONS = ("month", "(month / 100) * 100 + 20 + ((month % 100) - 1) / 3 + 1",
                   "(month / 100) * 100 + 30 + ((month % 100) - 1) / 6 + 1", "(month / 100) * 100")


def _keys(household: str) -> str:
    """A household's summary rows as (submitter s, period key k, counted 0/1 c, flagged f)."""
    return " UNION ALL ".join(
        f"SELECT submitter_id AS s, {k} AS k, CASE WHEN counted > 0 THEN 1 ELSE 0 END AS c, flagged AS f "
        f"FROM coverage_months WHERE household_id = {household}" for k in KEY_EXPRESSIONS)


def _cadre(src: dict, sign: str, size_where: str, bucket_where: str) -> str:
    """The statements adding (sign '') or taking away (sign '-') one household-cadre link's share.
    src: the FROM tables and WHERE giving the link, and the expressions of its household, cadre,
    village, category and last counted month."""
    t, w, h, c, a = src["tables"], src["where"], src["household"], src["cadre"], src["area"]
    return f"""
    INSERT INTO coverage_cadre_sizes (cadre_id, area_id, households)
    SELECT {c}, {a}, {sign}1 FROM {t} WHERE {w} AND ({size_where})
    ON CONFLICT (cadre_id, area_id) DO UPDATE
       SET households = coverage_cadre_sizes.households + excluded.households;
    INSERT INTO coverage_cadre_households (cadre_id, area_id, category, last_month, households)
    SELECT {c}, {a}, {src["category"]}, {src["month"]}, {sign}1 FROM {t} WHERE {w} AND ({bucket_where})
    ON CONFLICT (cadre_id, area_id, category, last_month) DO UPDATE
       SET households = coverage_cadre_households.households + excluded.households;
    INSERT INTO coverage_cadre_keys (period_key, cadre_id, area_id, visited, flagged)
    SELECT keys.k, {c}, {a}, {sign}max(keys.c), {sign}sum(keys.f) FROM ({_keys(h)}) AS keys, {t}
     WHERE keys.s = {c} AND {w} AND ({size_where}) GROUP BY keys.k, {c}, {a}
    ON CONFLICT (period_key, cadre_id, area_id) DO UPDATE
       SET visited = coverage_cadre_keys.visited + excluded.visited,
           flagged = coverage_cadre_keys.flagged + excluded.flagged;"""


def _household_src(row: str, month: str) -> dict:
    """A households row (NEW/OLD) and its standing link."""
    return {"tables": "assignments a", "where": f"a.household_id = {row}.id AND a.valid_to IS NULL",
            "household": f"{row}.id", "cadre": "a.cadre_id", "area": f"{row}.area_id",
            "category": f"COALESCE({row}.category, '')", "month": month.format(row=row)}


def _assignment_src(row: str, month: str) -> dict:
    """An assignments row (NEW/OLD) when standing, and its household when active."""
    return {"tables": "households hh",
            "where": f"hh.id = {row}.household_id AND hh.is_active AND {row}.valid_to IS NULL",
            "household": f"{row}.household_id", "cadre": f"{row}.cadre_id", "area": "hh.area_id",
            "category": "COALESCE(hh.category, '')", "month": month.format(row="hh")}


def _household_statements(month: str, dialect: str) -> tuple[str, str]:
    """(on insert, on update) cadre statements of the households trigger."""
    bucket, moved = V._changes(month, dialect)
    new, old = _household_src("NEW", month), _household_src("OLD", month)
    insert = _cadre(new, "", "NEW.is_active", "NEW.is_active")
    update = (_cadre(old, "-", f"OLD.is_active AND (NOT NEW.is_active OR {moved})",
                     f"OLD.is_active AND (NOT NEW.is_active OR {bucket})")
              + _cadre(new, "", f"NEW.is_active AND (NOT OLD.is_active OR {moved})",
                       f"NEW.is_active AND (NOT OLD.is_active OR {bucket})"))
    return insert, update


ASSIGNMENT_CHANGED = ("OLD.household_id IS NOT NEW.household_id OR OLD.cadre_id IS NOT NEW.cadre_id "
                      "OR (OLD.valid_to IS NULL) <> (NEW.valid_to IS NULL)")


def sqlite_triggers() -> list[str]:
    month = V.SQLITE_MONTH
    insert, update = _household_statements(month, "sqlite")
    village_insert, village_update = V.sqlite_triggers()
    add = _cadre(_assignment_src("NEW", month), "", "1", "1")
    remove = _cadre(_assignment_src("OLD", month), "-", "1", "1")
    return [
        village_insert[:-len(" END")] + insert + " END",
        village_update[:-len(" END")] + update + " END",
        f"CREATE TRIGGER coverage_assignments_insert AFTER INSERT ON assignments WHEN NEW.valid_to IS NULL "
        f"BEGIN {add} END",
        f"CREATE TRIGGER coverage_assignments_update AFTER UPDATE OF household_id, cadre_id, valid_to "
        f"ON assignments WHEN {ASSIGNMENT_CHANGED} BEGIN {remove} {add} END",
        f"CREATE TRIGGER coverage_assignments_delete AFTER DELETE ON assignments WHEN OLD.valid_to IS NULL "
        f"BEGIN {remove} END",
    ]


def pg_functions() -> list[str]:
    month = V.PG_MONTH
    insert, update = _household_statements(month, "pg")
    village = V.pg_function().replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    village = village.replace("  ELSE\n", f"    {insert}\n  ELSE\n", 1).replace("  END IF;", f"    {update}\n  END IF;", 1)
    changed = ASSIGNMENT_CHANGED.replace("IS NOT", "IS DISTINCT FROM")
    add = _cadre(_assignment_src("NEW", month), "", "TRUE", "TRUE")
    remove = _cadre(_assignment_src("OLD", month), "-", "TRUE", "TRUE")
    assignments = f"""
CREATE FUNCTION coverage_assignments_upkeep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {add}
  ELSIF TG_OP = 'DELETE' THEN
    {remove}
  ELSIF {changed} THEN
    {remove}
    {add}
  END IF;
  RETURN NULL;
END $$"""
    return [village, assignments]


def upgrade():
    op.create_table(
        'coverage_cadre_keys',
        sa.Column('period_key', sa.Integer(), nullable=False),
        sa.Column('cadre_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('visited', sa.Integer(), nullable=False),
        sa.Column('flagged', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('period_key', 'cadre_id', 'area_id'),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'coverage_cadre_households',
        sa.Column('cadre_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('last_month', sa.Integer(), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('cadre_id', 'area_id', 'category', 'last_month'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_coverage_cadre_households_recent', 'coverage_cadre_households',
                    ['category', 'last_month', 'area_id', 'cadre_id', 'households'])
    op.create_table(
        'coverage_cadre_sizes',
        sa.Column('cadre_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('cadre_id', 'area_id'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_assignments_valid_from', 'assignments', ['valid_from'])
    if op.get_bind().dialect.name == "postgresql":
        for statement in pg_functions():
            op.execute(statement)
        op.execute("CREATE TRIGGER coverage_assignments_upkeep AFTER INSERT OR DELETE OR UPDATE OF household_id, "
                   "cadre_id, valid_to ON assignments FOR EACH ROW EXECUTE FUNCTION coverage_assignments_upkeep()")
    else:
        op.execute("DROP TRIGGER coverage_households_insert")
        op.execute("DROP TRIGGER coverage_households_update")
        for statement in sqlite_triggers():
            op.execute(statement)
    from flask import has_app_context
    if has_app_context():  # filled from what is stored (flask db upgrade runs inside the app)
        from server.coverage.cadre_aggregates import rebuild_cadre_aggregates
        rebuild_cadre_aggregates(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER coverage_assignments_upkeep ON assignments")
        op.execute("DROP FUNCTION coverage_assignments_upkeep()")
        op.execute(V.pg_function().replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    else:
        for name in ("coverage_assignments_insert", "coverage_assignments_update", "coverage_assignments_delete",
                     "coverage_households_insert", "coverage_households_update"):
            op.execute(f"DROP TRIGGER {name}")
        for statement in V.sqlite_triggers():
            op.execute(statement)
    op.drop_index('ix_assignments_valid_from', table_name='assignments')
    op.drop_table('coverage_cadre_sizes')
    op.drop_index('ix_coverage_cadre_households_recent', table_name='coverage_cadre_households')
    op.drop_table('coverage_cadre_households')
    op.drop_table('coverage_cadre_keys')
