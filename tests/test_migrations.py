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


def test_upgrading_keeps_old_links_working_and_cuts_them_out_of_the_stored_texts(
        app_context, client):
    """Before 0014 the token was stored in the registration and in the texts that carried
    it; after, only its hash is, and the link on the resident's phone still works."""
    from sqlalchemy import text

    from tests.factories import make_workshop, register
    from tests.test_privacy import scan
    from workshops.registrations.services import registration_by_token

    workshop = make_workshop()
    registration_id = register(workshop, "612345678").id  # her confirmation is queued
    db.session.commit()
    db.session.remove()
    downgrade(revision="0013_resident_last_message")
    old_token = db.session.scalar(text("SELECT manage_token FROM registration"))
    sent = f"Internet 4all: plaça confirmada: Taller, dl. 1/12 10:00. http://localhost/r/{old_token}"
    db.session.execute(text("UPDATE outbox_message SET body = :body, status = 'sent'"),
                       {"body": sent})
    db.session.execute(text(
        "INSERT INTO inbound_message (message_sid, from_phone, body, received_at, action, "
        "reply) VALUES (:sid, '+34612345678', 'ALTA 123', '2026-11-27 10:00:00', "
        "'register', :reply)"), {"sid": "SM" + "0" * 32, "reply": sent})
    db.session.commit()
    db.session.remove()

    upgrade()

    assert registration_by_token(old_token).id == registration_id
    assert client.get(f"/r/{old_token}").status_code == 200
    assert scan([old_token]) == set()
    cut = sent.replace(old_token, "…")
    assert db.session.execute(text("SELECT body FROM outbox_message")).scalar_one() == cut
    assert db.session.execute(text("SELECT reply FROM inbound_message")).scalar_one() == cut


def test_downgrading_gives_every_registration_a_new_token(app_context):
    """Only hashes are kept, so no link survives a downgrade: each registration gets a new
    random token in the old column."""
    from sqlalchemy import text

    from tests.factories import make_workshop, manage_token, mobile, register

    workshop = make_workshop()
    links = [manage_token(register(workshop, mobile(n))) for n in range(3)]
    db.session.remove()
    downgrade(revision="0013_resident_last_message")
    tokens = db.session.scalars(text("SELECT manage_token FROM registration")).all()
    db.session.remove()
    upgrade()
    assert len(set(tokens)) == 3 and not set(tokens) & set(links)
    assert all(len(token) >= 22 for token in tokens)


def test_translated_texts_move_into_one_column_per_field_and_back(app_context):
    """0016 moves the texts of title_ca, title_es… into title_texts {"ca": …} (empty ones
    left out); a downgrade puts them back in their columns."""
    from sqlalchemy import select, text

    from tests.factories import make_topic, make_venue, make_workshop
    from workshops.catalogue.models import Topic, Workshop
    from workshops.places.models import Venue

    make_workshop(titles={"ca": "Mòbil", "es": "Móvil", "en": ""},
                  summaries={"ca": "Trucar.", "es": "Llamar.", "en": ""},
                  descriptions={"ca": "", "es": "", "en": "Small groups."},
                  topic=make_topic(name_texts={"ca": "Tema", "es": "Tema", "en": "Topic"}),
                  venue=make_venue(directions_texts={"ca": "Metro L4", "en": "Metro line 4"}))
    db.session.remove()

    downgrade(revision="0015_phone_codes")
    old = db.session.execute(text(
        "SELECT title_ca, title_es, title_en, summary_es, description_en FROM workshop")).one()
    assert tuple(old) == ("Mòbil", "Móvil", "", "Llamar.", "Small groups.")
    assert tuple(db.session.execute(text(
        "SELECT directions_ca, directions_es, directions_en FROM venue")).one()) == (
        "Metro L4", "", "Metro line 4")
    db.session.execute(text("UPDATE topic SET name_es = 'Teléfono'"))
    db.session.commit()
    db.session.remove()

    upgrade()
    workshop = db.session.scalars(select(Workshop)).one()
    assert workshop.title_texts == {"ca": "Mòbil", "es": "Móvil"}
    assert workshop.summary_texts == {"ca": "Trucar.", "es": "Llamar."}
    assert workshop.description_texts == {"en": "Small groups."}
    assert workshop.title("en").text == "Mòbil"
    assert db.session.scalars(select(Topic)).one().name_texts == {
        "ca": "Tema", "es": "Teléfono", "en": "Topic"}
    assert db.session.scalars(select(Venue)).one().directions("es").text == "Metro L4"
    assert "title_ca" not in {c["name"] for c in inspect(db.engine).get_columns("workshop")}


def test_upgrading_to_need_indicators_keeps_each_neighbourhoods_income_index(app_context):
    """0018 fills need_indicator with every neighbourhood's income index and its year."""
    from sqlalchemy import select

    from workshops.places.models import NeedIndicator, Neighbourhood
    from workshops.places.seed import seed_places

    seed_places()
    db.session.commit()
    db.session.remove()
    downgrade(revision="0016_translated_fields")
    assert "need_indicator" not in inspect(db.engine).get_table_names()
    upgrade()
    kept = {(row.neighbourhood_id, row.indicator): (row.value, row.year, row.source)
            for row in db.session.scalars(select(NeedIndicator))}
    neighbourhoods = db.session.scalars(select(Neighbourhood)).all()
    assert len(kept) == len(neighbourhoods) == 73
    for neighbourhood in neighbourhoods:
        value, year, source = kept[neighbourhood.id, "income_index"]
        assert (value, year) == (neighbourhood.income_index, neighbourhood.income_year)
        assert "Índex RFD" in source
def test_upgrading_gives_every_registration_its_own_reference_and_keeps_the_workshops(
        app_context):
    """0022 adds what to bring (empty for existing workshops) and a reference to every
    registration already there, each different."""
    from sqlalchemy import select, text

    from tests.factories import make_workshop, mobile, register
    from workshops.catalogue.models import Workshop
    from workshops.registrations.models import Registration

    workshop = make_workshop(titles={"ca": "Mòbil", "es": "", "en": ""})
    for n in range(1, 6):
        register(workshop, mobile(n))
    db.session.remove()

    downgrade(revision="0016_translated_fields")
    assert db.session.execute(text("SELECT count(*) FROM registration")).scalar() == 5
    db.session.remove()
    upgrade()
    references = db.session.scalars(select(Registration.reference)).all()
    assert len(set(references)) == 5 and all(len(ref) == 9 for ref in references)
    upgraded = db.session.scalars(select(Workshop)).one()
    assert upgraded.bring_texts == {} and upgraded.title_texts == {"ca": "Mòbil"}
