"""No input reaches a 5xx, and a rejected request changes nothing.

Hypothesis sends odd values (any Unicode, NUL, numbers past what a column holds, digits of
other scripts, dates in year 9999, very long texts, markup) to every public form and
filter, the staff forms and the attendance sync, on each engine. After each request it
checks the status, and when the request was refused (4xx), that no table changed.
"""

import io
import json
import string
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import FUZZ_TALLY, csrf_fields_from
from tests.factories import make_venue, make_workshop, mobile, register
from tests.test_my_workshops import prove_phone_with_client
from workshops.accounts.models import Role
from workshops.catalogue.local_time import Slot
from workshops.catalogue.models import Topic
from workshops.catalogue.seed import seed_topics
from workshops.clock import utcnow
from workshops.extensions import db
from workshops.notifications.models import MessageKind, OutboxMessage
from workshops.places.models import Neighbourhood
from workshops.registrations.models import Registration

# Tables a refused request may still write to: attempt counters, and the staff session a
# sign-in opens.
COUNTERS = {"rate_limit_hit", "staff_session"}

ODD_VALUES = [
    "", " ", "\x00", "a\x00b", "9" * 40, str(2**31), str(2**63), "-1", "0", "²", "٨٥٠", "८५०",
    "９", "9999-12-31", "0001-01-01", "2026-02-30", "99999-01-01", "31/12/9999", "1e308", "NaN",
    "<script>alert(1)</script>", "' OR '1'='1", "=HYPERLINK(\"x\")", "\r\n", "\u202e", "x" * 5000,
    "🙂" * 300, "%00", "null", "[]", "outside", "y", "on", "weekly", "once", "ca", "xx",
    "beginner", "admin", "@example.org", "a@b", "+34612345678", "612 34 56 78",
]
odd_text = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.text(max_size=60),
    st.text(alphabet=string.digits + "-/.:, ", max_size=24),
    st.text(min_size=300, max_size=2000),
)

# Random locally, the same examples every CI run (the "ci" profile in conftest).
FUZZ_SETTINGS = settings(max_examples=40, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])


def row_counts() -> dict[str, int]:
    db.session.commit()  # a fresh snapshot on SQLite
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name not in COUNTERS}


def check(response, before, engine_name, what, *, may_still_write=frozenset()):
    """No 5xx; a refusal (4xx) changed no table but those in `may_still_write`."""
    FUZZ_TALLY[engine_name, "requests"] += 1
    if response.status_code >= 500:
        FUZZ_TALLY[engine_name, "5xx"] += 1
    assert response.status_code < 500, (what, response.status_code)
    if 400 <= response.status_code < 500:
        changed = {table for table, count in row_counts().items() if before[table] != count}
        assert changed <= may_still_write, (what, response.status_code, changed)


def form_values(data, fields: dict) -> dict:
    """For each field, a valid value or an odd one; sometimes a field left out."""
    values = {}
    for name, valid in fields.items():
        choice = data.draw(st.sampled_from(["valid", "odd", "missing"]))
        if choice == "valid" and valid:
            values[name] = data.draw(st.sampled_from(valid))
        elif choice != "missing":
            values[name] = data.draw(odd_text)
    if data.draw(st.booleans()):
        values[data.draw(st.text(min_size=1, max_size=20))] = data.draw(odd_text)
    return values


def signed_in(client, auth, role):
    """Sign in once per test: the examples of one test share the client."""
    if not getattr(client, "signed_in", False):
        auth.login_as(role)
        client.signed_in = True


@pytest.fixture
def places(app_context, seeded):
    seed_topics()
    neighbourhoods = [str(n) for n in db.session.scalars(select(Neighbourhood.id).limit(5))]
    return {"neighbourhoods": neighbourhoods,
            "venue": make_venue(neighbourhood=db.session.get(Neighbourhood,
                                                             int(neighbourhoods[0]))),
            "topic": db.session.scalars(select(Topic)).first()}


