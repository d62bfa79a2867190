"""registration's own details: the name typed for it, and its own SMS switch

Revision ID: 0011_registration_own_details
Revises: 0010_staff_sessions
Create Date: 2026-11-27 12:00:00.000000

Only a channel the resident proved changes what is stored about her (DESIGN, invariant 9).
A web form, a walk-in or staff typing a phone that already belongs to a resident now leave
her record alone; the name they typed, when it differs, stays with that registration
(`name_given`). A manage link's SMS switch now mutes that registration only
(`sms_muted`) instead of withdrawing her consent for everything.

Existing rows get the old meaning: no typed name of their own (they show the resident's)
and not muted.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_registration_own_details'
down_revision = '0010_staff_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_given', sa.String(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('sms_muted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('sms_muted')
        batch_op.drop_column('name_given')
