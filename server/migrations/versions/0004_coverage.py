"""Covering index for coverage: a period's visits read from the index alone

Revision ID: 0004_coverage
Revises: 0003_cases_satisfaction
"""
from alembic import op

revision = '0004_coverage'
down_revision = '0003_cases_satisfaction'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_submissions_visit_period', 'submissions',
                    ['kind', 'captured_at', 'household_id', 'submitter_id', 'geo_status', 'review_state',
                     'is_current'])


def downgrade():
    op.drop_index('ix_submissions_visit_period', table_name='submissions')
