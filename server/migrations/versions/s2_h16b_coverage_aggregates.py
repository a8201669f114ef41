"""Coverage aggregates per village: households visited and flagged visits per named period
(coverage_area_keys), active households per category and month of their last counted visit
(coverage_area_households); triggers on households keep them through every writer; households by
category and last counted visit (the overdue cut-off's month)

Revision ID: s2_h16b_aggregates
Revises: i15
"""
import sqlalchemy as sa
from alembic import op

revision = 's2_h16b_aggregates'
down_revision = 'i15'
branch_labels = None
depends_on = None

#: a household's summary rows as (period key, counted 0/1, flagged): each month once per key it
#: lies in (the month yyyymm, its quarter yyyy*100+20+q, its half yyyy*100+30+h, its year yyyy*100)
KEYS = """
    SELECT month AS k, CASE WHEN counted > 0 THEN 1 ELSE 0 END AS c, flagged AS f
      FROM coverage_months WHERE household_id = {h}
    UNION ALL SELECT (month / 100) * 100 + 20 + ((month % 100) - 1) / 3 + 1,
           CASE WHEN counted > 0 THEN 1 ELSE 0 END, flagged FROM coverage_months WHERE household_id = {h}
    UNION ALL SELECT (month / 100) * 100 + 30 + ((month % 100) - 1) / 6 + 1,
           CASE WHEN counted > 0 THEN 1 ELSE 0 END, flagged FROM coverage_months WHERE household_id = {h}
    UNION ALL SELECT (month / 100) * 100,
           CASE WHEN counted > 0 THEN 1 ELSE 0 END, flagged FROM coverage_months WHERE household_id = {h}"""


def _move_keys(row: str, sign: str, where: str) -> str:
    return f"""
    INSERT INTO coverage_area_keys (period_key, area_id, visited, flagged)
    SELECT k, {row}.area_id, {sign} max(c), {sign} sum(f) FROM ({KEYS.format(h=row + '.id')}) AS keys
     WHERE {where} GROUP BY k
    ON CONFLICT (period_key, area_id) DO UPDATE
       SET visited = coverage_area_keys.visited + excluded.visited,
           flagged = coverage_area_keys.flagged + excluded.flagged;"""


def _bucket(row: str, sign: str, month: str, where: str) -> str:
    return f"""
    INSERT INTO coverage_area_households (area_id, category, last_month, households)
    SELECT {row}.area_id, COALESCE({row}.category, ''), {month.format(row=row)}, {sign}1 WHERE {where}
    ON CONFLICT (area_id, category, last_month) DO UPDATE
       SET households = coverage_area_households.households + excluded.households;"""


SQLITE_MONTH = "COALESCE(CAST(strftime('%Y%m', {row}.last_counted_visit_at) AS INTEGER), 0)"
PG_MONTH = "COALESCE(to_char({row}.last_counted_visit_at AT TIME ZONE 'UTC', 'YYYYMM')::integer, 0)"


def _size(row: str, sign: str, where: str) -> str:
    return f"""
    INSERT INTO coverage_area_sizes (area_id, households) SELECT {row}.area_id, {sign}1 WHERE {where}
    ON CONFLICT (area_id) DO UPDATE SET households = coverage_area_sizes.households + excluded.households;"""


def _changes(month: str, truth: str) -> tuple[str, str]:
    bucket = (f"(NEW.area_id IS NOT OLD.area_id OR NEW.category IS NOT OLD.category "
              f"OR {month.format(row='NEW')} <> {month.format(row='OLD')})")
    moved = "(NEW.area_id IS NOT OLD.area_id)"
    if truth == "pg":
        bucket, moved = bucket.replace("IS NOT", "IS DISTINCT FROM"), moved.replace("IS NOT", "IS DISTINCT FROM")
    return bucket, moved


