"""The summary's month index also holds counted_days, so that the months a from/to period cuts are
read from the index alone (coverage.summary.counted_rows)

Revision ID: s4_month_index_days
Revises: s3_h2_cadre_aggregates
"""
from alembic import op

revision = 's4_month_index_days'
down_revision = 's3_h2_cadre_aggregates'
branch_labels = None
depends_on = None

COLUMNS = ["month", "household_id", "submitter_id", "counted", "flagged"]


def upgrade():
    op.drop_index("ix_coverage_months_month", table_name="coverage_months")
    op.create_index("ix_coverage_months_month", "coverage_months", COLUMNS + ["counted_days"])


def downgrade():
    op.drop_index("ix_coverage_months_month", table_name="coverage_months")
    op.create_index("ix_coverage_months_month", "coverage_months", COLUMNS)
