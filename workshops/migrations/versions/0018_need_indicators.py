"""Need indicators per neighbourhood, each with its year and source

Revision ID: 0018_need_indicators
Revises: 0017_outcomes
Create Date: 2026-12-06 13:00:00.000000

Creates `need_indicator` and fills it with each neighbourhood's income index (and its
year) as the seed gave it, so the reach page shows it with its source from the start.
"""
import sqlalchemy as sa
from alembic import op

import workshops.db_types

# revision identifiers, used by Alembic.
revision = '0018_need_indicators'
down_revision = '0017_outcomes'
branch_labels = None
depends_on = None

INCOME_SOURCE = ("Ajuntament de Barcelona, Índex RFD (Barcelona = 100); barris: copy in "
                 "datanpress/pla_de_barris_bcn_2016 (S6)")


def upgrade():
    op.create_table('need_indicator',
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Numeric(precision=7, scale=1, asdecimal=False), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('updated_at', workshops.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhood.id'], name=op.f('fk_need_indicator_neighbourhood_id_neighbourhood'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('neighbourhood_id', 'indicator', name=op.f('pk_need_indicator'))
    )
    op.execute(sa.text(
        "INSERT INTO need_indicator (neighbourhood_id, indicator, value, year, source, "
        "updated_at) SELECT id, 'income_index', income_index, income_year, :source, "
        "CURRENT_TIMESTAMP FROM neighbourhood").bindparams(source=INCOME_SOURCE))


def downgrade():
    op.drop_table('need_indicator')
