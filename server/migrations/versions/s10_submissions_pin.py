"""ix_submissions_pin (submitter_id, lat, lon): the truthfulness checks' look-up of a cadre's visits at
the very coordinates of a new one (checks._around, part 'p') was a scan of every record the cadre had
ever sent, row by row from the table, on each submission and JSON batch; it is now an index seek, and
the cost of a submission no longer grows with its cadre's history

Revision ID: s10_submissions_pin
Revises: s9_upkeep_guards
"""
from alembic import op

revision = 's10_submissions_pin'
down_revision = 's9_upkeep_guards'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_submissions_pin", "submissions", ["submitter_id", "lat", "lon"])


def downgrade():
    op.drop_index("ix_submissions_pin", table_name="submissions")