FILTER_KEYS = ["district", "neighbourhood", "topic", "language", "audience", "date_from",
               "date_to", "step_free", "free_seats", "page", "lang", "by", "channel",
               "feed_lang", "near", "q"]


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_query_string_on_a_public_page_reaches_a_5xx(client, places, engine_name, data):
    path = data.draw(st.sampled_from(["/", "/workshops", "/calendar.ics", "/calendars",
                                      "/open-data/reach.csv", "/open-data/reach.json"]))
    query = data.draw(st.lists(st.tuples(st.sampled_from(FILTER_KEYS), odd_text), max_size=6))
    before = row_counts()
    check(client.get(path, query_string=query), before, engine_name, (path, query))


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_query_string_on_the_reach_dashboard_or_its_exports_reaches_a_5xx(
        client, auth, places, engine_name, data):
    signed_in(client, auth, Role.COORDINATOR)
    path = data.draw(st.sampled_from(["/reach", "/reach.csv", "/reach.json",
                                      "/staff/calendars/schedule.csv", "/staff/attendance",
                                      "/staff/workshops"]))
    query = data.draw(st.lists(st.tuples(st.sampled_from(FILTER_KEYS), odd_text), max_size=6))
    before = row_counts()
    check(client.get(path, query_string=query), before, engine_name, (path, query))


@pytest.fixture
def open_workshop(places):
    workshop = make_workshop(venue=places["venue"], capacity=3)
    register(workshop, mobile(1))
    return workshop


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_sign_up_form_reaches_a_5xx_and_a_refused_one_stores_nothing(
        app, client, places, open_workshop, engine_name, data):
    app.config["REGISTRATION_LIMIT_PER_ADDRESS"] = 10**6
    app.config["REGISTRATION_LIMIT_PER_PHONE"] = 10**6
    page = client.get(f"/workshops/{open_workshop.id}")
    fields = form_values(data, {
        "phone": [mobile(n) for n in range(1, 6)] + ["93 402 70 00", "+33 6 12 34 56 78"],
        "name": ["Ada Lovelace", "Núria Puig i Ferrer"],
        "home_neighbourhood": places["neighbourhoods"] + ["outside"],
        "sms_consent": ["y"], "email": ["ada@example.org"], "age_band": ["65_plus", ""],
        "gender": ["woman", "unsaid"], "submission_key": ["k" * 22],
    })
    before = row_counts()
    links_before = manage_links_queued()
    response = client.post(f"/workshops/{open_workshop.id}/register",
                           data=csrf_fields_from(page.get_data(as_text=True)) | fields)
    # A phone already registered for the workshop is refused (409), and its owner, not the
    # person at the keyboard, gets her own link by SMS: the one write a refusal may make.
    check(response, before, engine_name, fields, may_still_write={"outbox_message"})
    if response.status_code >= 400:
        assert row_counts()["outbox_message"] - before["outbox_message"] == (
            manage_links_queued() - links_before) <= 1


@FUZZ_SETTINGS
@given(data=st.data(), language=st.sampled_from(["ca", "es", "en", "xx"]))
def test_a_refused_sign_up_reloads_and_changes_language_without_a_5xx_keeping_its_errors(
        app, client, places, open_workshop, engine_name, data, language):
    """What a failed sign-up leaves in the session is shown again by a GET (a reload, another
    language): whatever was typed, never a 5xx, and the errors come back with it."""
    app.config["REGISTRATION_LIMIT_PER_ADDRESS"] = 10**6
    app.config["REGISTRATION_LIMIT_PER_PHONE"] = 10**6
    url = f"/workshops/{open_workshop.id}/register"
    page = client.get(f"/workshops/{open_workshop.id}")
    fields = form_values(data, {
        "phone": ["12 34", mobile(1)], "name": ["", "Ada Lovelace"],
        "home_neighbourhood": places["neighbourhoods"], "email": ["ada@example", ""],
        "age_band": ["75+"], "gender": ["woman"], "sms_consent": ["y"],
    })
    response = client.post(url, data=csrf_fields_from(page.get_data(as_text=True)) | fields)
    before = row_counts()
    for address in (f"{url}?lang={language}", f"/workshops/{open_workshop.id}?lang={language}"):
        again = client.get(address)
        check(again, before, engine_name, (address, fields))
        if response.status_code == 422 and again.status_code == 200:
            assert 'id="error-summary"' in again.get_data(as_text=True), (address, fields)
    assert row_counts() == before


def manage_links_queued() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.MANAGE_LINK))


