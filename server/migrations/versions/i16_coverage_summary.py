"""The coverage summary: visits per household, local month and visitor (coverage_months), filled from
the submissions; a household's visits indexed by (household, time) only, as coverage reads the summary

Revision ID: i16
Revises: 0005_coverage_probe
"""
import sqlalchemy as sa
from alembic import op

revision = 'i16'
down_revision = '0005_coverage_probe'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coverage_months',
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('submitter_id', sa.Integer(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('counted_days', sa.Integer(), nullable=False),
        sa.Column('flagged', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['households.id']),
        sa.PrimaryKeyConstraint('household_id', 'month', 'submitter_id'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_coverage_months_month', 'coverage_months',
                    ['month', 'household_id', 'submitter_id', 'counted', 'flagged'])
    op.create_index('ix_submissions_household', 'submissions', ['household_id', 'captured_at'])
    op.drop_index('ix_submissions_household_visits', table_name='submissions')
    from flask import has_app_context
    if has_app_context():  # filled from what is stored (flask db upgrade runs inside the app)
        from server.coverage.summary import rebuild_summary
        rebuild_summary(op.get_bind())


def downgrade():
    op.create_index('ix_submissions_household_visits', 'submissions',
                    ['household_id', 'captured_at', 'kind', 'is_current', 'review_state', 'geo_status',
                     'submitter_id'])
    op.drop_index('ix_submissions_household', table_name='submissions')
    op.drop_index('ix_coverage_months_month', table_name='coverage_months')
    op.drop_table('coverage_months')
