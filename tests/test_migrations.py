from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from workshops.extensions import db


def test_migrations_match_the_models(app_context):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models changed without a migration: flask db migrate"


def test_migrations_go_down_to_empty_and_up_again(app_context):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert {"district", "neighbourhood", "venue", "staff_user"} <= set(
        inspect(db.engine).get_table_names())


def test_upgrading_keeps_existing_data(app_context):
    """Registrations made before the SMS migration survive it, with sensible defaults."""
    from sqlalchemy import text

    from tests.factories import make_workshop, register

    workshop = make_workshop()
    register(workshop, "612345678")
    db.session.commit()
    db.session.remove()
    downgrade(revision="0003_registrations")
    upgrade()
    row = db.session.execute(text(
        "SELECT r.phone, r.sms_opted_out, g.status FROM resident r "
        "JOIN registration g ON g.resident_id = r.id")).one()
    assert (row[0], bool(row[1]), row[2]) == ("+34612345678", False, "confirmed")
    message = db.session.execute(text("SELECT kind, body FROM outbox_message")).one()
    assert message == ("registration-confirmed", "")


def test_upgrading_to_reach_facts_fills_them_from_the_registrations_already_there(
        app_context):
    from sqlalchemy import func, select

    from tests.test_reach import build_world
    from workshops.reach.facts import ReachFact, stale_rows

    build_world()
    kept = db.session.scalar(select(func.count()).select_from(ReachFact))
    db.session.remove()
    downgrade(revision="0008_reach_indexes")
    assert "reach_fact" not in inspect(db.engine).get_table_names()
    upgrade()
    assert db.session.scalar(select(func.count()).select_from(ReachFact)) == kept > 0
    assert stale_rows() == []
