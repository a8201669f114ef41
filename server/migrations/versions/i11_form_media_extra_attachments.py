"""Form media files (served in manifests), attachments kept although the form does not name them,
draft test links and form audiences

Revision ID: i11
Revises: i10
"""
import sqlalchemy as sa
from alembic import op

from server.models_base import Json, UtcDateTime

revision = 'i11'
down_revision = 'i10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_media',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_version_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('md5', sa.String(length=32), nullable=False),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['form_version_id'], ['form_versions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('form_version_id', 'name', name='uq_form_media_version_name'),
    )
    op.create_index('ix_form_media_form_version_id', 'form_media', ['form_version_id'])
    with op.batch_alter_table('attachments') as batch:
        batch.add_column(sa.Column('is_extra', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('form_versions') as batch:
        batch.add_column(sa.Column('draft_token', sa.String(length=64), nullable=True))
        batch.create_unique_constraint('uq_form_versions_draft_token', ['draft_token'])
    with op.batch_alter_table('forms') as batch:
        batch.add_column(sa.Column('audience_roles', Json, nullable=True))
        batch.add_column(sa.Column('audience_area_ids', Json, nullable=True))


def downgrade():
    with op.batch_alter_table('forms') as batch:
        batch.drop_column('audience_area_ids')
        batch.drop_column('audience_roles')
    with op.batch_alter_table('form_versions') as batch:
        batch.drop_constraint('uq_form_versions_draft_token', type_='unique')
        batch.drop_column('draft_token')
    with op.batch_alter_table('attachments') as batch:
        batch.drop_column('is_extra')
    op.drop_index('ix_form_media_form_version_id', table_name='form_media')
    op.drop_table('form_media')
