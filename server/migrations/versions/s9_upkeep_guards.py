"""The households aggregates function (PostgreSQL) runs only the statements whose condition holds:
each of its dozen INSERT ... SELECT ... WHERE <condition> statements is now inside IF <condition>,
so a household whose last counted visit moves to a new month runs the four that change something
(its village's and its cadre's month buckets) instead of starting all twelve. Same statements, same
order, same conditions (migrations s2_h16b_aggregates and s3_h2_cadre_aggregates).

Revision ID: s9_upkeep_guards
Revises: s8_map_epoch_once
"""
import re

from alembic import op

from server.migrations.earlier import load

revision = 's9_upkeep_guards'
down_revision = 's8_map_epoch_once'
branch_labels = None
depends_on = None


V = load("s2_h16b_coverage_aggregates")
C = load("s3_h2_cadre_aggregates")


def _if(condition: str, statements: str) -> str:
    return f"\n    IF {condition} THEN{statements}\n    END IF;"


def _cadre(src: dict, sign: str, size_where: str, bucket_where: str) -> str:
    """C._cadre's three statements (sizes, month buckets, period keys), each behind its own IF."""
    sizes, buckets, keys = [s.rstrip(";") + ";" for s in re.split(r";\s*\n", C._cadre(src, sign, "TRUE", "TRUE").strip())
                            if s.strip()]
    return _if(size_where, "\n    " + sizes) + _if(bucket_where, "\n    " + buckets) + _if(size_where, "\n    " + keys)


def function() -> str:
    month = V.PG_MONTH
    bucket, moved = V._changes(month, "pg")
    new, old = C._household_src("NEW", month), C._household_src("OLD", month)
    old_bucket = f"OLD.is_active AND (NOT NEW.is_active OR {bucket})"
    new_bucket = f"NEW.is_active AND (NOT OLD.is_active OR {bucket})"
    old_moved = f"OLD.is_active AND (NOT NEW.is_active OR {moved})"
    new_moved = f"NEW.is_active AND (NOT OLD.is_active OR {moved})"
    on_insert = (_if("NEW.is_active", V._bucket("NEW", "", month, "TRUE") + V._size("NEW", "", "TRUE")
                     + V._move_keys("NEW", "", "TRUE")) + _cadre(new, "", "NEW.is_active", "NEW.is_active"))
    on_update = (_if(old_bucket, V._bucket("OLD", "-", month, "TRUE")) + _if(new_bucket, V._bucket("NEW", "", month, "TRUE"))
                 + _if(old_moved, V._size("OLD", "-", "TRUE")) + _if(new_moved, V._size("NEW", "", "TRUE"))
                 + _if(old_moved, V._move_keys("OLD", "-", "TRUE")) + _if(new_moved, V._move_keys("NEW", "", "TRUE"))
                 + _cadre(old, "-", old_moved, old_bucket) + _cadre(new, "", new_moved, new_bucket))
    return f"""
CREATE OR REPLACE FUNCTION coverage_households_upkeep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN{on_insert}
  ELSE{on_update}
  END IF;
  RETURN NULL;
END $$"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(function())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(C.pg_functions()[0])  # s3_h2's function, conditions in the WHERE clauses
