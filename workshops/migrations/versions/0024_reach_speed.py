"""reach speed: the kept reach rows by workshop, by when it ends, and by the person with
what the dashboard counts of them

Revision ID: 0024_reach_speed
Revises: 0023_built_documents
Create Date: 2026-12-06 16:30:00.000000

Three indexes on `reach_fact` (`workshops.reach.indexes`), no data changes:
- by workshop and by when it ends: the rows of the few workshops not over yet, found
  without reading the period's;
- by the person (home neighbourhood, age band, gender), holding every column the dashboard's
  cube by the person reads: SQLite reads the cube from it in order, with no sort and no
  look-up of the rows.
And one on `workshop_session` (workshop_id, ends_at): the sessions held by each workshop,
counted from the index alone. A downgrade drops them.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024_reach_speed'
down_revision = '0023_built_documents'
branch_labels = None
depends_on = None

# A copy of workshops.reach.indexes.FACTS_BY_PERSON_COLUMNS as it is at this revision.
BY_PERSON = ['home_neighbourhood_id', 'age_band', 'gender', 'home_district_id', 'began_at',
             'ends_at', 'status', 'present_marks', 'marks', 'sessions', 'prev_registered',
             'prev_attended', 'first_present_began_at', 'workshop_id']


def upgrade():
    op.create_index('ix_workshop_session_held', 'workshop_session', ['workshop_id', 'ends_at'])
    op.create_index('ix_reach_fact_workshop_id', 'reach_fact', ['workshop_id'])
    op.create_index('ix_reach_fact_ends_at', 'reach_fact', ['ends_at'])
    op.create_index('ix_reach_fact_by_person', 'reach_fact', BY_PERSON)


def downgrade():
    op.drop_index('ix_reach_fact_by_person', table_name='reach_fact')
    op.drop_index('ix_reach_fact_ends_at', table_name='reach_fact')
    op.drop_index('ix_reach_fact_workshop_id', table_name='reach_fact')
    op.drop_index('ix_workshop_session_held', table_name='workshop_session')
