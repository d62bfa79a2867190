"""staff sessions: one row per signed-in browser, instead of a login id per user

Revision ID: 0010_staff_sessions
Revises: 0009_reach_facts
Create Date: 2026-11-27 10:00:00.000000

Signing out now deletes the browser's row; signing out everywhere deletes all of the
user's rows, which replaces rotating `staff_user.login_id`. That column only identified
sessions, so dropping it loses nothing but the sessions open at upgrade time (staff sign
in again). A downgrade gives every user a fresh login id.
"""
import secrets

import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0010_staff_sessions'
down_revision = '0009_reach_facts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'],
                            name=op.f('fk_staff_session_user_id_staff_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_session_token_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_expires_at'), ['expires_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_staff_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_staff_user_login_id'), type_='unique')
        batch_op.drop_column('login_id')


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login_id', sa.String(length=64), nullable=True))

    connection = op.get_bind()
    staff_user = sa.table('staff_user', sa.column('id', sa.Integer()),
                          sa.column('login_id', sa.String(length=64)))
    for user_id in connection.scalars(sa.select(staff_user.c.id)).all():
        connection.execute(staff_user.update().where(staff_user.c.id == user_id)
                           .values(login_id=secrets.token_urlsafe(24)))

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('login_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_staff_user_login_id'), ['login_id'])

    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_session_expires_at'))

    op.drop_table('staff_session')
