"""Fewer index entries per submission: ix_submissions_kind_captured (kind, captured_at) is dropped, a
column prefix of ix_submissions_visit_period (kind, captured_at, ...) that serves every query it
served (the review queue, lists and exports by kind, satisfaction answers); ix_submissions_rated_cadre
and ix_submissions_replaces hold only the rows with a rated cadre (satisfaction answers) and with a
replaced version (edits), which are the rows their queries (`= value`) look for: a visit no longer
adds a NULL entry to each.

Revision ID: s11_submissions_index_trim
Revises: s10_submissions_pin
"""
from alembic import op
import sqlalchemy as sa

revision = 's11_submissions_index_trim'
down_revision = 's10_submissions_pin'
branch_labels = None
depends_on = None


def _partial(name, columns, condition):
    op.drop_index(name, table_name="submissions")
    op.create_index(name, "submissions", columns, sqlite_where=sa.text(condition), postgresql_where=sa.text(condition))


def upgrade():
    op.drop_index("ix_submissions_kind_captured", table_name="submissions")
    _partial("ix_submissions_rated_cadre", ["rated_cadre_id", "captured_at"], "rated_cadre_id IS NOT NULL")
    _partial("ix_submissions_replaces", ["replaces_id"], "replaces_id IS NOT NULL")


def downgrade():
    for name, columns in (("ix_submissions_rated_cadre", ["rated_cadre_id", "captured_at"]),
                          ("ix_submissions_replaces", ["replaces_id"])):
        op.drop_index(name, table_name="submissions")
        op.create_index(name, "submissions", columns)
    op.create_index("ix_submissions_kind_captured", "submissions", ["kind", "captured_at"])
