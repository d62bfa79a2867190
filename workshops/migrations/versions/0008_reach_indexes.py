"""indexes for the reach figures: marks by registration, workshops by start

Revision ID: 0008_reach_indexes
Revises: 0007_boundaries
Create Date: 2026-11-27 03:38:37.842913

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_reach_indexes'
down_revision = '0007_boundaries'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_registration_present',
                              ['registration_id', 'present'], unique=False)

    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_first_session_starts_at',
                              ['first_session_starts_at'], unique=False)


def downgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_index('ix_workshop_first_session_starts_at')

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_registration_present')
