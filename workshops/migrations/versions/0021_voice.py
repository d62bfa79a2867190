"""The voice line: calls (once per CallSid), their answered steps, call-back requests

Revision ID: 0021_voice
Revises: 0020_worker_heartbeat
Create Date: 2026-12-06 13:00:00.000000

Registrations gain the channel `phone`; the channel column is a VARCHAR without a CHECK
constraint (workshops.db_types.str_enum), so that needs no change here.
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0021_voice'
down_revision = '0020_worker_heartbeat'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'voice_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_sid', sa.String(length=64), nullable=False),
        sa.Column('from_phone', sa.String(length=16), nullable=False),
        sa.Column('started_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('last_workshop_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['last_workshop_id'], ['workshop.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('call_sid'),
    )
    op.create_index('ix_voice_call_phone_time', 'voice_call', ['from_phone', 'started_at'])
    op.create_table(
        'voice_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=255), nullable=False),
        sa.Column('answered_at', workshops.db_types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('twiml', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['voice_call.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('call_id', 'step'),
    )
    op.create_table(
        'callback_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('requested_at', workshops.db_types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.Enum('open', 'taken', 'closed', name='callbackstatus',
                                    native_enum=False, length=20), nullable=False),
        sa.Column('taken_by_id', sa.Integer(), nullable=True),
        sa.Column('taken_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['taken_by_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_callback_request_status_time', 'callback_request',
                    ['status', 'requested_at'])


def downgrade():
    op.drop_index('ix_callback_request_status_time', table_name='callback_request')
    op.drop_table('callback_request')
    op.drop_table('voice_step')
    op.drop_index('ix_voice_call_phone_time', table_name='voice_call')
    op.drop_table('voice_call')
