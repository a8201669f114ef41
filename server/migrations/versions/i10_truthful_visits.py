"""Truthful visits: flag reasons, base geo status, clock offset and fingerprint on submissions;
confirmation of first-visit anchors on households

Revision ID: i10
Revises: i16
"""
import sqlalchemy as sa
from alembic import op

from server.models_base import Json, UtcDateTime

revision = 'i10'
down_revision = 'i16'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('base_geo_status', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('geo_flags', Json, nullable=True))
        batch.add_column(sa.Column('clock_offset_s', sa.Float(), nullable=True))
        batch.add_column(sa.Column('fingerprint', Json, nullable=True))
    with op.batch_alter_table('households') as batch:
        batch.add_column(sa.Column('anchor_confirmed_at', UtcDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('households') as batch:
        batch.drop_column('anchor_confirmed_at')
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('fingerprint')
        batch.drop_column('clock_offset_s')
        batch.drop_column('geo_flags')
        batch.drop_column('base_geo_status')
