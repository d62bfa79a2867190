"""TEMPORARY placeholder until issue14-tokens merges (replaced by its migration)."""
revision = '0014_manage_links'
down_revision = '0013_resident_last_message'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
