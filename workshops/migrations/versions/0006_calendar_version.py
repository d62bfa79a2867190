"""catalogue_state.calendar_version and calendar_changed_at: ETag and Last-Modified of feeds

Revision ID: 0006_calendar_version
Revises: 0005_attendance_calendars
Create Date: 2026-11-27 03:55:00

"""
from alembic import op
import sqlalchemy as sa

import workshops.db_types


# revision identifiers, used by Alembic.
revision = '0006_calendar_version'
down_revision = '0005_attendance_calendars'
branch_labels = None
depends_on = None


def upgrade():
    # Existing installs start from the upgrade time: feeds built before it are simply refetched.
    with op.batch_alter_table('catalogue_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_version', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('calendar_changed_at',
                                      workshops.db_types.UTCDateTime(timezone=True),
                                      nullable=False, server_default=sa.text('CURRENT_TIMESTAMP')))


def downgrade():
    with op.batch_alter_table('catalogue_state', schema=None) as batch_op:
        batch_op.drop_column('calendar_changed_at')
        batch_op.drop_column('calendar_version')
