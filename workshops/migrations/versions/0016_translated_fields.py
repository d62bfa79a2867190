"""Translated texts in one JSON column per field instead of one column per language

Revision ID: 0016_translated_fields
Revises: 0015_phone_codes
Create Date: 2026-12-06 11:00:00.000000

Workshop titles, summaries and descriptions, topic names and venue directions were
stored as `<field>_ca`, `<field>_es` and `<field>_en`; now each is one `<field>_texts`
column holding {"ca": "…", "es": "…"}, so a language added to the LANGUAGES setting needs
no new column. Empty texts are left out of the dict. A downgrade puts the Catalan, Spanish
and English texts back in their columns (texts in any other language are lost).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_translated_fields'
down_revision = '0015_phone_codes'
branch_labels = None
depends_on = None

OLD_LANGUAGES = ('ca', 'es', 'en')
# table → {field: type of its old per-language columns}
FIELDS = {
    'workshop': {'title': sa.String(length=200), 'summary': sa.String(length=500),
                 'description': sa.Text()},
    'topic': {'name': sa.String(length=120)},
    'venue': {'directions': sa.Text()},
}


def _old_columns(fields):
    return [f'{field}_{lang}' for field in fields for lang in OLD_LANGUAGES]


def upgrade():
    for table_name, fields in FIELDS.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for field in fields:
                batch_op.add_column(sa.Column(f'{field}_texts', sa.JSON(), nullable=True))

        table = sa.table(table_name, sa.column('id', sa.Integer()),
                         *(sa.column(name, sa.Text()) for name in _old_columns(fields)),
                         *(sa.column(f'{field}_texts', sa.JSON()) for field in fields))
        connection = op.get_bind()
        for row in connection.execute(sa.select(table)).mappings().all():
            connection.execute(table.update().where(table.c.id == row['id']).values({
                f'{field}_texts': {lang: row[f'{field}_{lang}'] for lang in OLD_LANGUAGES
                                   if (row[f'{field}_{lang}'] or '').strip()}
                for field in fields}))

        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for field in fields:
                batch_op.alter_column(f'{field}_texts', existing_type=sa.JSON(),
                                      nullable=False)
            for name in _old_columns(fields):
                batch_op.drop_column(name)


def downgrade():
    for table_name, fields in FIELDS.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for field, column_type in fields.items():
                for lang in OLD_LANGUAGES:
                    batch_op.add_column(sa.Column(f'{field}_{lang}', column_type,
                                                  nullable=True))

        table = sa.table(table_name, sa.column('id', sa.Integer()),
                         *(sa.column(name, sa.Text()) for name in _old_columns(fields)),
                         *(sa.column(f'{field}_texts', sa.JSON()) for field in fields))
        connection = op.get_bind()
        for row in connection.execute(sa.select(table)).mappings().all():
            connection.execute(table.update().where(table.c.id == row['id']).values({
                f'{field}_{lang}': (row[f'{field}_texts'] or {}).get(lang, '')
                for field in fields for lang in OLD_LANGUAGES}))

        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for field, column_type in fields.items():
                for lang in OLD_LANGUAGES:
                    batch_op.alter_column(f'{field}_{lang}', existing_type=column_type,
                                          nullable=False)
                batch_op.drop_column(f'{field}_texts')
