"""phone_code: one-time codes that open "My workshops"; resident.introduced_at

Revision ID: 0015_phone_codes
Revises: 0014_manage_links
Create Date: 2026-12-06 10:00:00.000000

A resident proves her phone with a code sent by SMS (workshops.my). The phone and the code
are kept only as keyed hashes. `resident.introduced_at` records the text that tells a new
number who we are; residents who have already received texts count as introduced by the
first of them, so nobody already in touch gets the introduction out of the blue. A
downgrade drops the table (codes live ten minutes) and the column.
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0015_phone_codes'
down_revision = '0014_manage_links'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('phone_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_key', sa.String(length=64), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('requested_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'],
                            name=op.f('fk_phone_code_resident_id_resident'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_code'))
    )
    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_code_phone_key'), ['phone_key'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_phone_code_resident_id'), ['resident_id'],
                              unique=False)

    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('introduced_at',
                                      workshops.db_types.UTCDateTime(timezone=True),
                                      nullable=True))

    resident = sa.table('resident', sa.column('id', sa.Integer()),
                        sa.column('introduced_at', sa.DateTime(timezone=True)))
    outbox = sa.table('outbox_message', sa.column('resident_id', sa.Integer()),
                      sa.column('sent_at', sa.DateTime(timezone=True)))
    op.execute(resident.update().values(
        introduced_at=sa.select(sa.func.min(outbox.c.sent_at))
        .where(outbox.c.resident_id == resident.c.id).scalar_subquery()))


def downgrade():
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_column('introduced_at')

    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_code_resident_id'))
        batch_op.drop_index(batch_op.f('ix_phone_code_phone_key'))

    op.drop_table('phone_code')
