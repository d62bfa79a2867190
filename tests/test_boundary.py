"""What every request passes through: ids a table can hold, no NUL characters, dates within
reach, bounded fields and bodies, and an error page that renders after a failed write."""

import json
from datetime import timedelta

import pytest
from flask import abort
from sqlalchemy import func, select, text
from werkzeug.routing import IntegerConverter

from tests.conftest import csrf_fields_from, post_form
from tests.factories import make_venue, make_workshop, mobile, register
from workshops.accounts.models import Role
from workshops.attendance.models import Attendance
from workshops.boundary import MAX_ID, parse_id
from workshops.catalogue.local_time import Slot
from workshops.catalogue.models import Topic, Workshop
from workshops.catalogue.seed import seed_topics
from workshops.clock import local_today, utcnow
from workshops.extensions import db
from workshops.places.models import Neighbourhood
from workshops.ratelimit import RateLimitHit
from workshops.registrations.models import Registration, Resident

HUGE_IDS = [str(2**31), str(2**63), "9" * 40]


def _routes_with_an_id(app):
    for rule in app.url_map.iter_rules():
        ids = [name for name, converter in rule._converters.items()
               if isinstance(converter, IntegerConverter)]
        if ids:
            yield rule, ids


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_an_id_too_large_for_any_table_is_a_page_not_found_on_every_route(app, client, huge):
    routes = list(_routes_with_an_id(app))
    assert len(routes) > 15
    for rule, ids in routes:
        path = rule.rule
        for name in ids:
            path = path.replace(f"<int:{name}>", huge)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)


def test_ids_typed_in_a_query_string_or_a_form_are_parsed_only_when_a_table_can_hold_them():
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text_id in ["", "0", "-1", str(MAX_ID + 1), "²", "٤٢", "4 2", "1e3", None]:
        assert parse_id(text_id) is None


@pytest.mark.parametrize("page", ["²", "١", "9" * 30, "-3", "0"])
def test_a_page_number_that_is_not_a_sensible_number_shows_the_first_page(client, app_context,
                                                                          page):
    make_workshop(titles={"ca": "Taller de prova", "es": "", "en": ""})
    response = client.get(f"/workshops?page={page}")
    assert response.status_code == 200
    assert "Taller de prova" in response.get_data(as_text=True)


def test_a_coordinator_filtering_attendance_by_a_huge_neighbourhood_id_sees_every_session(
        client, auth, app_context):
    auth.login_as(Role.COORDINATOR)
    for value in HUGE_IDS + ["²"]:
        assert client.get(f"/staff/attendance?neighbourhood={value}").status_code == 200


@pytest.fixture
def roster(client, auth, app_context):
    """A session under way, its facilitator signed in, and one person on the roster."""
    now = local_now_utc()
    facilitator = auth.login_as(Role.FACILITATOR)
    workshop = make_workshop(facilitators=[facilitator], now=now - timedelta(days=1),
                             slots=[_slot(now - timedelta(minutes=30), now + timedelta(hours=1))])
    registration = register(workshop, mobile(1), now=now - timedelta(hours=2))
    session = workshop.sessions[0]
    page = client.get(f"/staff/sessions/{session.id}/attendance")
    assert page.status_code == 200
    return {"session": session, "registration": registration,
            "csrf": csrf_fields_from(page.get_data(as_text=True))}


def local_now_utc():
    return utcnow().replace(second=0, microsecond=0)


def _slot(starts_at, ends_at):
    return Slot(starts_at, ends_at)


