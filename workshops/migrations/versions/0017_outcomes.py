"""Outcomes: follow-up questions and answers, participation certificates, and each topic's
follow-up question

Revision ID: 0017_outcomes
Revises: 0016_translated_fields
Create Date: 2026-12-06 13:00:00.000000

Two new tables and one new column, empty for every topic (the default question is the
portal's own translated text); no data moves. A downgrade drops them.
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0017_outcomes'
down_revision = '0016_translated_fields'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('chased_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.SmallInteger(), nullable=True),
    sa.Column('answered_at', workshops.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                            name=op.f('fk_follow_up_registration_id_registration'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_follow_up_registration_id'))
    )
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('issued_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                            name=op.f('fk_certificate_registration_id_registration'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_certificate_registration_id'))
    )
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_question_texts', sa.JSON(), nullable=True))
    topic = sa.table('topic', sa.column('follow_up_question_texts', sa.JSON()))
    op.execute(topic.update().values(follow_up_question_texts={}))
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.alter_column('follow_up_question_texts', existing_type=sa.JSON(),
                              nullable=False)


def downgrade():
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.drop_column('follow_up_question_texts')
    op.drop_table('certificate')
    op.drop_table('follow_up')
