"""built documents: calendar feeds and open data built once and shared by every process

Revision ID: 0023_built_documents
Revises: 0022_workshop_fit
Create Date: 2026-12-06 16:00:00.000000

`built_document` holds the bodies of costly documents under the version of the data they
were built from (workshops.built_documents); `reach_data_change` gets a row with every
change to the data the open data shows (workshops.reach.open_data);
`ix_workshop_session_ends_at` finds when the last session ended. New
tables and an index: nothing to move; a downgrade drops them (they hold nothing that cannot
be built again).
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0023_built_documents'
down_revision = '0022_workshop_fit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('built_document',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('generation', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('built_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_built_document'))
    )
    with op.batch_alter_table('built_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_built_document_kind'), ['kind'], unique=False)
    op.create_table('reach_data_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('changed_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reach_data_change'))
    )
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_session_ends_at', ['ends_at'], unique=False)


def downgrade():
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.drop_index('ix_workshop_session_ends_at')
    op.drop_table('reach_data_change')
    with op.batch_alter_table('built_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_built_document_kind'))
    op.drop_table('built_document')
