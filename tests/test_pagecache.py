"""Public pages are cached for anonymous visitors, and never show stale catalogue data."""

import re

from sqlalchemy import event, func, select

from tests.conftest import csrf_fields_from
from tests.factories import make_workshop
from workshops.accounts.models import Role
from workshops.catalogue.version import catalogue_version
from workshops.extensions import db
from workshops.pagecache import PageCache
from workshops.registrations.models import Registration


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


def test_a_repeated_anonymous_request_runs_no_query_but_the_version_read(
        app, client, app_context, monkeypatch):
    # Both requests in the same minute, whenever the test runs.
    monkeypatch.setattr("workshops.pagecache.time", lambda: 1_800_000_000.0)
    make_workshop(titles={"ca": "Alpha", "es": "", "en": ""})
    first, cold = queries_during(app, client, "/workshops")
    second, warm = queries_during(app, client, "/workshops")
    assert first.data == second.data
    # The version is read on a driver connection, below what SQLAlchemy's events see.
    assert len(cold) > 1 and warm == []


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


# The workshop page: kept with holes for what belongs to one visitor.

def submission_key_in(html: str) -> str:
    return re.search(r'name="submission_key"[^>]*value="([^"]+)"', html).group(1)


def test_two_visitors_of_a_kept_workshop_page_get_their_own_token_and_key_and_both_sign_up(
        app, app_context, seeded, monkeypatch):
    monkeypatch.setattr("workshops.pagecache.time", lambda: 1_800_000_000.0)
    workshop = make_workshop(capacity=5)
    first, second = app.test_client(), app.test_client()
    pages = [client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
             for client in (first, second)]
    tokens = [csrf_fields_from(html)["csrf_token"] for html in pages]
    keys = [submission_key_in(html) for html in pages]
    assert tokens[0] != tokens[1] and keys[0] != keys[1]
    assert not any("hole" in value for value in (*tokens, *keys))
    assert pages[0].replace(tokens[0], "").replace(keys[0], "") == (
        pages[1].replace(tokens[1], "").replace(keys[1], ""))
    for client, html, phone in zip((first, second), pages, ("612 34 56 78", "622 34 56 78"),
                                   strict=True):
        neighbourhood = re.search(r'<option value="(\d+)">',
                                  html.split('name="home_neighbourhood"')[1]).group(1)
        response = client.post(f"/workshops/{workshop.id}/register", data=csrf_fields_from(html)
                               | {"submission_key": submission_key_in(html), "name": "Maria",
                                  "phone": phone, "home_neighbourhood": neighbourhood})
        assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_a_kept_workshop_page_shows_a_sign_up_at_once(app, client, app_context, seeded,
                                                      monkeypatch):
    monkeypatch.setattr("workshops.pagecache.time", lambda: 1_800_000_000.0)
    workshop = make_workshop(capacity=10)
    assert "Queden 10 places" in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    workshop.seats_taken = 4
    db.session.commit()
    assert "Queden 6 places" in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)


def test_a_half_filled_sign_up_form_is_shown_only_to_her(app, app_context, seeded,
                                                         monkeypatch):
    monkeypatch.setattr("workshops.pagecache.time", lambda: 1_800_000_000.0)
    workshop = make_workshop(capacity=5)
    her, other = app.test_client(), app.test_client()
    html = her.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    refused = her.post(f"/workshops/{workshop.id}/register",
                       data=csrf_fields_from(html) | {"name": "Nuria Soler", "phone": "12"})
    assert refused.status_code == 422
    assert "Nuria Soler" in her.get(f"/workshops/{workshop.id}/register").get_data(
        as_text=True)
    assert "Nuria Soler" not in other.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "Nuria Soler" in her.get(f"/workshops/{workshop.id}/register").get_data(
        as_text=True)


def test_a_visitor_coming_back_to_a_workshop_page_runs_no_query_but_the_version_read(
        app, client, app_context, seeded, monkeypatch):
    monkeypatch.setattr("workshops.pagecache.time", lambda: 1_800_000_000.0)
    workshop = make_workshop(capacity=5)
    client.get(f"/workshops/{workshop.id}")
    again, statements = queries_during(app, client, f"/workshops/{workshop.id}")
    assert again.status_code == 200 and statements == []


def test_the_cache_keeps_at_most_its_bytes_dropping_the_least_recently_used():
    cache = PageCache(max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"5678")
    assert cache.get("a") == b"1234"  # now the most recently used
    cache.put("c", b"9012")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1234", None, b"9012")
    cache.put("a", b"12")
    assert cache.size == 6
