"""ix_households_category_last ends with the household id, so that the per-cadre report's look-up of
the households last counted around an overdue cut-off reads the index alone on PostgreSQL (SQLite's
indexes hold the rowid already)

Revision ID: s6_category_last_id
Revises: s5_map_epochs
"""
from alembic import op

revision = 's6_category_last_id'
down_revision = 's5_map_epochs'
branch_labels = None
depends_on = None

OLD = ("category", "last_counted_visit_at", "area_id", "is_active")


def upgrade():
    op.drop_index("ix_households_category_last", table_name="households")
    op.create_index("ix_households_category_last", "households", [*OLD, "id"])


def downgrade():
    op.drop_index("ix_households_category_last", table_name="households")
    op.create_index("ix_households_category_last", "households", list(OLD))
