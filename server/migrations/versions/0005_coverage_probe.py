"""Covering indexes for coverage: households by area with category and last visit, a household's
visits by time with what decides whether they count, assignments in force by household

Revision ID: 0005_coverage_probe
Revises: 0004_coverage
"""
from alembic import op

revision = '0005_coverage_probe'
down_revision = '0004_coverage'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_households_area_coverage', 'households',
                    ['area_id', 'is_active', 'category', 'last_counted_visit_at'])
    op.drop_index('ix_households_area_id', table_name='households')
    op.create_index('ix_submissions_household_visits', 'submissions',
                    ['household_id', 'captured_at', 'kind', 'is_current', 'review_state', 'geo_status',
                     'submitter_id'])
    op.drop_index('ix_submissions_household', table_name='submissions')
    op.create_index('ix_assignments_household_cover', 'assignments',
                    ['household_id', 'valid_from', 'valid_to', 'cadre_id'])
    op.drop_index('ix_assignments_household', table_name='assignments')


def downgrade():
    op.create_index('ix_assignments_household', 'assignments', ['household_id', 'valid_from'])
    op.drop_index('ix_assignments_household_cover', table_name='assignments')
    op.create_index('ix_submissions_household', 'submissions', ['household_id', 'captured_at'])
    op.drop_index('ix_submissions_household_visits', table_name='submissions')
    op.create_index('ix_households_area_id', 'households', ['area_id', 'is_active'])
    op.drop_index('ix_households_area_coverage', table_name='households')
