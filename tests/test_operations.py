"""Running in production: readiness, metrics, JSON logs without personal data, static files,
compression, backups, and several nodes on one database (deploy/, workshops/operations/)."""

import gzip
import io
import json
import logging
import re
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.conftest import TEST_CONFIG, Auth, RequestIsolatingClient, csrf_fields_from
from tests.factories import make_user, make_workshop, mobile, register, token_in
from tests.test_fuzz import FUZZ_SETTINGS, check, row_counts
from workshops import create_app
from workshops.config import PROJECT_ROOT
from workshops.extensions import db
from workshops.logs import JsonFormatter
from workshops.notifications.models import OutboxMessage, WorkerHeartbeat
from workshops.notifications.worker import beat, send_due
from workshops.operations.backups import BackupError, backup, restore
from workshops.registrations.models import Channel
from workshops.sms.senders import LogSender


@pytest.fixture
def workshop(app_context, seeded):
    return make_workshop(capacity=5, public_code="123")


def now():
    return datetime.now(UTC)


def readiness(client):
    response = client.get("/readyz")
    return response.status_code, response.get_json()


# Readiness and liveness

def test_readyz_is_ready_when_the_database_answers_a_worker_beat_and_nothing_is_late(
        client, app_context):
    beat("host:1", now=now())
    db.session.commit()
    status, body = readiness(client)
    assert status == 200
    assert body["ready"] is True and body["failing"] == [] and body["database"] == "ok"
    assert body["sms_worker_heartbeat_age_seconds"] < 5
    assert body["unsent_messages"] == 0 and body["oldest_unsent_message_age_seconds"] is None


def test_readyz_fails_when_no_worker_ever_beat_or_the_last_beat_is_too_old(client, app,
                                                                          app_context):
    status, body = readiness(client)
    assert status == 503 and body["failing"] == ["sms_worker_heartbeat"]
    assert body["sms_worker_heartbeat_age_seconds"] is None
    limit = app.config["READY_MAX_HEARTBEAT_AGE_SECONDS"]
    beat("host:1", now=now() - timedelta(seconds=limit + 5))
    db.session.commit()
    status, body = readiness(client)
    assert status == 503 and body["failing"] == ["sms_worker_heartbeat"]
    assert body["sms_worker_heartbeat_age_seconds"] > limit


def test_readyz_fails_when_a_due_message_waited_past_its_limit_but_not_for_one_not_yet_due(
        client, app, app_context, workshop):
    beat("host:1", now=now())
    registration = register(workshop, mobile(1))
    message = db.session.scalar(select(OutboxMessage))
    limit = app.config["READY_MAX_OUTBOX_AGE_SECONDS"]
    message.send_after = now() + timedelta(days=1)  # a reminder for tomorrow
    db.session.commit()
    assert readiness(client)[0] == 200
    message.send_after = now() - timedelta(seconds=limit + 60)
    db.session.commit()
    status, body = readiness(client)
    assert registration.id and status == 503 and body["failing"] == ["outbox_age"]
    assert body["unsent_messages"] == 1
    assert body["oldest_unsent_message_age_seconds"] > limit


@pytest.mark.parametrize("app_config", [{"READY_MAX_HEARTBEAT_AGE_SECONDS": 0}])
def test_a_limit_of_zero_turns_its_check_off(client, app_context):
    assert readiness(client)[0] == 200


def test_healthz_stays_a_liveness_answer_that_asks_nothing_of_the_database(app, client):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200 and response.data == b"ok" and statements == []


def test_the_worker_command_records_its_heartbeat_and_forgets_long_silent_workers(
        runner, app_context):
    beat("gone:1", now=now() - timedelta(days=2))
    db.session.commit()
    assert runner.invoke(args=["sms", "worker", "--once"]).exit_code == 0
    db.session.expire_all()
    workers = db.session.scalars(select(WorkerHeartbeat)).all()
    assert [w.worker.rsplit(":", 1)[0] != "gone" for w in workers] == [True]
    assert now() - workers[0].beat_at < timedelta(seconds=30)


# Metrics

