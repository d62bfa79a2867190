"""Fixtures: every test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.

Each engine gets its own fresh database for the session, built by running the
migrations from empty; each test starts from empty tables.
"""

import contextvars
import os
import re
import uuid
from collections import Counter
from datetime import UTC, datetime

import flask_migrate
import pytest
import time_machine
from flask import has_app_context
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tests import factories
from workshops import create_app
from workshops.config import normalise_database_url
from workshops.extensions import db
from workshops.reach import facts as reach_facts
from workshops.registrations.models import Registration

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
# Rows the migrations create and the app relies on.
KEPT_TABLES = {"catalogue_state"}
ENGINES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    # Cheap hashes in tests; test_accounts checks the production parameters separately.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST_KIB": 1024,
    "ARGON2_PARALLELISM": 1,
    "PUBLIC_BASE_URL": "http://localhost",
    "CALENDAR_UID_DOMAIN": "localhost",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token",
    "TWILIO_FROM_NUMBER": "+34600000000",
}


# Where every test's clock starts (it then runs on). Nothing in the suite depends on the
# machine's date: a test builds its dates from this clock, or passes `now=` explicitly.
# A test that must read the machine's clock says so with @pytest.mark.real_clock: those
# whose server runs in another process (gunicorn) or whose browser keeps its own clock.
TEST_NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


# In CI the property-based tests draw the same examples every run: a red build is then a
# bug to read, never chance. Locally they explore anew each run.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Requests the property-based tests sent, per engine, and how many answered 5xx.
FUZZ_TALLY: Counter = Counter()


def pytest_report_header(config):
    return f"database engines: {', '.join(ENGINES)}"


def pytest_terminal_summary(terminalreporter):
    for engine in ENGINES:
        if FUZZ_TALLY[engine, "requests"]:
            terminalreporter.write_line(
                f"property-based requests on {engine}: {FUZZ_TALLY[engine, 'requests']}, "
                f"5xx: {FUZZ_TALLY[engine, '5xx']}")


@pytest.fixture(autouse=True)
def clock(request):
    """The app's one clock (`workshops.clock`), travelled to TEST_NOW for the test."""
    if request.node.get_closest_marker("real_clock") or request.node.get_closest_marker(
            "browser"):
        yield None
        return
    with time_machine.travel(TEST_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session", params=ENGINES)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        yield f"sqlite:///{path}"
        return
    server = make_url(normalise_database_url(TEST_DATABASE_URL))
    name = f"i4a_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_database_url(database_url, tmp_path_factory):
    """The session's database with every migration applied, from empty."""
    app = create_app(
        TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path_factory.mktemp("instance")),
    )
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


class RequestIsolatingClient(FlaskClient):
    """Runs each request outside the test's own app context.

    Flask reuses an already-pushed app context for requests, which would share `g`
    (and the database session) between the test body and every request it makes. The
    test's own transaction is ended around each request, so the request sees what the
    test wrote and the test then sees what the request wrote (SQLite snapshots are per
    transaction).
    """

    def open(self, *args, **kwargs):
        test_has_session = has_app_context()
        if test_has_session:
            db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            if test_has_session:
                db.session.commit()


@pytest.fixture
def app_config():
    """Settings a test module adds to TEST_CONFIG: override this fixture there."""
    return {}


@pytest.fixture
def app(migrated_database_url, tmp_path, app_config):
    app = create_app(
        TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": migrated_database_url} | app_config,
        instance_path=str(tmp_path / "instance"),
    )
    app.test_client_class = RequestIsolatingClient
    yield app
    with app.app_context():
        db.session.remove()
        # Whatever the test did, the reach facts kept up with it (see workshops.reach.facts).
        # Without registrations there are none (a foreign key), and nothing to compare.
        stale_facts = (reach_facts.stale_rows()
                       if db.session.scalar(select(Registration.id).limit(1)) else [])
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()
    assert not stale_facts, f"reach facts out of date after the test: {stale_facts}"


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def engine_name(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+", 1)[0]


@pytest.fixture
def seeded(app_context):
    """Barcelona's districts and neighbourhoods, loaded from the project's seed file."""
    from workshops.places.seed import seed_places

    seed_places()
    db.session.commit()


class RecordingSender:
    """The SMS worker's transport replaced by a list of what it sent: (to, text)."""

    def __init__(self):
        self.sent = []

    def send(self, to, body):
        self.sent.append((to, body))
        return f"log-{len(self.sent)}"


CSRF_INPUT = re.compile(r'name="((?:[\w-]+-)?csrf_token)"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF token"
    return match.group(2)


def csrf_fields_from(html: str) -> dict[str, str]:
    """Every CSRF field on the page, prefixed ones (w-csrf_token) included."""
    return dict(CSRF_INPUT.findall(html))


class Auth:
    """Signs in through the real login form, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=factories.DEFAULT_PASSWORD, next_url=""):
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={
                "email": email,
                "password": password,
                "next": next_url,
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            },
        )

    def login_as(self, *roles, email=None):
        """Create a staff user holding `roles`, sign them in, and return them."""
        email = email or f"{'-'.join(role.value for role in roles)}@example.org"
        user = factories.make_user(list(roles), email=email)
        response = self.login(email)
        assert response.status_code == 302, "sign-in failed"
        return user

    def logout(self):
        page = self.client.get("/staff")
        return self.client.post(
            "/logout", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}
        )


@pytest.fixture
def auth(client):
    return Auth(client)


def post_form(client, page_url, action_url=None, data=None, **fields):
    """GET a page, take its CSRF tokens, POST the fields to the form's action."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    payload = csrf_fields_from(page.get_data(as_text=True)) | (data or {}) | fields
    return client.post(action_url or page_url, data=payload)


@pytest.fixture
def live_server(app, seeded):
    """The app served over real HTTP on loopback, for the browser."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Chromium is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ca-ES")
    page = context.new_page()
    yield page
    context.close()
