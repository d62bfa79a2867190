"""listing index: the columns the public listing reads, so it reads the index alone

Revision ID: 0026_listing_index
Revises: 0024_reach_speed
Create Date: 2026-12-06 16:45:00.000000

`ix_workshop_listing` was (status, last_session_ends_at): finding upcoming workshops,
then reading each whole row (with its texts) to sort them by their next session and show
their seats. Now it also holds what the listing sorts by and filters on, so SQLite and
PostgreSQL answer the listing's queries from the index. An index only: no data changes.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026_listing_index'
down_revision = '0024_reach_speed'
branch_labels = None
depends_on = None

LISTING_COLUMNS = ['status', 'last_session_ends_at', 'first_session_starts_at', 'seats_taken',
                   'capacity', 'venue_id', 'topic_id', 'instruction_language',
                   'registration_opens_at', 'registration_closes_at']


def upgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_index('ix_workshop_listing')
        batch_op.create_index('ix_workshop_listing', LISTING_COLUMNS, unique=False)


def downgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_index('ix_workshop_listing')
        batch_op.create_index('ix_workshop_listing', ['status', 'last_session_ends_at'],
                              unique=False)
