"""Map epochs: a counter per area holding households, moved on by triggers whenever what the coverage
map shows of its households changes (the households, their summary rows, their links; the visit
policy moves every area on), so that
every worker's cache of map rows per area knows when it is stale (coverage.map_cache)

Revision ID: s5_map_epochs
Revises: s4_month_index_days
"""
import sqlalchemy as sa
from alembic import op

revision = 's5_map_epochs'
down_revision = 's4_month_index_days'
branch_labels = None
depends_on = None

#: what the map shows of a household (last_counted_visit_at also moves with its summary rows)
MAP_COLUMNS = ("area_id", "is_active", "lat", "lon", "code", "head_name", "category", "last_counted_visit_at")
#: a new counter starts at a random 62-bit value, so that no entry cached before it existed can match
SQLITE_SEED = "(random() & 4611686018427387903)"
PG_SEED = "floor(random() * 4611686018427387903)::bigint"


def _sqlite_bump(areas: str) -> str:
    """Move on the counters of the areas the select gives (ids), creating missing ones."""
    return (f"INSERT INTO coverage_map_epochs (area_id, value) SELECT area_id, {SQLITE_SEED} FROM ({areas}) "
            f"WHERE area_id IS NOT NULL ON CONFLICT (area_id) DO UPDATE SET value = value + 1;")


def sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in MAP_COLUMNS)
    of_household = "SELECT area_id FROM households WHERE id = {row}.household_id"
    statements = [
        f"CREATE TRIGGER map_epoch_areas_insert AFTER INSERT ON areas BEGIN "
        f"{_sqlite_bump('SELECT NEW.id AS area_id')} END",
        f"CREATE TRIGGER map_epoch_households_insert AFTER INSERT ON households BEGIN "
        f"{_sqlite_bump('SELECT NEW.area_id AS area_id')} END",
        f"CREATE TRIGGER map_epoch_households_update AFTER UPDATE OF {', '.join(MAP_COLUMNS)} ON households "
        f"WHEN {changed} BEGIN {_sqlite_bump('SELECT OLD.area_id AS area_id UNION SELECT NEW.area_id')} END",
        f"CREATE TRIGGER map_epoch_households_delete AFTER DELETE ON households BEGIN "
        f"{_sqlite_bump('SELECT OLD.area_id AS area_id')} END",
    ]
    for event in ("INSERT", "UPDATE", "DELETE"):  # a visit policy decides who is overdue everywhere
        statements.append(f"CREATE TRIGGER map_epoch_visit_policies_{event.lower()} AFTER {event} ON visit_policies "
                          f"BEGIN UPDATE coverage_map_epochs SET value = value + 1; END")
    for table in ("coverage_months", "assignments"):
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            areas = " UNION ".join(of_household.format(row=row) for row in rows)
            statements.append(f"CREATE TRIGGER map_epoch_{table}_{event.lower()} AFTER {event} ON {table} "
                              f"BEGIN {_sqlite_bump(areas)} END")
    return statements


#: PostgreSQL: map_epoch_bump(ids) moves them on in id order (one order for every writer)
PG_BUMP = f"""
CREATE FUNCTION map_epoch_bump(ids integer[]) RETURNS void AS $$
  INSERT INTO coverage_map_epochs (area_id, value)
  SELECT a, {PG_SEED} FROM (SELECT DISTINCT a FROM unnest(ids) AS a WHERE a IS NOT NULL) AS d ORDER BY a
  ON CONFLICT (area_id) DO UPDATE SET value = coverage_map_epochs.value + 1
$$ LANGUAGE sql"""

#: a new area has its counter from the start (an area with none is read afresh every time)
PG_AREAS = """
CREATE FUNCTION map_epoch_areas() RETURNS trigger AS $$ BEGIN
  PERFORM map_epoch_bump(ARRAY[NEW.id]);
  RETURN NULL;
END $$ LANGUAGE plpgsql"""