def metric(client, line_start: str, **environ) -> float:
    body = client.get("/metrics", **environ).get_data(as_text=True)
    values = [float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
              if line.startswith(line_start)]
    return sum(values)


def test_metrics_answer_loopback_and_the_token_and_no_one_else(client, app):
    app.config["METRICS_TOKEN"] = "a-long-metrics-token"
    outside = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", **outside).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"},
                      **outside).status_code == 403
    allowed = client.get("/metrics", headers={"Authorization": "Bearer a-long-metrics-token"},
                         **outside)
    assert allowed.status_code == 200
    assert "workshops_outbox_unsent_messages" in allowed.get_data(as_text=True)


def test_metrics_behind_a_proxy_refuse_a_client_whose_request_nginx_forwarded(client, app):
    """With PROXY_FIX_HOPS=1 the address is the one nginx saw, not nginx's own loopback."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    forwarded = {"X-Forwarded-For": "198.51.100.4"}
    assert client.get("/metrics", headers=forwarded).status_code == 403


def test_metrics_count_requests_per_route_never_per_path(client, app_context):
    route = 'workshops_http_requests_total{method="GET",route="/r/<token>",status="404"}'
    before = metric(client, route)
    client.get("/r/AAAAAAAAAAAAAAAAAAAAAA")
    client.get("/r/BBBBBBBBBBBBBBBBBBBBBB")
    body = client.get("/metrics").get_data(as_text=True)
    assert metric(client, route) == before + 2
    assert "AAAAAAAA" not in body
    assert 'workshops_http_request_duration_seconds_count{method="GET",route="/r/<token>"}' \
        in body


def test_metrics_count_webhook_rejections(client, app_context):
    series = 'workshops_webhook_rejections_total{endpoint="sms.inbound",status="403"}'
    before = metric(client, series)
    assert client.post("/sms/inbound", data={"Body": "ALTA 1"}).status_code == 403
    assert metric(client, series) == before + 1


def test_metrics_report_outbox_depth_and_age_registrations_by_channel_and_sends(
        client, app_context, workshop):
    register(workshop, mobile(1))
    register(workshop, mobile(2), channel=Channel.SMS)
    message = db.session.scalar(select(OutboxMessage))
    message.send_after = now() - timedelta(minutes=3)
    db.session.commit()
    assert metric(client, "workshops_outbox_unsent_messages ") == 2
    assert metric(client, "workshops_outbox_oldest_unsent_age_seconds ") >= 180
    assert metric(client, 'workshops_registrations{channel="web"}') == 1
    assert metric(client, 'workshops_registrations{channel="sms"}') == 1
    sent_before = metric(client, 'workshops_sms_sends_total{result="sent"}')
    send_due(LogSender(), now=now())
    assert metric(client, 'workshops_sms_sends_total{result="sent"}') == sent_before + 2
    assert metric(client, "workshops_outbox_unsent_messages ") == 0


# Logs

@pytest.fixture
def json_log():
    """Every log line of the test, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def test_every_answer_carries_a_request_id_and_keeps_the_proxy_s_own(client):
    made = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-Id"] != made
    kept = client.get("/healthz", headers={"X-Request-Id": "5f0c1d2e3a4b5c6d"})
    assert kept.headers["X-Request-Id"] == "5f0c1d2e3a4b5c6d"
    forged = client.get("/healthz", headers={"X-Request-Id": "not an id; <script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-Id"])


def test_healthz_answers_before_the_app_with_no_log_line_session_or_metric(client, json_log):
    for method in (client.get, client.head):
        response = method("/healthz", headers={"X-Request-Id": "probe-0001"})
        assert response.status_code == 200 and response.headers["X-Request-Id"] == "probe-0001"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Set-Cookie" not in response.headers
    assert client.get("/healthz").data == b"ok"
    assert "/healthz" not in json_log.getvalue()
    assert metric(client, 'workshops_http_requests_total{method="GET",route="/healthz"') == 0