def sqlite_triggers() -> list[str]:
    bucket, moved = _changes(SQLITE_MONTH, "sqlite")
    return [
        "CREATE TRIGGER coverage_households_insert AFTER INSERT ON households WHEN NEW.is_active BEGIN"
        + _bucket("NEW", "", SQLITE_MONTH, "1") + _size("NEW", "", "1") + _move_keys("NEW", "", "1") + " END",
        "CREATE TRIGGER coverage_households_update AFTER UPDATE OF area_id, is_active, category, "
        "last_counted_visit_at ON households BEGIN"
        + _bucket("OLD", "-", SQLITE_MONTH, f"OLD.is_active AND (NOT NEW.is_active OR {bucket})")
        + _bucket("NEW", "", SQLITE_MONTH, f"NEW.is_active AND (NOT OLD.is_active OR {bucket})")
        + _size("OLD", "-", f"OLD.is_active AND (NOT NEW.is_active OR {moved})")
        + _size("NEW", "", f"NEW.is_active AND (NOT OLD.is_active OR {moved})")
        + _move_keys("OLD", "-", f"OLD.is_active AND (NOT NEW.is_active OR {moved})")
        + _move_keys("NEW", "", f"NEW.is_active AND (NOT OLD.is_active OR {moved})") + " END",
    ]


def pg_function() -> str:
    bucket, moved = _changes(PG_MONTH, "pg")

    def statements(sql: str) -> str:  # plpgsql: INSERT ... SELECT ... WHERE as is, NEW/OLD are records
        return sql
    return f"""
CREATE FUNCTION coverage_households_upkeep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {statements(_bucket("NEW", "", PG_MONTH, "NEW.is_active"))}
    {statements(_size("NEW", "", "NEW.is_active"))}
    {statements(_move_keys("NEW", "", "NEW.is_active"))}
  ELSE
    {statements(_bucket("OLD", "-", PG_MONTH, f"OLD.is_active AND (NOT NEW.is_active OR {bucket})"))}
    {statements(_bucket("NEW", "", PG_MONTH, f"NEW.is_active AND (NOT OLD.is_active OR {bucket})"))}
    {statements(_size("OLD", "-", f"OLD.is_active AND (NOT NEW.is_active OR {moved})"))}
    {statements(_size("NEW", "", f"NEW.is_active AND (NOT OLD.is_active OR {moved})"))}
    {statements(_move_keys("OLD", "-", f"OLD.is_active AND (NOT NEW.is_active OR {moved})"))}
    {statements(_move_keys("NEW", "", f"NEW.is_active AND (NOT OLD.is_active OR {moved})"))}
  END IF;
  RETURN NULL;
END $$"""


def upgrade():
    op.create_table(
        'coverage_area_keys',
        sa.Column('period_key', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('visited', sa.Integer(), nullable=False),
        sa.Column('flagged', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('period_key', 'area_id'),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'coverage_area_households',
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('last_month', sa.Integer(), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('area_id', 'category', 'last_month'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_coverage_area_households_recent', 'coverage_area_households',
                    ['category', 'last_month', 'area_id', 'households'])
    op.create_table(
        'coverage_area_sizes',
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('area_id'),
    )
    op.create_index('ix_households_category_last', 'households',
                    ['category', 'last_counted_visit_at', 'area_id', 'is_active'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(pg_function())
        op.execute("CREATE TRIGGER coverage_households_upkeep AFTER INSERT OR UPDATE OF area_id, is_active, "
                   "category, last_counted_visit_at ON households FOR EACH ROW "
                   "EXECUTE FUNCTION coverage_households_upkeep()")
    else:
        for statement in sqlite_triggers():
            op.execute(statement)
    from flask import has_app_context
    if has_app_context():  # filled from what is stored (flask db upgrade runs inside the app)
        from server.coverage.aggregates import rebuild_aggregates
        rebuild_aggregates(op.get_bind(), cadres=False)  # the per-cadre ones: s3_h2_cadre_aggregates


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER coverage_households_upkeep ON households")
        op.execute("DROP FUNCTION coverage_households_upkeep()")
    else:
        op.execute("DROP TRIGGER coverage_households_insert")
        op.execute("DROP TRIGGER coverage_households_update")
    op.drop_index('ix_households_category_last', table_name='households')
    op.drop_table('coverage_area_sizes')
    op.drop_index('ix_coverage_area_households_recent', table_name='coverage_area_households')
    op.drop_table('coverage_area_households')
    op.drop_table('coverage_area_keys')
