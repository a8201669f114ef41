"""satisfaction links; case event photo; scorecard weights

Revision ID: 0003_cases_satisfaction
Revises: 0002
Create Date: 2026-11-23 00:20:00

"""
from alembic import op
import sqlalchemy as sa
import server.models_base

revision = '0003_cases_satisfaction'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('satisfaction_links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('expires_at', server.models_base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', server.models_base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', server.models_base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('revoked_at', server.models_base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_satisfaction_links_area_id_areas')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_satisfaction_links_household_id_households')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_satisfaction_links_issued_by_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_satisfaction_links_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_satisfaction_links_token_hash'))
    )
    with op.batch_alter_table('satisfaction_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_satisfaction_links_area_id'), ['area_id'], unique=False)
        batch_op.create_index('ix_satisfaction_links_household_period', ['household_id', 'period'], unique=False)

    op.create_table('scorecard_weights',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('updated_at', server.models_base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_scorecard_weights_updated_by_id_users')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scorecard_weights'))
    )

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('photo')
    with op.batch_alter_table('satisfaction_links', schema=None) as batch_op:
        batch_op.drop_index('ix_satisfaction_links_household_period')
        batch_op.drop_index(batch_op.f('ix_satisfaction_links_area_id'))
    op.drop_table('satisfaction_links')
    op.drop_table('scorecard_weights')
