"""Indexes for newest-first submission lists and edit chains

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_submissions_captured', 'submissions', ['captured_at', 'id'])
    op.create_index('ix_submissions_replaces', 'submissions', ['replaces_id'])


def downgrade():
    op.drop_index('ix_submissions_replaces', table_name='submissions')
    op.drop_index('ix_submissions_captured', table_name='submissions')
