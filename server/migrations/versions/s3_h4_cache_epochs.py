"""Cache epochs: counters moved on by triggers on users, devices, forms and form_versions, so that
every worker's cache of device tokens and form versions knows when it is stale (server/epochs.py)

Revision ID: s3_h4_cache_epochs
Revises: s2_h16a_device_index
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = 's3_h4_cache_epochs'
down_revision = 's2_h16a_device_index'
branch_labels = None
depends_on = None

#: (trigger, epoch, table, events): devices' last_seen_at moves every few minutes and changes nothing cached
TRIGGERS = [
    ("cache_epoch_users", "auth", "users", ("UPDATE", "DELETE")),
    ("cache_epoch_devices", "auth", "devices", ("UPDATE OF revoked_at, token_hash, user_id", "DELETE")),
    ("cache_epoch_forms", "forms", "forms", ("INSERT", "UPDATE", "DELETE")),
    ("cache_epoch_form_versions", "forms", "form_versions", ("INSERT", "UPDATE", "DELETE")),
]


def upgrade():
    table = op.create_table(
        'cache_epochs',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_epochs')))
    op.bulk_insert(table, [{"name": n, "value": secrets.randbelow(2**62)} for n in ("auth", "forms")])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION cache_epoch_bump() RETURNS trigger AS $$ BEGIN "
                   "UPDATE cache_epochs SET value = value + 1 WHERE name = TG_ARGV[0]; RETURN NULL; "
                   "END $$ LANGUAGE plpgsql")
        for name, epoch, on, events in TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} AFTER {' OR '.join(events)} ON {on} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION cache_epoch_bump('{epoch}')")
    else:
        for name, epoch, on, events in TRIGGERS:
            for event in events:
                op.execute(f"CREATE TRIGGER {name}_{event.split()[0].lower()} AFTER {event} ON {on} BEGIN "
                           f"UPDATE cache_epochs SET value = value + 1 WHERE name = '{epoch}'; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _, on, _ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {on}")
        op.execute("DROP FUNCTION cache_epoch_bump()")
    else:
        for name, _, _, events in TRIGGERS:
            for event in events:
                op.execute(f"DROP TRIGGER {name}_{event.split()[0].lower()}")
    op.drop_table('cache_epochs')
