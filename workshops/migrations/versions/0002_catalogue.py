"""catalogue: topics, workshops, sessions, catalogue version for page caching

Revision ID: 0002_catalogue
Revises: 0001_foundation
Create Date: 2026-11-27 01:07:11.455461

"""
from alembic import op
import sqlalchemy as sa

import workshops.db_types


# revision identifiers, used by Alembic.
revision = '0002_catalogue'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    catalogue_state = op.create_table('catalogue_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_state'))
    )
    # The one row whose version the page cache keys on.
    op.bulk_insert(catalogue_state, [{'id': 1, 'version': 0}])
    op.create_table('topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name_ca', sa.String(length=120), nullable=False),
    sa.Column('name_es', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic')),
    sa.UniqueConstraint('key', name=op.f('uq_topic_key'))
    )
    op.create_table('workshop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_code', sa.String(length=4), nullable=False),
    sa.Column('title_ca', sa.String(length=200), nullable=False),
    sa.Column('title_es', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('summary_ca', sa.String(length=500), nullable=False),
    sa.Column('summary_es', sa.String(length=500), nullable=False),
    sa.Column('summary_en', sa.String(length=500), nullable=False),
    sa.Column('description_ca', sa.Text(), nullable=False),
    sa.Column('description_es', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('beginner', 'intermediate', name='level', native_enum=False, length=20), nullable=False),
    sa.Column('instruction_language', sa.String(length=2), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=False),
    sa.Column('registration_opens_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('registration_closes_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('draft', 'published', 'cancelled', name='workshopstatus', native_enum=False, length=20), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('cancelled_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_session_starts_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_session_ends_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organiser_id'], ['staff_user.id'], name=op.f('fk_workshop_organiser_id_staff_user')),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_workshop_topic_id_topic')),
    sa.ForeignKeyConstraint(['venue_id'], ['venue.id'], name=op.f('fk_workshop_venue_id_venue')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop'))
    )
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_listing', ['status', 'last_session_ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_organiser_id'), ['organiser_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_public_code'), ['public_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_topic_id'), ['topic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_venue_id'), ['venue_id'], unique=False)

    op.create_table('workshop_audience',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Enum('older-people', 'women', 'young-people', 'newcomers', 'families', 'job-seekers', 'disabled-people', name='audience', native_enum=False, length=30), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_audience_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_audience')),
    sa.UniqueConstraint('workshop_id', 'audience', name=op.f('uq_workshop_audience_workshop_id'))
    )
    with op.batch_alter_table('workshop_audience', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_audience_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('workshop_facilitator',
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_workshop_facilitator_user_id_staff_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_facilitator_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', 'user_id', name=op.f('pk_workshop_facilitator'))
    )
    op.create_table('workshop_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_session_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_session'))
    )
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_session_start', ['workshop_id', 'starts_at'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    op.drop_table('catalogue_state')
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.drop_index('ix_workshop_session_start')

    op.drop_table('workshop_session')
    op.drop_table('workshop_facilitator')
    with op.batch_alter_table('workshop_audience', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_audience_workshop_id'))

    op.drop_table('workshop_audience')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_venue_id'))
        batch_op.drop_index(batch_op.f('ix_workshop_topic_id'))
        batch_op.drop_index(batch_op.f('ix_workshop_public_code'))
        batch_op.drop_index(batch_op.f('ix_workshop_organiser_id'))
        batch_op.drop_index('ix_workshop_listing')

    op.drop_table('workshop')
    op.drop_table('topic')
    # ### end Alembic commands ###
