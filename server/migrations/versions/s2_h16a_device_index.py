"""A device's submissions by capture time, for the truthfulness checks' neighbour look-up

The checks load the nearest records of the batch's cadre and of its device on each side of the
batch (server/submissions/checks._around). The cadre's side uses ix_submissions_submitter; without
this index the device's side (and before it, the OR of both) scanned every submission of the
whole deployment in the time window.

Revision ID: s2_h16a_device_index
Revises: s2_h16b_aggregates
"""
from alembic import op

revision = 's2_h16a_device_index'
down_revision = 's2_h16b_aggregates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_submissions_device', 'submissions', ['device_id', 'captured_at'])


def downgrade():
    op.drop_index('ix_submissions_device', table_name='submissions')