@FUZZ_SETTINGS
@given(data=st.data(), token=odd_text)
def test_no_manage_link_reaches_a_5xx(client, places, open_workshop, engine_name, data, token):
    path = data.draw(st.sampled_from(["/r/{}", "/r/{}/cancel", "/r/{}/sms"]))
    method = "GET" if path == "/r/{}" else data.draw(st.sampled_from(["GET", "POST"]))
    before = row_counts()
    response = client.open(path.format(token.replace("/", "_") or "x"), method=method,
                           data={"confirm": data.draw(odd_text)})
    check(response, before, engine_name, (path, token))


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_sign_in_form_reaches_a_5xx(client, places, engine_name, data):
    page = client.get("/login")
    fields = form_values(data, {"email": ["organiser@example.org"], "password": ["x" * 12],
                                "next": ["/staff", "//evil.example", "https://evil.example"]})
    before = row_counts()
    response = client.post("/login", data=csrf_fields_from(page.get_data(as_text=True)) | fields)
    check(response, before, engine_name, fields)


def _workshop_fields(places):
    today = utcnow().date()
    return {
        "w-title_ca": ["El meu primer mòbil"], "w-summary_ca": ["Trucar i fotos."],
        "w-description_ca": ["Grups petits."], "w-title_es": [""], "w-title_en": [""],
        "w-bring_ca": ["El mòbil i el carregador."],
        "w-level": ["beginner", "intermediate"], "w-instruction_language": ["ca", "es"],
        "w-capacity": ["12", "1", "500"], "w-public_code": ["", "4321"],
        "w-venue": [str(places["venue"].id)], "w-topic": [str(places["topic"].id)],
        "w-registration_opens": [""], "w-registration_closes": [""],
        "s-repeat": ["weekly", "once"], "s-date": [str(today.replace(day=1).replace(
            year=today.year + 1))], "s-start_time": ["10:00", "23:30"],
        "s-end_time": ["12:00", "09:00"], "s-count": ["3", "52", "53"],
        "s-skip_dates": ["", "8/12/2027"],
    }


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_organiser_form_reaches_a_5xx_and_a_refused_one_changes_nothing(
        client, auth, places, engine_name, data):
    signed_in(client, auth, Role.ORGANISER)
    page = client.get("/staff/workshops/new")
    fields = form_values(data, _workshop_fields(places))
    before = row_counts()
    response = client.post("/staff/workshops/new",
                           data=csrf_fields_from(page.get_data(as_text=True)) | fields)
    check(response, before, engine_name, fields)


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_admin_or_coordinator_form_reaches_a_5xx_and_a_refused_one_changes_nothing(
        client, auth, places, open_workshop, engine_name, data):
    signed_in(client, auth, Role.ADMIN)
    workshop_id, session_id = open_workshop.id, open_workshop.sessions[0].id
    resident = {"phone": [mobile(n) for n in range(1, 4)], "name": ["Ada"],
                "home_neighbourhood": places["neighbourhoods"], "sms_consent": ["y"]}
    resident_id = db.session.scalar(select(Registration.resident_id).where(
        Registration.workshop_id == workshop_id))
    path, fields = data.draw(st.sampled_from([
        ("/staff/topics/new", {"name_ca": ["Mòbil"], "name_es": ["Móvil"],
                               "name_en": ["Phone"], "active": ["1", "0"]}),
        ("/staff/venues/new", {"name": ["Casal"], "address": ["Carrer Major, 1"],
                               "neighbourhood_id": places["neighbourhoods"],
                               "directions_ca": ["L4"], "step_free_access": ["y"]}),
        ("/admin/users/new", {"name": ["Ada"], "email": ["ada@example.org"],
                              "password": ["a-long-password"], "roles": ["organiser"],
                              "preferred_language": ["ca", "es"]}),
        ("/staff/residents/erase", {"phone": ["612 34 56 78"]}),
        (f"/staff/residents/{resident_id}/correct", {
            "name": ["Ada", ""], "email": ["ada@example.org", ""],
            "home_neighbourhood": [*places["neighbourhoods"], "outside", ""],
            "preferred_language": ["ca", "en"], "age_band": ["", "unsaid", "75+"],
            "gender": ["", "woman"]}),
        (f"/staff/workshops/{workshop_id}/registrations/new", resident),
        (f"/staff/workshops/{workshop_id}/cancel", {"reason": ["Pluja"]}),
        (f"/staff/sessions/{session_id}/edit", {
            "date": [str(utcnow().date().replace(day=1, year=utcnow().year + 1))],
            "start_time": ["10:00"], "end_time": ["12:00"]}),
        ("/account", {"preferred_language": ["ca", "en"]}),
    ]))
    page = client.get(path)
    assert page.status_code == 200, path
    values = form_values(data, fields)
    before = row_counts()
    response = client.post(path, data=csrf_fields_from(page.get_data(as_text=True)) | values)
    check(response, before, engine_name, (path, values))


