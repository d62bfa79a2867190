"""manage links: personal links stored as hashes only, one per page or text that carried one

Revision ID: 0014_manage_links
Revises: 0013_resident_last_message
Create Date: 2026-12-06 10:00:00.000000

`registration.manage_token` held each registration's personal link (/r/<token>: whoever
has it can cancel the place) in plain text, so a copy of the database (a backup, an
export) held a working key to every registration. Links now live in `manage_link`, one row
per link, holding only the SHA-256 of the token (tokens are 128 random bits, so a plain
hash is enough); each page or text message that shows a link gets a new one, and every
link keeps working.

Upgrade loses nothing: each existing token's hash goes into `manage_link`, so the links
residents already have keep working. The texts kept in the SMS log (outbox bodies,
inbound replies) get the token cut out of their links, as the application stores them
from now on ("http://x.cat/r/AbC" → "http://x.cat/r/…"): the texts on residents' phones
hold the only copies.

Downgrade cannot give the plain-text column its tokens back (only hashes are stored): each
registration gets a fresh random token, so every link sent before the downgrade stops
working, and the cut texts in the SMS log stay cut.
"""
import hashlib
import re
import secrets

import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0014_manage_links'
down_revision = '0013_resident_last_message'
branch_labels = None
depends_on = None

BATCH = 1000

# A copy of workshops.sms.redaction as it is at this revision (a migration must not change
# when the application does): links are cut after their first path segment.
_URL = re.compile(r"(?P<base>\bhttps?://[^\s/?#]+)(?P<rest>[/?#]\S*)?", re.IGNORECASE)
_TRAILING = ".,;:!?)'\""
_HIDDEN = "…"


def _without_token(match):
    base, rest = match.group("base"), match.group("rest") or ""
    kept_end = rest.rstrip(_TRAILING)
    rest, trailing = kept_end, rest[len(kept_end):]
    if rest in ("", "/"):
        return base + rest + trailing
    segments = rest.split("/")
    if rest.startswith("/") and len(segments) > 2 and segments[1]:
        return f"{base}/{segments[1]}/{_HIDDEN}{trailing}"
    return f"{base}/{_HIDDEN}{trailing}"


def _without_link_tokens(text):
    return _URL.sub(_without_token, text or "")


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def upgrade():
    op.create_table('manage_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                            name=op.f('fk_manage_link_registration_id_registration'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manage_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_manage_link_token_hash'))
    )
    with op.batch_alter_table('manage_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manage_link_registration_id'), ['registration_id'],
                              unique=False)

    connection = op.get_bind()
    registration = sa.table('registration', sa.column('id', sa.Integer()),
                            sa.column('manage_token', sa.String(64)),
                            sa.column('created_at', workshops.db_types.UTCDateTime()))
    manage_link = sa.table('manage_link', sa.column('registration_id', sa.Integer()),
                           sa.column('token_hash', sa.String(64)),
                           sa.column('created_at', workshops.db_types.UTCDateTime()))
    rows = connection.execute(sa.select(registration.c.id, registration.c.manage_token,
                                        registration.c.created_at)
                              .order_by(registration.c.id)).all()
    links = [{"registration_id": id_, "token_hash": _token_hash(token), "created_at": created}
             for id_, token, created in rows]
    for start in range(0, len(links), BATCH):
        connection.execute(manage_link.insert(), links[start:start + BATCH])

    _cut_links(connection, 'outbox_message', 'body')
    _cut_links(connection, 'inbound_message', 'reply')

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_manage_token'), type_='unique')
        batch_op.drop_column('manage_token')


def _cut_links(connection, table_name, column_name):
    """Cut the token out of every link in `table_name.column_name`."""
    table = sa.table(table_name, sa.column('id', sa.Integer()),
                     sa.column(column_name, sa.Text()))
    column = table.c[column_name]
    rows = connection.execute(sa.select(table.c.id, column)
                              .where(column.like('%://%'))).all()
    for id_, text in rows:
        cut = _without_link_tokens(text)
        if cut != text:
            connection.execute(table.update().where(table.c.id == id_).values({column: cut}))


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manage_token', sa.String(length=64), nullable=True))

    # Only hashes were kept: every registration gets a new token (see the docstring).
    connection = op.get_bind()
    registration = sa.table('registration', sa.column('id', sa.Integer()),
                            sa.column('manage_token', sa.String(length=64)))
    for registration_id in connection.scalars(sa.select(registration.c.id)).all():
        connection.execute(registration.update().where(registration.c.id == registration_id)
                           .values(manage_token=secrets.token_urlsafe(16)))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('manage_token', existing_type=sa.String(length=64),
                              nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registration_manage_token'),
                                          ['manage_token'])

    with op.batch_alter_table('manage_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manage_link_registration_id'))

    op.drop_table('manage_link')