def test_log_lines_are_json_objects_with_the_request_id_and_the_route(client, json_log):
    response = client.get("/r/AAAAAAAAAAAAAAAAAAAAAA")
    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [entry for entry in entries if entry["logger"] == "workshops.access"]
    assert access[-1]["request_id"] == response.headers["X-Request-Id"]
    assert access[-1]["route"] == "/r/<token>" and access[-1]["status"] == 404
    assert "AAAAAAAA" not in json_log.getvalue()


class LoggedAndRecorded(LogSender):
    """The log backend, keeping what it was given: the texts as they left, links whole."""

    def __init__(self):
        self.sent = []

    def send(self, to, body):
        self.sent.append((to, body))
        return super().send(to, body)


def test_no_log_line_holds_a_phone_a_message_body_or_a_manage_token(
        client, app, app_context, workshop, json_log):
    from tests.test_registrations import signup_fields
    from tests.test_sms import text as text_message

    # A web sign-up, and her personal link opened.
    signed_up = client.post(f"/workshops/{workshop.id}/register",
                            data=signup_fields(client, workshop.id, phone="612 34 56 78"))
    token = signed_up.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/r/{token}").status_code == 200
    # An SMS in (a sign-up) and its reply; the texts out, with their personal links.
    status, reply = text_message(client, "ALTA 123", sender="+34699887766")
    assert status == 200 and reply
    sender = LoggedAndRecorded()
    assert send_due(sender, now=now()).sent == 1  # the SMS sign-up was answered in its reply
    # A database error whose SQL carries a phone.
    with pytest.raises(DBAPIError) as error:
        db.session.execute(text("SELECT * FROM no_table WHERE phone = :phone"),
                           {"phone": "+34612345678"})
    logging.getLogger("tests").error("a failed query", exc_info=error.value)
    db.session.rollback()

    log = json_log.getvalue()
    assert all(json.loads(line) for line in log.splitlines())
    links = [token_in(body) for _, body in sender.sent if "/r/" in body]
    assert links and "outbox message sent" in log and "a failed query" in log
    for secret in ["612345678", "612 34 56 78", "699887766", token, "ALTA 123", reply[:30],
                   *links, *[body[:30] for _, body in sender.sent]]:
        assert secret not in log, secret


# Static files and compression

def test_static_files_have_content_hashed_names_cached_for_a_year(client, app):
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="css/site.css")
    content = (Path(app.static_folder) / "css" / "site.css").read_bytes()
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", url)
    response = client.get(url)
    assert response.status_code == 200 and response.data == content
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.mimetype == "text/css"
    assert url in client.get("/").get_data(as_text=True)


def test_a_static_name_with_an_old_hash_gets_today_s_file_without_the_long_caching(client):
    response = client.get("/static/css/site.000000000000.css")
    assert response.status_code == 200 and b"{" in response.data
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/nothing.000000000000.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_pages_and_static_files_are_compressed_when_the_client_accepts_it(client, app_context,
                                                                         workshop):
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 2
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', plain.get_data(as_text=True))[1]
    css = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.data) == client.get(stylesheet).data


# Backups