def _json_containers(children):
    keys = st.sampled_from(["change_id", "registration_id", "present", "marked_at", "fields",
                            "name", "phone", "home_neighbourhood"]) | st.text(max_size=8)
    return st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | odd_text, _json_containers,
    max_leaves=20)


@pytest.fixture
def roster_page(client, auth, places):
    now = utcnow().replace(second=0, microsecond=0)
    facilitator = auth.login_as(Role.FACILITATOR)
    workshop = make_workshop(facilitators=[facilitator], venue=places["venue"],
                             now=now - timedelta(days=1),
                             slots=[Slot(now - timedelta(minutes=30), now + timedelta(hours=1))])
    registration = register(workshop, mobile(1), now=now - timedelta(hours=2))
    session = workshop.sessions[0]
    page = client.get(f"/staff/sessions/{session.id}/attendance")
    return {"session": session, "registration": registration,
            "csrf": csrf_fields_from(page.get_data(as_text=True))["csrf_token"]}


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_attendance_sync_body_reaches_a_5xx_and_a_refused_one_changes_nothing(
        client, roster_page, engine_name, data):
    registration_id = roster_page["registration"].id
    change = st.fixed_dictionaries({
        "change_id": st.text(min_size=1, max_size=80) | odd_text,
        "registration_id": st.sampled_from([registration_id, 2**31, 2**63, -1, True])
        | st.integers(),
        "present": st.booleans() | json_values,
        "marked_at": st.sampled_from([0, 1e300, -1e300, float("nan")]) | st.floats()
        | st.integers(),
    })
    walk_in = st.fixed_dictionaries({
        "change_id": st.text(max_size=60) | odd_text,
        "marked_at": st.integers() | st.floats(),
        "fields": st.dictionaries(st.sampled_from(["name", "phone", "home_neighbourhood"]),
                                  odd_text, max_size=3),
    })
    body = data.draw(st.one_of(
        json_values.map(json.dumps),
        st.fixed_dictionaries({"changes": st.lists(change | json_values, max_size=4),
                               "walk_ins": st.lists(walk_in | json_values, max_size=2)})
        .map(json.dumps),
        odd_text,
    ))
    before = row_counts()
    response = client.post(f"/staff/sessions/{roster_page['session'].id}/attendance/sync",
                           data=body, content_type="application/json",
                           headers={"X-CSRFToken": roster_page["csrf"]})
    check(response, before, engine_name, body)


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_walk_in_or_tap_form_reaches_a_5xx_and_a_refused_one_changes_nothing(
        client, roster_page, places, engine_name, data):
    session_id = roster_page["session"].id
    path, fields = data.draw(st.sampled_from([
        (f"/staff/sessions/{session_id}/attendance/walk-in", {
            "phone": [mobile(n) for n in range(1, 4)] + [""], "name": ["Ada"],
            "home_neighbourhood": places["neighbourhoods"] + ["outside"],
            "submission_key": ["k" * 22]}),
        (f"/staff/sessions/{session_id}/attendance/mark", {
            "registration_id": [str(roster_page["registration"].id)],
            "present": ["0", "1"], "change_id": ["c1"], "q": ["Ada"]}),
    ]))
    values = form_values(data, fields)
    before = row_counts()
    response = client.post(path, data={"csrf_token": roster_page["csrf"]} | values)
    check(response, before, engine_name, (path, values))