@pytest.mark.parametrize("registration_id", HUGE_IDS + ["²", "", "abc"])
def test_a_tap_for_a_registration_id_no_table_holds_is_a_bad_request_and_marks_nobody(
        client, roster, registration_id):
    session = roster["session"]
    response = client.post(f"/staff/sessions/{session.id}/attendance/mark", data={
        **roster["csrf"], "registration_id": registration_id, "present": "1"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def _sync(client, roster, body, content_type="application/json"):
    session = roster["session"]
    return client.post(f"/staff/sessions/{session.id}/attendance/sync", data=body,
                       content_type=content_type,
                       headers={"X-CSRFToken": roster["csrf"]["csrf_token"]})


@pytest.mark.parametrize("body", [
    "{", "[]", "null", '"changes"', '{"changes": 3}', "[" * 100_000 + "]" * 100_000,
    '{"changes": [], "walk_ins": {}}', b"\xff\xfe not utf-8",
])
def test_malformed_json_to_the_attendance_sync_is_a_bad_request_and_changes_nothing(
        client, roster, body):
    response = _sync(client, roster, body)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_sync_changes_with_impossible_values_are_each_rejected_and_nothing_is_marked(
        client, roster):
    registration_id = roster["registration"].id
    good = {"change_id": "c1", "registration_id": registration_id, "present": True,
            "marked_at": 1}
    changes = [good | {"registration_id": 2**63}, good | {"registration_id": True},
               good | {"change_id": "x" * 65}, good | {"marked_at": float("1e300")},
               good | {"present": "yes"}, "not a change"]
    walk_ins = [{"change_id": "w" * 100, "marked_at": 1, "fields": {"name": "Ada"}}]
    response = _sync(client, roster, json.dumps({"changes": changes, "walk_ins": walk_ins}))
    assert response.status_code == 200
    assert {result["status"] for result in response.get_json()["results"]} == {"rejected"}
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


# Dates


def test_a_far_date_in_the_listing_filters_is_ignored_not_an_error_page(client, app_context):
    make_workshop(titles={"ca": "Taller de prova", "es": "", "en": ""})
    for query in ["date_to=9999-12-31", "date_from=0001-01-01", "date_from=9999-12-31",
                  "date_to=99999-01-01"]:
        response = client.get(f"/workshops?{query}")
        assert response.status_code == 200, query
        assert "Taller de prova" in response.get_data(as_text=True), query


@pytest.mark.parametrize("path", ["/reach", "/reach.csv", "/reach.json"])
def test_a_reach_period_ending_in_year_9999_is_refused_clearly_and_the_default_is_counted(
        client, auth, app_context, path):
    auth.login_as(Role.COORDINATOR)
    response = client.get(f"{path}?lang=en&date_from=0001-01-01&date_to=9999-12-31")
    assert response.status_code == 200
    if path == "/reach":
        assert "Choose a date between" in response.get_data(as_text=True)


def test_a_schedule_export_in_year_9999_gets_a_clear_error(client, auth, app_context):
    auth.login_as(Role.COORDINATOR)
    response = client.get("/staff/calendars/schedule.csv?lang=en"
                          "&date_from=9999-12-01&date_to=9999-12-31")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a date between" in html and 'value="9999-12-31"' in html


@pytest.fixture
def organiser_form(client, auth, app_context, seeded):
    seed_topics()
    venue = make_venue(neighbourhood=db.session.scalar(select(Neighbourhood).limit(1)))
    topic = db.session.scalars(select(Topic)).first()
    auth.login_as(Role.ORGANISER)
    start = local_today() + timedelta(days=14)
    return {
        "w-title_ca": "El meu primer mòbil", "w-summary_ca": "Trucar, fotos i apps.",
        "w-level": "beginner", "w-instruction_language": "ca", "w-capacity": "12",
        "w-venue": str(venue.id), "w-topic": str(topic.id),
        "s-repeat": "weekly", "s-date": start.isoformat(), "s-start_time": "10:00",
        "s-end_time": "12:00", "s-count": "3", "s-skip_dates": "",
    }


@pytest.mark.parametrize(("field", "value", "message"), [
    ("s-date", "9999-01-05", "Choose a date between"),
    ("w-registration_closes", "9999-12-31", "Choose a date between"),
    ("s-skip_dates", "1" * 20 + "-01-01", "Write dates like 8/12/2026"),
    ("s-skip_dates", "²/12/2027", "Write dates like 8/12/2026"),
])
def test_a_workshop_with_a_date_out_of_reach_is_refused_clearly_and_keeps_what_was_typed(
        client, organiser_form, field, value, message):
    response = post_form(client, "/staff/workshops/new?lang=en",
                         data=organiser_form | {field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "El meu primer mòbil" in html
    assert db.session.scalar(select(func.count()).select_from(Workshop)) == 0


# NUL characters


def test_a_nul_character_in_a_manage_link_is_a_bad_request(client):
    response = client.get("/r/abc%00def?lang=en")
    assert response.status_code == 400
    assert "characters that cannot be stored" in response.get_data(as_text=True)


def test_a_nul_character_in_the_login_email_is_a_bad_request_and_counts_no_attempt(client):
    response = post_form(client, "/login?lang=en", data={"email": "ada\x00@example.org",
                                                         "password": "whatever-it-is"})
    assert response.status_code == 400
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(RateLimitHit)) == 0


def sign_up(client, **fields):
    """The public sign-up form of a new workshop, sent with `fields` over valid values."""
    workshop = make_workshop()
    neighbourhood = db.session.scalar(text("SELECT id FROM neighbourhood LIMIT 1"))
    return post_form(client, f"/workshops/{workshop.id}?lang=en",
                     f"/workshops/{workshop.id}/register?lang=en", data={
                         "phone": "612 34 56 78", "name": "Ada Lovelace",
                         "home_neighbourhood": str(neighbourhood), "sms_consent": "y"} | fields)


def test_a_nul_character_in_a_sign_up_name_is_refused_and_stores_nobody(client, app_context,
                                                                        seeded):
    response = sign_up(client, name="Ada\x00 Lovelace")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 0


def test_a_nul_character_in_a_query_parameter_name_is_a_bad_request(client):
    assert client.get("/workshops?dis%00trict=01").status_code == 400


# Fields and bodies


def test_a_tampered_submission_key_is_replaced_and_the_sign_up_goes_through(client, app_context,
                                                                           seeded):
    response = sign_up(client, submission_key="k" * 500)
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert registration is not None and 0 < len(registration.submission_key) <= 48


def test_a_body_larger_than_any_form_needs_is_refused_before_it_is_read(client):
    response = client.post("/sms/inbound", data={"Body": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


TEXT_FIELDS = ("StringField", "TextAreaField", "TelField", "EmailField", "SearchField",
               "PasswordField", "URLField", "HiddenField")


def _form_classes():
    from flask_wtf import FlaskForm

    import workshops  # noqa: F401  (every form module is imported by create_app)

    pending, seen = [FlaskForm], []
    while pending:
        for subclass in pending.pop().__subclasses__():
            seen.append(subclass)
            pending.append(subclass)
    return seen


def test_every_text_field_of_every_form_has_a_length_limit(app):
    from wtforms.fields.core import UnboundField
    from wtforms.validators import AnyOf, Length

    unlimited = []
    for form_class in _form_classes():
        for name in dir(form_class):
            field = getattr(form_class, name, None)
            if not isinstance(field, UnboundField):
                continue
            if field.field_class.__name__ not in TEXT_FIELDS:
                continue
            validators = field.kwargs.get("validators") or (
                field.args[1] if len(field.args) > 1 else [])
            if not any(isinstance(v, Length) and v.max > 0 or isinstance(v, AnyOf)
                       for v in validators):
                unlimited.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert len(_form_classes()) > 10
    assert not unlimited, unlimited


# The error page


def test_the_error_page_renders_after_a_failed_write(app, client, auth, app_context):
    """On PostgreSQL a failed statement leaves the session unusable until a rollback; the
    error page reads the signed-in user, so it must roll back first."""

    @app.post("/test-only/failing-write")
    def failing_write():
        try:
            db.session.execute(text("INSERT INTO no_such_table VALUES (1)"))
        except Exception:  # noqa: BLE001  (what a view that forgot to roll back looks like)
            abort(409)

    auth.login_as(Role.COORDINATOR)
    response = post_form(client, "/staff", "/test-only/failing-write?lang=en")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The request could not be handled" in html and "Staff area" in html
