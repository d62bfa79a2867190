"""Venues get a latitude and a longitude (WGS84), for "near me" in the listing

Revision ID: 0019_venue_coordinates
Revises: 0018_need_indicators
Create Date: 2026-12-06 13:00:00.000000

Both nullable: existing venues keep working without them (they sort after the ones with
coordinates when residents ask for workshops near them).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_venue_coordinates'
down_revision = '0018_need_indicators'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
