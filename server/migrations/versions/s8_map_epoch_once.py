"""Map epochs move on once per transaction and area (PostgreSQL): an area already moved on by this
transaction is left as it is, and a summary or links statement moves the areas of its old and new
rows in one call (an upsert of a summary row ran three bumps of the same village: its insert
trigger, then its update trigger for the new rows and again for the old ones). Other workers only
see committed values, so one change per transaction tells them all they need.

Revision ID: s8_map_epoch_once
Revises: s7_households_trigger_when
"""

from alembic import op

from server.migrations.earlier import load

revision = 's8_map_epoch_once'
down_revision = 's7_households_trigger_when'
branch_labels = None
depends_on = None


S5 = load("s5_map_epochs")

BUMP = f"""
CREATE OR REPLACE FUNCTION map_epoch_bump(ids integer[]) RETURNS void AS $$
  INSERT INTO coverage_map_epochs (area_id, value)
  SELECT a, {S5.PG_SEED} FROM (SELECT DISTINCT a FROM unnest(ids) AS a WHERE a IS NOT NULL) AS d ORDER BY a
  ON CONFLICT (area_id) DO UPDATE SET value = coverage_map_epochs.value + 1
   WHERE coverage_map_epochs.xmin <> pg_current_xact_id()::xid
$$ LANGUAGE sql"""

BY_HOUSEHOLD = """
CREATE OR REPLACE FUNCTION map_epoch_by_household() RETURNS trigger AS $$
DECLARE ids integer[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY(SELECT h.area_id FROM new_rows n JOIN households h ON h.id = n.household_id);
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY(SELECT h.area_id FROM old_rows o JOIN households h ON h.id = o.household_id);
  ELSE
    ids := ARRAY(SELECT h.area_id FROM new_rows n JOIN households h ON h.id = n.household_id
                 UNION SELECT h.area_id FROM old_rows o JOIN households h ON h.id = o.household_id);
  END IF;
  IF cardinality(ids) > 0 THEN
    PERFORM map_epoch_bump(ids);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BUMP)
        op.execute(BY_HOUSEHOLD)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(S5.PG_BUMP.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
        op.execute(S5.PG_BY_HOUSEHOLD.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
