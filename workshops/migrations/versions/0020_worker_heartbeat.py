"""worker_heartbeat: when each SMS worker last finished a round

Revision ID: 0020_worker_heartbeat
Revises: 0019_venue_coordinates
Create Date: 2026-12-06 13:00:00.000000

/readyz reports the newest heartbeat and fails when it is older than its limit. A new
table: nothing to move; a downgrade drops it (it holds nothing but times).
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0020_worker_heartbeat'
down_revision = '0019_venue_coordinates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_heartbeat',
    sa.Column('worker', sa.String(length=120), nullable=False),
    sa.Column('beat_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_heartbeat'))
    )
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeat_beat_at'), ['beat_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeat_beat_at'))
    op.drop_table('worker_heartbeat')