PG_HOUSEHOLDS = f"""
CREATE FUNCTION map_epoch_households() RETURNS trigger AS $$ BEGIN
  IF TG_OP = 'INSERT' THEN PERFORM map_epoch_bump(ARRAY[NEW.area_id]);
  ELSIF TG_OP = 'DELETE' THEN PERFORM map_epoch_bump(ARRAY[OLD.area_id]);
  ELSIF ({', '.join(f'OLD.{c}' for c in MAP_COLUMNS)}) IS DISTINCT FROM ({', '.join(f'NEW.{c}' for c in MAP_COLUMNS)})
    THEN PERFORM map_epoch_bump(ARRAY[OLD.area_id, NEW.area_id]);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql"""

#: links and summary rows: per statement, from its transition tables (a summary rebuild moves each
#: area on once, not once per row)
PG_BY_HOUSEHOLD = """
CREATE FUNCTION map_epoch_by_household() RETURNS trigger AS $$ BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM map_epoch_bump(ARRAY(SELECT DISTINCT h.area_id FROM new_rows n JOIN households h ON h.id = n.household_id));
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM map_epoch_bump(ARRAY(SELECT DISTINCT h.area_id FROM old_rows o JOIN households h ON h.id = o.household_id));
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql"""

PG_POLICIES = """
CREATE FUNCTION map_epoch_everywhere() RETURNS trigger AS $$ BEGIN
  UPDATE coverage_map_epochs SET value = value + 1;
  RETURN NULL;
END $$ LANGUAGE plpgsql"""

PG_REFERENCING = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                  "DELETE": "OLD TABLE AS old_rows"}


def upgrade():
    op.create_table(
        'coverage_map_epochs',
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('area_id', name=op.f('pk_coverage_map_epochs')))
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(f"INSERT INTO coverage_map_epochs (area_id, value) SELECT id, {PG_SEED if postgres else SQLITE_SEED} "
               f"FROM areas")
    if postgres:
        for function in (PG_BUMP, PG_AREAS, PG_HOUSEHOLDS, PG_BY_HOUSEHOLD, PG_POLICIES):
            op.execute(function)
        op.execute("CREATE TRIGGER map_epoch_visit_policies AFTER INSERT OR UPDATE OR DELETE ON visit_policies "
                   "FOR EACH STATEMENT EXECUTE FUNCTION map_epoch_everywhere()")
        op.execute("CREATE TRIGGER map_epoch_areas AFTER INSERT ON areas FOR EACH ROW "
                   "EXECUTE FUNCTION map_epoch_areas()")
        op.execute(f"CREATE TRIGGER map_epoch_households AFTER INSERT OR UPDATE OF {', '.join(MAP_COLUMNS)} "
                   f"OR DELETE ON households FOR EACH ROW EXECUTE FUNCTION map_epoch_households()")
        for table in ("coverage_months", "assignments"):
            for event, referencing in PG_REFERENCING.items():
                op.execute(f"CREATE TRIGGER map_epoch_{table}_{event.lower()} AFTER {event} ON {table} "
                           f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION map_epoch_by_household()")
    else:
        for statement in sqlite_triggers():
            op.execute(statement)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in ("coverage_months", "assignments"):
        for event in PG_REFERENCING:
            op.execute(f"DROP TRIGGER map_epoch_{table}_{event.lower()}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP TRIGGER map_epoch_households ON households")
        op.execute("DROP TRIGGER map_epoch_areas ON areas")
        op.execute("DROP TRIGGER map_epoch_visit_policies ON visit_policies")
        for function in ("map_epoch_everywhere()", "map_epoch_areas()", "map_epoch_households()",
                         "map_epoch_by_household()", "map_epoch_bump(integer[])"):
            op.execute(f"DROP FUNCTION {function}")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER map_epoch_households_{event}")
        op.execute("DROP TRIGGER map_epoch_areas_insert")
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER map_epoch_visit_policies_{event}")
    op.drop_table('coverage_map_epochs')