def rows_per_table(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {table: connection.scalar(select(func.count()).select_from(text(
                f'"{table}"'))) for table in inspect(engine).get_table_names()}
    finally:
        engine.dispose()


@pytest.fixture
def empty_database(engine_name, tmp_path, migrated_database_url):
    """An empty database on the same engine, dropped afterwards."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(migrated_database_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(migrated_database_url).set(database=name).render_as_string(
        hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restored_into_an_empty_database_gives_back_every_row(
        app, app_context, workshop, tmp_path, empty_database):
    for n in range(3):
        register(workshop, mobile(n))
    source = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    file = tmp_path / "portal.backup"
    backup(source, file)
    restore(file, empty_database)
    counts = rows_per_table(source)
    assert counts["registration"] == 3 and counts["resident"] == 3
    assert rows_per_table(empty_database) == counts


def test_a_restore_refuses_a_database_that_already_holds_tables(app, app_context, tmp_path):
    source = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    backup(source, tmp_path / "portal.backup")
    with pytest.raises(BackupError, match="already holds tables"):
        restore(tmp_path / "portal.backup", source)


def test_the_backup_commands_say_what_they_did_and_fail_with_the_reason(runner, app,
                                                                        app_context, tmp_path):
    created = runner.invoke(args=["backup", "create", str(tmp_path / "a.backup")])
    assert created.exit_code == 0 and "backed up to" in created.output
    missing = runner.invoke(args=["backup", "restore", str(tmp_path / "none.backup")])
    assert missing.exit_code == 1 and "no backup at" in missing.output


def test_a_sqlite_backup_is_a_database_that_opens_on_its_own(app, app_context, tmp_path,
                                                            engine_name, workshop):
    if engine_name != "sqlite":
        pytest.skip("SQLite's backup API")
    db.session.remove()
    backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "copy.sqlite3")
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM workshop").fetchone() == (1,)


# More than one node

def test_signing_out_on_one_node_ends_the_session_on_another(app, client, app_context,
                                                             migrated_database_url, tmp_path):
    other_node = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": migrated_database_url},
                            instance_path=str(tmp_path / "other-node"))
    other_node.test_client_class = RequestIsolatingClient
    make_user(email="org@example.org")
    auth = Auth(client)
    assert auth.login("org@example.org").status_code == 302
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    on_other_node = other_node.test_client()
    on_other_node.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    page = on_other_node.get("/staff")
    assert page.status_code == 200
    signed_out = on_other_node.post("/logout",
                                    data=csrf_fields_from(page.get_data(as_text=True)))
    assert signed_out.status_code == 302
    assert client.get("/staff").status_code == 302
    with other_node.app_context():
        db.engine.dispose()


# What the operator installs

def test_the_environment_template_lists_every_setting_the_app_reads():
    config = (PROJECT_ROOT / "workshops" / "config.py").read_text()
    read = set(re.findall(r'(?:environ\.get|_env_bool|_env_positive_int)\("([A-Z_]+)"', config))
    template = (PROJECT_ROOT / "deploy" / "workshops.env").read_text()
    listed = set(re.findall(r"^#?([A-Z_]+)=", template, re.M))
    assert read and read <= listed, sorted(read - listed)
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert not [name for name in read if f"`{name}`" not in readme]


def test_the_readme_production_section_is_what_the_smoke_test_runs():
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    for shipped in ["deploy/gunicorn.conf.py", "deploy/nginx/workshops.conf",
                    "deploy/systemd/workshops-web.service",
                    "deploy/systemd/workshops-worker.service",
                    "deploy/systemd/workshops-purge.timer", "deploy/workshops.env",
                    "make smoke-production", "make backup", "make restore", "PROXY_FIX_HOPS=1",
                    "sms worker --no-purge"]:
        assert shipped in section, shipped
    smoke = (PROJECT_ROOT / "deploy" / "smoke_production.py").read_text()
    for command in ["gunicorn", "--config", "deploy/gunicorn.conf.py", "sms", "worker",
                    "--no-purge", "workshops.conf", '"backup", "create"',
                    '"backup", "restore"']:
        assert command in smoke, command


# Any input (property-based): the request id, the metrics token, static file names

header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=200)


@given(request_id=header_text, authorization=header_text,
       static_name=st.one_of(header_text.map(lambda name: name.replace("?", "").replace(
           "#", "")), st.sampled_from(["css/site.css", "css/site.0123456789ab.css", "..",
                                       "css/../../app.py", "js/attendance.abc.js"])))
@FUZZ_SETTINGS
def test_odd_request_ids_tokens_and_static_names_never_reach_a_5xx(
        client, app, engine_name, request_id, authorization, static_name):
    app.config["METRICS_TOKEN"] = "a-long-metrics-token"
    headers = {"X-Request-Id": request_id, "Authorization": authorization}
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    with app.app_context():
        before = row_counts()
        for response in (client.get("/healthz", headers=headers),
                         client.get("/metrics", headers=headers, environ_base=outside),
                         client.get("/static/" + static_name, headers=headers)):
            check(response, before, engine_name, (request_id, authorization, static_name))
            assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.headers["X-Request-Id"])
