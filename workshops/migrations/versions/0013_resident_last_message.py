"""resident.last_message_at: when the resident's phone last texted the portal

Revision ID: 0013_resident_last_message
Revises: 0012_audit_events
Create Date: 2026-11-27 12:00:00.000000

Residents are anonymised after a period without activity, and a text message is activity;
but the SMS log itself is now deleted after a few months, so the time of the last message
is kept on the resident. Filled from the log already there (Twilio sends numbers in
E.164, the form residents' phones are stored in). A downgrade drops only this column.
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0013_resident_last_message'
down_revision = '0012_audit_events'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_message_at',
                                      workshops.db_types.UTCDateTime(timezone=True),
                                      nullable=True))

    resident = sa.table('resident', sa.column('phone', sa.String(16)),
                        sa.column('last_message_at', sa.DateTime(timezone=True)))
    inbound = sa.table('inbound_message', sa.column('from_phone', sa.String(32)),
                       sa.column('received_at', sa.DateTime(timezone=True)))
    op.execute(resident.update().where(resident.c.phone.is_not(None)).values(
        last_message_at=sa.select(sa.func.max(inbound.c.received_at))
        .where(inbound.c.from_phone == resident.c.phone).scalar_subquery()))


def downgrade():
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_column('last_message_at')
