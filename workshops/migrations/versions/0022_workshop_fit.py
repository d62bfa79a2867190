"""workshop fit and registration references: what to bring, and a short reference per place

Revision ID: 0022_workshop_fit
Revises: 0021_voice
Create Date: 2026-12-06 13:15:00.000000

`workshop.bring_texts` holds "what to bring" per language ({"ca": "…"}), for the workshop
page's "Is it for me?" box; existing workshops get an empty one. `registration.reference`
is the short reference a resident quotes on the phone or at the door ("K7PM-4QXD"): every
existing registration gets a random one, so nothing is lost and each stays unique.
"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_workshop_fit'
down_revision = '0021_voice'
branch_labels = None
depends_on = None

# A copy of workshops.registrations.models.REFERENCE_ALPHABET as it is at this revision.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(taken):
    while True:
        letters = "".join(secrets.choice(ALPHABET) for _ in range(8))
        reference = f"{letters[:4]}-{letters[4:]}"
        if reference not in taken:
            taken.add(reference)
            return reference


def upgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bring_texts', sa.JSON(), nullable=True))
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=9), nullable=True))

    connection = op.get_bind()
    workshop = sa.table('workshop', sa.column('id', sa.Integer()),
                        sa.column('bring_texts', sa.JSON()))
    connection.execute(workshop.update().values(bring_texts={}))
    registration = sa.table('registration', sa.column('id', sa.Integer()),
                            sa.column('reference', sa.String()))
    taken = set()
    for registration_id in connection.execute(sa.select(registration.c.id)).scalars().all():
        connection.execute(registration.update().where(registration.c.id == registration_id)
                           .values(reference=_reference(taken)))

    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.alter_column('bring_texts', existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('reference', existing_type=sa.String(length=9), nullable=False)
        batch_op.create_unique_constraint('uq_registration_reference', ['reference'])


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint('uq_registration_reference', type_='unique')
        batch_op.drop_column('reference')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('bring_texts')