@pytest.fixture
def proved_resident(app, client, open_workshop):
    """The client has proved the phone of the resident registered for `open_workshop`."""
    prove_phone_with_client(client, mobile(1))
    return open_workshop


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_my_workshops_form_reaches_a_5xx_and_a_refused_one_changes_nothing(
        app, client, places, proved_resident, engine_name, data):
    app.config["MY_WORKSHOPS_CODES_PER_PHONE"] = 10**6
    registration_id = str(db.session.scalar(select(func.min(OutboxMessage.registration_id))))
    path, fields = data.draw(st.sampled_from([
        ("/my-workshops", {"phone": [mobile(1), mobile(2), "93 402 70 00"]}),
        ("/my-workshops/code", {"code": ["123456", "000000"]}),
        ("/my-workshops/details", {
            "name": ["Ada Lovelace"], "home_neighbourhood": places["neighbourhoods"],
            "preferred_language": ["ca", "es", "en"], "email": ["ada@example.org", ""],
            "age_band": ["65-74", ""], "gender": ["woman", "unsaid"]}),
        ("/my-workshops/sms", {"consent": ["0", "1"]}),
        (f"/my-workshops/registrations/{registration_id}/cancel", {}),
        ("/my-workshops/registrations/{}/cancel", {}),
    ]))
    if "{}" in path:
        path = path.format(data.draw(odd_text).replace("/", "_") or "x")
    page = client.get("/my-workshops/list")
    values = form_values(data, fields)
    if data.draw(st.booleans()):
        values |= csrf_fields_from(page.get_data(as_text=True))
    before = row_counts()
    response = client.post(path, data=values)
    # Asking for a code queues one (303), and a wrong code is a counted try (422).
    check(response, before, engine_name, (path, values))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["type", "features", "geometry", "properties",
                                       "coordinates", "BARRI", "crs", "name"]), children,
                      max_size=4),
    max_leaves=30)
odd_geometry = st.fixed_dictionaries({
    "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "", None, 7]),
    "coordinates": json_values | st.just([[[2.1, 41.4], [2.2, 41.4], [2.2, 41.5], [2.1, 41.4]]]),
})
odd_feature_collection = st.fixed_dictionaries({
    "type": st.just("FeatureCollection"),
    "features": st.lists(st.fixed_dictionaries({
        "type": st.just("Feature"),
        "properties": st.fixed_dictionaries({"BARRI": st.sampled_from(["01", "73", 5, "٣", "",
                                                                       None, "999"])})
        | json_values,
        "geometry": odd_geometry | json_values}), max_size=4),
}) | st.fixed_dictionaries({"type": st.just("FeatureCollection"), "crs": json_values,
                            "features": json_values})
boundaries_files = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    odd_feature_collection.map(lambda value: json.dumps(value).encode()),
    st.sampled_from([b"[" * 5000, b"1" * 5000, b"\xef\xbb\xbf{}", b"\x00"]),
)
csv_cell = st.one_of(st.sampled_from(["1", "01", "73", "income_index", "households_internet",
                                      "62", "1e308", "2016", "9999", "Source", '"a;b"']),
                     odd_text)
indicator_files = st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(csv_cell, max_size=6), max_size=5).flatmap(
        lambda rows: st.sampled_from([",", ";"]).map(lambda sep: "\n".join(
            ["neighbourhood_code,indicator,value,year,source"]
            + [sep.join(row) for row in rows]).encode("utf-8", "surrogatepass"))),
)


@FUZZ_SETTINGS
@given(data=st.data())
def test_no_boundaries_or_indicators_upload_reaches_a_5xx_and_a_refused_one_changes_nothing(
        client, auth, places, engine_name, data):
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    signed_in(client, auth, Role.ADMIN)
    kind, files = data.draw(st.sampled_from([("boundaries", boundaries_files),
                                             ("indicators", indicator_files)]))
    content = data.draw(files)
    name = data.draw(st.sampled_from(["barris.geojson", "needs.csv", ""]) | odd_text)
    page = client.get("/admin/map-data")
    fields = csrf_fields_from(page.get_data(as_text=True))
    values = MultiDict({f"{kind}-csrf_token": fields[f"{kind}-csrf_token"]})
    if data.draw(st.booleans()) or not content:
        values[f"{kind}-file"] = FileStorage(io.BytesIO(content), filename=name)
    before = row_counts()
    boundary, body = encode_multipart(values)
    response = client.post(f"/admin/map-data/{kind}", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    check(response, before, engine_name, (kind, name, content[:80]))
