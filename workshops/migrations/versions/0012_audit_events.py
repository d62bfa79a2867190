"""audit events: who viewed, downloaded, revealed or erased residents' personal data

Revision ID: 0012_audit_events
Revises: 0011_registration_own_details
Create Date: 2026-12-02 10:00:00.000000

A new table only: nothing existing changes, and a downgrade drops the log.
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0012_audit_events'
down_revision = '0011_registration_own_details'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.Enum('registrations-viewed', 'registrations-exported',
                                'phone-revealed', 'resident-found', 'resident-erased',
                                name='auditaction', native_enum=False, length=40),
              nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'],
                            name=op.f('fk_audit_event_actor_id_staff_user'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))

    op.drop_table('audit_event')
