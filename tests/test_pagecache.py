"""Public pages are cached for anonymous visitors, and never show stale catalogue data."""

from sqlalchemy import event

from tests.factories import make_workshop
from workshops.accounts.models import Role
from workshops.catalogue.version import catalogue_version
from workshops.extensions import db


def queries_during(app, client, url):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(*args):
        if not args[2].startswith("BEGIN"):
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, statements


def test_a_repeated_anonymous_request_costs_one_query(app, client, app_context, monkeypatch):
    # Both requests in the same minute, whenever the test runs.
    monkeypatch.setattr("workshops.pagecache.time", lambda: 1_800_000_000.0)
    make_workshop(titles={"ca": "Alpha", "es": "", "en": ""})
    first, cold = queries_during(app, client, "/workshops")
    second, warm = queries_during(app, client, "/workshops")
    assert first.data == second.data
    assert len(cold) > 3 and len(warm) == 1


def test_any_catalogue_change_shows_at_once(client, app_context):
    workshop = make_workshop(titles={"ca": "Alpha", "es": "", "en": ""}, capacity=10)
    assert "Queden 10 places" in client.get("/workshops").get_data(as_text=True)
    workshop.seats_taken = 4
    workshop.title_texts["ca"] = "Beta"
    db.session.commit()
    html = client.get("/workshops").get_data(as_text=True)
    assert ">Beta<" in html and "Queden 6 places" in html


def test_a_rolled_back_change_does_not_bump_the_version(app_context):
    workshop = make_workshop()
    before = catalogue_version()
    workshop.title_texts["ca"] = "Never saved"
    db.session.flush()
    db.session.rollback()
    assert catalogue_version() == before
    workshop.title_texts["ca"] = "Saved"
    db.session.commit()
    assert catalogue_version() == before + 1


def test_each_language_is_cached_apart(client, app_context):
    make_workshop()
    assert '<html lang="es">' in client.get("/workshops?lang=es").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/workshops?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/workshops").get_data(as_text=True)


def test_signed_in_staff_always_get_a_fresh_page(client, auth, app_context):
    make_workshop()
    client.get("/")
    auth.login_as(Role.ORGANISER)
    assert ">Surt</button>" in client.get("/").get_data(as_text=True)


def test_a_flash_message_is_not_cached_for_others(app, client, auth, app_context):
    auth.login_as(Role.ORGANISER)
    auth.logout()  # flashes "You have signed out" and redirects home
    with_flash = client.get("/").get_data(as_text=True)
    assert "Heu sortit." in with_flash
    other = app.test_client()
    assert "Heu sortit." not in other.get("/").get_data(as_text=True)
