"""Calendar feeds (RFC 5545), calendars pages, staff feeds and the schedule export."""

import csv
import io
import os
import re
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from time import monotonic, perf_counter, sleep

import icalendar
import pytest
import vobject
from babel import Locale
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from sqlalchemy import event, select

from tests.conftest import TEST_CONFIG, TEST_NOW, post_form
from tests.factories import (
    make_neighbourhood,
    make_topic,
    make_user,
    make_venue,
    make_workshop,
    manage_token,
    mobile,
    register,
)
from tests.test_concurrency import GUNICORN, Client, all_at_once, free_port
from tests.test_concurrency import _answers_healthz as answers_healthz
from tests.test_spreadsheets import cells_starting_a_formula, rows_read_with
from workshops import built_documents, create_app
from workshops.accounts.models import Role
from workshops.built_documents import BuiltDocument
from workshops.calendars import feeds
from workshops.calendars.feeds import FeedFilters, public_feed_events
from workshops.catalogue import services as catalogue
from workshops.catalogue.local_time import MADRID, slot
from workshops.catalogue.models import Audience
from workshops.config import PROJECT_ROOT
from workshops.extensions import db
from workshops.keywords import public_sms_number

ALL = {"ca": "Per a tothom.", "es": "Para todos.", "en": "For everyone."}


def later(days: int, hour: int = 10) -> tuple:
    """A two-hour slot `days` from today, at `hour` in Barcelona."""
    day = datetime.now(UTC).date() + timedelta(days=days)
    return slot(day, time(hour), time(hour + 2))


def fetch(client, url="/calendar.ics", **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    return response


def events_of(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(item["UID"]): item for item in calendar.walk("VEVENT")}


def forget_built_feeds(app):
    with app.app_context():
        built_documents.forget()


# --- format ---------------------------------------------------------------------------------

def test_the_feed_parses_with_icalendar_and_vobject_and_follows_the_line_rules(
        app_context, client):
    make_workshop(slots=[later(3), later(10)], titles={
        "ca": "Taller de mòbil amb un títol ben llarg perquè la línia s'hagi de plegar segur",
        "es": "", "en": ""})
    body = fetch(client).data

    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")
    assert b"\n" not in b"".join(lines), "every line ends in CRLF"
    assert max(len(line) for line in lines) <= 75, "lines are folded at 75 octets"
    assert any(line.startswith(b" ") for line in lines), "long lines were folded"

    assert len(events_of(body)) == 2
    parsed = vobject.readOne(body.decode("utf-8"))
    assert len(parsed.vevent_list) == 2
    assert parsed.vtimezone.tzid.value == "Europe/Madrid"


def test_every_event_has_the_required_properties(app_context, client):
    venue = make_venue(name="Biblioteca Bon Pastor", address="C. de Sant Adrià, 20")
    workshop = make_workshop(slots=[later(3)], venue=venue)
    calendar = icalendar.Calendar.from_ical(fetch(client, "/calendar.ics?lang=ca").data)

    assert str(calendar["X-WR-CALNAME"]) == "Tallers Internet 4all"
    assert str(calendar["NAME"]) == "Tallers Internet 4all"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT6H"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT6H"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    (item,) = calendar.walk("VEVENT")
    session = workshop.sessions[0]
    assert str(item["UID"]) == f"session-{session.id}@localhost"
    assert item["DTSTAMP"].dt == workshop.updated_at.replace(microsecond=0)
    assert item["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert item["DTSTART"].dt == session.starts_at
    assert item["DTEND"].dt == session.ends_at
    assert str(item["SUMMARY"]) == "Taller de mòbil"
    description = str(item["DESCRIPTION"])
    assert f"ALTA {workshop.public_code}" in description
    assert f"http://localhost/workshops/{workshop.id}?lang=ca" in description
    assert str(item["LOCATION"]).startswith("Biblioteca Bon Pastor, C. de Sant Adrià, 20")
    assert str(item["URL"]) == f"http://localhost/workshops/{workshop.id}?lang=ca"
    assert item["SEQUENCE"] == workshop.sequence
    assert str(item["STATUS"]) == "CONFIRMED"


# Every kind of line break and a few other control characters, as pasted or imported texts
# bring them. PostgreSQL cannot store NUL (requests holding one get 400 at the boundary), so
# only SQLite can bring it to a feed.
NASTY = "Línia u\r\nlínia dos\rtres\nquatre\x00cinc\x0bsis\x1bset, vuit; nou\\"
ANY_CONTROL_BUT_TAB = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def storable(text: str, engine_name: str) -> str:
    return text if engine_name == "sqlite" else text.replace("\x00", "")


def nasty_world(text: str) -> dict:
    """A workshop whose every text holds `text`: title and summary in each language, topic,
    venue, neighbourhood, facilitator (whose name titles their feed), cancellation reason
    (of a second workshop)."""
    topic = make_topic(key="nasty", name_texts={"ca": text, "es": text, "en": text})
    place = make_neighbourhood(name=text)
    texts = {"ca": text, "es": text, "en": text}
    workshop = make_workshop(slots=[later(3), later(10)], titles=texts, summaries=texts,
                             topic=topic, venue=make_venue(place, name=text, address=text))
    cancelled = make_workshop(slots=[later(4)], titles=texts, summaries=ALL, topic=topic,
                              venue=workshop.venue)
    catalogue.cancel(cancelled, reason=text, now=datetime.now(UTC))
    facilitator = make_user([Role.FACILITATOR], name=text)
    facilitator.calendar_token = "n" * 43
    workshop.facilitators = cancelled.facilitators = [facilitator]
    db.session.commit()
    return {"workshop": workshop, "place": place, "topic": topic}


def feed_urls(world: dict) -> dict[str, str]:
    return {"workshop": f"/workshops/{world['workshop'].id}.ics",
            "public": f"/calendar.ics?topic={world['topic'].key}"
                      f"&neighbourhood={world['place'].code}",
            "staff": f"/calendar/staff/{'n' * 43}.ics"}


def assert_valid_feed(body: bytes) -> icalendar.Calendar:
    """Lines end in CRLF and hold no other control character but tabs; `icalendar` and
    `vobject` read the whole calendar."""
    assert body.endswith(b"\r\n")
    for line in body[:-2].split(b"\r\n"):
        assert not ANY_CONTROL_BUT_TAB.search(line), line
    parsed = vobject.readOne(body.decode("utf-8"))
    calendar = icalendar.Calendar.from_ical(body)
    assert len(parsed.vevent_list) == len(calendar.walk("VEVENT"))
    return calendar


@pytest.mark.parametrize(("kind", "events"), [("workshop", 2), ("public", 3), ("staff", 3)])
def test_line_breaks_and_control_characters_in_any_text_leave_every_feed_valid(
        app_context, client, engine_name, kind, events):
    world = nasty_world(storable(NASTY, engine_name))
    body = fetch(client, feed_urls(world)[kind]).data
    calendar = assert_valid_feed(body)

    assert len(calendar.walk("VEVENT")) == events
    for item in calendar.walk("VEVENT"):
        for single_line in (item["SUMMARY"], item["LOCATION"], *item["CATEGORIES"].cats):
            assert "Línia u línia dos tres quatre" in single_line
            assert "\n" not in single_line
        assert "Línia u\nlínia dos\ntres\nquatre" in str(item["DESCRIPTION"])
        assert "set, vuit; nou\\" in str(item["DESCRIPTION"])
    name = vobject.readOne(body.decode("utf-8")).contents["x-wr-calname"][0].value
    assert "Línia u línia dos tres quatre" in name and "\n" not in name


@pytest.fixture
def plain_world(app_context) -> dict:
    return nasty_world("x")


def written_by_icalendar(name, description, language, events, extra_lines=None) -> bytes:
    """`feeds.calendar` as it was written before its own event writer: each event an
    `icalendar.Event`, serialised by `icalendar`. The feeds must match it byte for byte."""
    with force_locale(language):
        cal = icalendar.Calendar()
        cal.add("prodid", feeds.PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("name", icalendar.vText(feeds.feed_line(name)))
        cal.add("x-wr-calname", icalendar.vText(feeds.feed_line(name)))
        cal.add("description", feeds.feed_text(description))
        cal.add("x-wr-caldesc", icalendar.vText(feeds.feed_text(description)))
        cal.add("x-wr-timezone", "Europe/Madrid")
        cal.add("refresh-interval", feeds.REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT6H")
        for event in events:
            texts = feeds._workshop_texts(event.workshop, language, public_sms_number())
            lines = extra_lines(event) if extra_lines else ()
            item = icalendar.Event()
            item.add("uid", f"session-{event.uid_number}@localhost")
            item.add("dtstamp", event.stamp)
            item.add("last-modified", event.stamp)
            item.add("dtstart", event.starts_at.astimezone(MADRID))
            item.add("dtend", event.ends_at.astimezone(MADRID))
            item.add("summary", feeds.feed_line(
                feeds._("Cancelled: %(title)s", title=texts.title) if event.cancelled
                else texts.title))
            item.add("description", feeds.feed_text(feeds._description(event, texts, lines)))
            item.add("location", feeds.feed_line(texts.location))
            item.add("url", texts.url)
            item.add("categories", [feeds.feed_line(texts.category)])
            item.add("sequence", event.workshop.sequence)
            item.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
            item.add("transp", "OPAQUE")
            cal.add_component(item)
        if events:
            cal.add_component(feeds.MADRID_VTIMEZONE)
        return cal.to_ical()


def assert_written_as_icalendar_writes(app, world: dict) -> None:
    """Every kind of feed (public, a workshop's with positions, with extra lines as the
    staff's) in every language, against `written_by_icalendar`."""
    now = datetime.now(UTC)
    with app.test_request_context():
        public = public_feed_events(FeedFilters(), now=now)
        one = feeds.workshop_events(world["workshop"], now=now)
        assert public and one
        for language in ("ca", "es", "en"):
            name, description = feeds.feed_name(FeedFilters(), language)
            for events, extra in ((public, None), (one, None),
                                  (public, lambda event: ["Registered: 3 of 20.", NASTY])):
                assert (feeds.calendar(name, description, language, events, extra)
                        == written_by_icalendar(name, description, language, events, extra))


def test_feeds_are_written_byte_for_byte_as_icalendar_writes_them(app, app_context,
                                                                   engine_name):
    world = nasty_world(storable(NASTY, engine_name))
    make_workshop(slots=[slot(date(2027, 3, 28), time(1), time(3)),
                         slot(date(2027, 10, 31), time(1), time(4))], venue=make_venue(
        name="Un nom molt llarg, amb comes; i punts i comes, que ocupa més d'una línia \\ sí"))
    for length in (65, 66, 67, 68):  # "SUMMARY:" and the title: 73 to 76 octets
        title = "T" * (length - 1) + "à"
        make_workshop(slots=[later(5)], titles={"ca": title, "es": title, "en": title},
                      summaries=ALL)
    catalogue.remove_session(world["workshop"].sessions[1], now=datetime.now(UTC))
    db.session.commit()
    assert_written_as_icalendar_writes(app, world)


@given(title=st.text(max_size=100), summary=st.text(max_size=100),
       topic=st.text(max_size=100), venue=st.text(max_size=100), person=st.text(max_size=100))
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_in_a_workshop_gives_feeds_that_parse(
        client, engine_name, plain_world, title, summary, topic, venue, person):
    title, summary, topic, venue, person = (storable(text, engine_name)
                                            for text in (title, summary, topic, venue, person))
    workshop = plain_world["workshop"]
    workshop.title_texts["ca"] = workshop.title_texts["en"] = title
    workshop.summary_texts["ca"] = summary
    plain_world["topic"].name_texts["ca"] = topic
    workshop.venue.name = workshop.venue.address = plain_world["place"].name = venue
    workshop.facilitators[0].name = person
    db.session.commit()

    for url in feed_urls(plain_world).values():
        assert_valid_feed(fetch(client, url).data)
    assert_written_as_icalendar_writes(client.application, plain_world)


@pytest.mark.parametrize(("day", "utc_hour"), [
    (date(2027, 3, 28), 8),    # clocks go forward that night: 10:00 is CEST, UTC+2
    (date(2027, 3, 27), 9),    # the day before: CET, UTC+1
    (date(2027, 10, 31), 9),   # clocks go back that night: 10:00 is CET, UTC+1
    (date(2027, 10, 30), 8),   # the day before: still CEST
    (date(2045, 3, 26), 8),    # far ahead: the time zone's rules do not run out
    (date(2045, 10, 29), 9),
])
def test_times_on_the_days_the_clocks_change_are_right(app_context, client, day, utc_hour):
    make_workshop(slots=[slot(day, time(10), time(12))])
    body = fetch(client).data

    assert f"DTSTART;TZID=Europe/Madrid:{day:%Y%m%d}T100000".encode() in body
    (item,) = vobject.readOne(body.decode()).vevent_list
    assert item.dtstart.value.astimezone(UTC) == datetime.combine(day, time(utc_hour),
                                                                  tzinfo=UTC)
    (item,) = events_of(body).values()
    assert item["DTSTART"].dt.astimezone(UTC).hour == utc_hour


# --- stability and changes ------------------------------------------------------------------

def test_uids_and_stamps_are_the_same_on_every_build_and_after_a_restart(app, app_context,
                                                                         client):
    make_workshop(slots=[later(3), later(10)])
    first = fetch(client).data
    forget_built_feeds(app)
    second = fetch(client).data
    restarted = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI":
                                          app.config["SQLALCHEMY_DATABASE_URI"]},
                           instance_path=app.instance_path)
    with restarted.app_context():
        third = fetch(restarted.test_client()).data
        db.session.remove()
        db.engine.dispose()

    assert first == second == third
    assert len(events_of(first)) == 2


def test_sequence_rises_when_a_session_moves(app, app_context, client):
    workshop = make_workshop(slots=[later(3), later(10)])
    moved = workshop.sessions[1]
    before = events_of(fetch(client).data)[f"session-{moved.id}@localhost"]

    catalogue.move_session(moved, later(11, hour=17), now=datetime.now(UTC))
    db.session.commit()
    after = events_of(fetch(client).data)[f"session-{moved.id}@localhost"]

    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTART"].dt.astimezone(UTC) == moved.starts_at
    assert after["DTSTAMP"].dt >= before["DTSTAMP"].dt


def test_sequence_rises_when_the_venue_changes_its_address(app_context, client, auth):
    workshop = make_workshop(slots=[later(3)])
    before = next(iter(events_of(fetch(client).data).values()))
    auth.login_as(Role.COORDINATOR)
    venue = workshop.venue
    page = f"/staff/venues/{venue.id}"
    response = post_form(client, page, name=venue.name, address="Carrer Nou, 1",
                         neighbourhood_id=venue.neighbourhood_id)
    assert response.status_code == 302
    auth.logout()

    after = next(iter(events_of(fetch(client).data).values()))
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert "Carrer Nou, 1" in str(after["LOCATION"])


def test_a_cancelled_workshop_stays_thirty_days_as_cancelled(app_context, client):
    workshop = make_workshop(slots=[later(3), later(10)])
    sequence_before = workshop.sequence
    catalogue.cancel(workshop, reason="La biblioteca tanca per obres", now=datetime.now(UTC))
    db.session.commit()

    items = events_of(fetch(client, "/calendar.ics?lang=ca").data).values()
    assert len(items) == 2
    for item in items:
        assert str(item["STATUS"]) == "CANCELLED"
        assert item["SEQUENCE"] > sequence_before
        assert str(item["SUMMARY"]).startswith("Cancel·lat:")
        assert "La biblioteca tanca per obres" in str(item["DESCRIPTION"])
        assert "ALTA" not in str(item["DESCRIPTION"])

    in_31_days = datetime.now(UTC) + timedelta(days=31)
    assert public_feed_events(FeedFilters(), now=in_31_days) == []


def test_a_removed_session_stays_as_cancelled_under_its_old_uid(app_context, client):
    workshop = make_workshop(slots=[later(3), later(10)])
    removed = workshop.sessions[1]
    uid = f"session-{removed.id}@localhost"
    catalogue.remove_session(removed, now=datetime.now(UTC))
    db.session.commit()

    items = events_of(fetch(client).data)
    assert str(items[uid]["STATUS"]) == "CANCELLED"
    assert str(items[f"session-{workshop.sessions[0].id}@localhost"]["STATUS"]) == "CONFIRMED"
    in_31_days = datetime.now(UTC) + timedelta(days=31)
    assert uid not in {f"session-{e.uid_number}@localhost"
                       for e in public_feed_events(FeedFilters(), now=in_31_days)}


def test_sessions_removed_from_a_draft_leave_no_trace(app_context, client):
    workshop = make_workshop(slots=[later(3), later(10)], publish=False)
    catalogue.remove_session(workshop.sessions[1], now=datetime.now(UTC))
    catalogue.publish(workshop, now=datetime.now(UTC))
    db.session.commit()

    assert len(events_of(fetch(client).data)) == 1


def test_drafts_are_not_in_feeds_and_have_no_download(app_context, client):
    draft = make_workshop(slots=[later(3)], publish=False)

    assert events_of(fetch(client).data) == {}
    assert client.get(f"/workshops/{draft.id}.ics").status_code == 404
    assert client.get("/workshops/999999.ics").status_code == 404


# --- filters and language -------------------------------------------------------------------

@pytest.fixture
def two_areas(app_context):
    here, there = make_neighbourhood(), make_neighbourhood()
    digital, money = make_topic(key="mobile"), make_topic(key="banking")
    ours = make_workshop(slots=[later(3)], venue=make_venue(here), topic=digital,
                         audiences=[Audience.OLDER_PEOPLE],
                         titles={"ca": "Mòbil", "es": "Móvil", "en": "Phone"}, summaries=ALL)
    theirs = make_workshop(slots=[later(4)], venue=make_venue(there), topic=money,
                           titles={"ca": "Banca", "es": "Banca", "en": "Banking"}, summaries=ALL)
    return {"here": here, "there": there, "ours": ours, "theirs": theirs}


def feed_titles(client, query: str) -> set[str]:
    return {str(item["SUMMARY"])
            for item in events_of(fetch(client, f"/calendar.ics?{query}").data).values()}


def test_filters_include_and_exclude_the_right_workshops(client, two_areas):
    here, there = two_areas["here"], two_areas["there"]

    assert feed_titles(client, "lang=en") == {"Phone", "Banking"}
    assert feed_titles(client, f"lang=en&neighbourhood={here.code}") == {"Phone"}
    assert feed_titles(client, f"lang=en&district={there.district.code}") == {"Banking"}
    assert feed_titles(client, "lang=en&topic=banking") == {"Banking"}
    assert feed_titles(client, "lang=en&audience=older-people") == {"Phone"}
    assert feed_titles(client, f"lang=en&audience=older-people&district={there.district.code}"
                       ) == set()


def test_unknown_filter_values_are_ignored(client, two_areas):
    assert feed_titles(client, "lang=en&topic=nope&neighbourhood=x&district=%27") == {
        "Phone", "Banking"}


def test_texts_and_the_calendar_name_follow_lang(client, two_areas):
    here = two_areas["here"]
    response = fetch(client, f"/calendar.ics?lang=es&neighbourhood={here.code}&topic=mobile")
    calendar = icalendar.Calendar.from_ical(response.data)

    topic = two_areas["ours"].topic.name_texts["es"]
    assert str(calendar["X-WR-CALNAME"]) == f"Talleres Internet 4all · {here.name} · {topic}"
    (item,) = calendar.walk("VEVENT")
    assert str(item["SUMMARY"]) == "Móvil"
    assert "Para inscribirse, envíe INSCRIBIR" in str(item["DESCRIPTION"])
    assert "Set-Cookie" not in response.headers, "a feed does not switch the visitor's language"


def test_no_personal_data_ever_appears_in_a_feed(app_context, client):
    workshop = make_workshop(slots=[later(3)], capacity=1)
    register(workshop, mobile(1), name="Montserrat Secreta", email="montse@example.org")
    register(workshop, mobile(2), name="Joan Esperant")
    body = b"".join([fetch(client).data, fetch(client, f"/workshops/{workshop.id}.ics").data])

    for private in (b"Montserrat", b"Joan", b"montse@", mobile(1).encode(), mobile(2).encode(),
                    workshop.organiser.name.encode(), workshop.organiser.email.encode()):
        assert private not in body


# --- conditional GET ------------------------------------------------------------------------

def count_queries(app):
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    return statements, lambda: event.remove(engine, "before_cursor_execute", remember)


def test_a_matching_etag_gets_304_without_building_the_calendar(app, client, two_areas):
    url = f"/calendar.ics?lang=ca&district={two_areas['here'].district.code}"
    first = fetch(client, url)
    etag = first.headers["ETag"]
    forget_built_feeds(app)

    statements, stop = count_queries(app)
    try:
        again = client.get(url, headers={"If-None-Match": etag})
    finally:
        stop()
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert len(statements) == 1, statements  # the catalogue's version, nothing else
    with app.app_context():
        assert not db.session.scalars(select(BuiltDocument.key)).all()


def test_if_modified_since_gets_304_until_the_catalogue_changes(app_context, client):
    workshop = make_workshop(slots=[later(3)])
    first = fetch(client)
    last_modified = first.headers["Last-Modified"]

    assert client.get("/calendar.ics",
                      headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get("/calendar.ics", headers={"If-None-Match": '"other"'}).status_code == 200

    catalogue.move_session(workshop.sessions[0], later(5), now=datetime.now(UTC))
    db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_etags_differ_between_languages_and_filters(client, two_areas):
    tags = {fetch(client, url).headers["ETag"] for url in (
        "/calendar.ics?lang=ca", "/calendar.ics?lang=es", "/calendar.ics?lang=ca&topic=mobile",
        f"/workshops/{two_areas['ours'].id}.ics?lang=ca")}
    assert len(tags) == 4


# --- one workshop ---------------------------------------------------------------------------

def test_a_workshop_download_holds_all_its_sessions(app_context, client):
    workshop = make_workshop(slots=[later(3), later(10), later(17)])
    response = fetch(client, f"/workshops/{workshop.id}.ics?lang=en")

    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="workshop-{workshop.public_code}.ics"')
    items = sorted(events_of(response.data).values(), key=lambda item: item["DTSTART"].dt)
    assert [item["DTSTART"].dt for item in items] == [s.starts_at for s in workshop.sessions]
    assert "Session 2 of 3." in str(items[1]["DESCRIPTION"])


def test_the_workshop_page_and_the_manage_link_offer_add_to_calendar(app_context, client):
    workshop = make_workshop(slots=[later(3), later(10)])
    registration = register(workshop, mobile(3))
    first = workshop.sessions[0]
    google_dates = f"{first.starts_at:%Y%m%dT%H%M%SZ}%2F{first.ends_at:%Y%m%dT%H%M%SZ}"

    for page in (f"/workshops/{workshop.id}?lang=en", f"/r/{manage_token(registration)}?lang=en"):
        html = client.get(page).get_data(as_text=True)
        assert f'href="/workshops/{workshop.id}.ics?lang=en"' in html
        assert "Add all 2 sessions to my calendar" in html
        assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
        assert google_dates in html


# --- calendars pages ------------------------------------------------------------------------

def test_the_public_calendars_page_gives_links_and_a_preview(client, two_areas):
    here = two_areas["here"]
    html = client.get(f"/calendars?lang=en&neighbourhood={here.code}&feed_lang=es"
                      ).get_data(as_text=True)

    feed = f"http://localhost/calendar.ics?neighbourhood={here.code}&amp;lang=es"
    assert feed in html
    assert f"webcal://localhost/calendar.ics?neighbourhood={here.code}&amp;lang=es" in html
    assert "This calendar holds 1 session" in html
    assert "Phone" in html and "Banking" not in html
    assert f"Talleres Internet 4all · {here.name}" in html


def test_coordinators_get_the_builder_and_the_schedule_export(client, auth, two_areas):
    auth.login_as(Role.COORDINATOR)
    html = client.get("/staff/calendars?lang=en").get_data(as_text=True)
    assert "Schedule export" in html and "Subscribe in your calendar app" in html

    auth.logout()
    auth.login_as(Role.FACILITATOR)
    html = client.get("/staff/calendars?lang=en").get_data(as_text=True)
    assert "Schedule export" not in html and "Create my calendar address" in html


# --- staff's own feed -----------------------------------------------------------------------

def test_a_facilitator_gets_a_private_feed_of_their_sessions_with_counts_only(
        app, app_context, client, auth):
    facilitator = make_user([Role.FACILITATOR])
    theirs = make_workshop(slots=[later(3)], capacity=1)
    theirs.facilitators = [facilitator]
    db.session.commit()
    make_workshop(slots=[later(4)])  # someone else's
    register(theirs, mobile(1), name="Aina Privada")
    register(theirs, mobile(2), name="Pau Esperant")

    auth.login(facilitator.email)
    post_form(client, "/staff/calendars", "/staff/calendars/my-link")
    db.session.refresh(facilitator)
    token = facilitator.calendar_token
    assert token and len(token) >= 40
    auth.logout()

    response = fetch(client, f"/calendar/staff/{token}.ics?lang=en")
    (item,) = events_of(response.data).values()
    assert str(item["UID"]) == f"session-{theirs.sessions[0].id}@localhost"
    assert "Registered: 1 of 1 places. Waiting list: 1." in str(item["DESCRIPTION"])
    assert b"Aina" not in response.data and b"Pau" not in response.data
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert client.get(f"/calendar/staff/{token}.ics?lang=en",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_a_new_feed_address_revokes_the_old_one(app_context, client, auth):
    facilitator = make_user([Role.FACILITATOR])
    auth.login(facilitator.email)
    post_form(client, "/staff/calendars", "/staff/calendars/my-link")
    db.session.refresh(facilitator)
    old = facilitator.calendar_token
    post_form(client, "/staff/calendars", "/staff/calendars/my-link")
    db.session.refresh(facilitator)
    auth.logout()

    assert facilitator.calendar_token != old
    assert client.get(f"/calendar/staff/{old}.ics").status_code == 404
    assert client.get(f"/calendar/staff/{facilitator.calendar_token}.ics").status_code == 200
    assert client.get("/calendar/staff/guess.ics").status_code == 404


def test_a_deactivated_account_loses_its_feed(app_context, client):
    facilitator = make_user([Role.FACILITATOR])
    facilitator.calendar_token = "t" * 43
    facilitator.active = False
    db.session.commit()

    assert client.get(f"/calendar/staff/{'t' * 43}.ics").status_code == 404


# --- schedule export ------------------------------------------------------------------------

def read_csv(response) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_schedule_export_lists_every_session_in_the_range(app_context, client, auth):
    facilitator = make_user([Role.FACILITATOR], name="=Laia Formula")
    workshop = make_workshop(slots=[later(3, hour=9), later(10, hour=17)], capacity=1,
                             titles={"ca": "Mòbil", "es": "Móvil", "en": "Phone"}, summaries=ALL)
    workshop.facilitators = [facilitator]
    db.session.commit()
    make_workshop(slots=[later(60)])  # outside the range
    register(workshop, mobile(1))
    register(workshop, mobile(2))
    today = datetime.now(UTC).date()

    auth.login_as(Role.COORDINATOR)
    response = client.get(f"/staff/calendars/schedule.csv?lang=en&date_from={today}"
                          f"&date_to={today + timedelta(days=30)}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="schedule-')
    header, *rows = read_csv(response)
    assert header == ["Date", "Start", "End", "Workshop", "SMS code", "Status", "Topic", "Venue",
                      "Neighbourhood", "District", "Facilitators", "Registered", "Capacity",
                      "Waiting list"]
    assert len(rows) == 2
    first = rows[0]
    assert first[1:4] == ["09:00", "11:00", "Phone"]
    assert first[0] == (today + timedelta(days=3)).strftime("%d/%m/%Y")
    assert first[10] == "'=Laia Formula", "cells that look like formulas are escaped"
    assert first[11:] == ["1", "1", "1"]
    assert rows[1][1] == "17:00"


def test_the_schedule_export_holds_no_formula_whatever_separator_it_is_split_on(
        app_context, client, auth):
    facilitator = make_user([Role.FACILITATOR], name="Laia\t=1+1")
    workshop = make_workshop(
        slots=[later(3)], titles={"ca": "Mòbil,=HYPERLINK(1)", "es": "", "en": ""},
        topic=make_topic(name_texts={"ca": "Tema", "es": "Tema", "en": "Phones;@SUM(1)"}),
        venue=make_venue(name="Casal|-2+3", address="C. Nou, 1"))
    workshop.facilitators = [facilitator]
    db.session.commit()

    auth.login_as(Role.COORDINATOR)
    response = client.get("/staff/calendars/schedule.csv?lang=en")
    assert response.status_code == 200
    (row,) = rows_read_with(response.data, ";")[1:]
    assert (row[3], row[6], row[7], row[10]) == (
        "Mòbil,'=HYPERLINK(1)", "Phones;'@SUM(1)", "Casal|'-2+3", "Laia\t'=1+1")
    assert cells_starting_a_formula(response.data) == []


@pytest.mark.parametrize(("query", "message"), [
    ("date_from=2026-12-10&date_to=2026-12-01",
     "The end date must be on or after the start date."),
    ("date_from=2026-01-01&date_to=2029-01-01", "Choose at most two years."),
    ("date_from=&date_to=2026-12-01", "Enter a start date."),
    ("date_from=2026-12-01&date_to=someday", "Enter an end date."),
])
def test_a_bad_export_range_gets_a_clear_error_and_keeps_what_was_typed(
        app_context, client, auth, query, message):
    auth.login_as(Role.COORDINATOR)
    response = client.get(f"/staff/calendars/schedule.csv?lang=en&{query}")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="2026-12-' in html or 'value="someday"' in html or "2029" in html


def test_the_preview_counts_what_the_feed_holds_and_shows_what_is_coming(app_context, client):
    workshop = make_workshop(slots=[later(3), later(10), later(17)],
                             titles={"ca": "Mòbil", "es": "Móvil", "en": "Phone"}, summaries=ALL)
    catalogue.remove_session(workshop.sessions[2], now=datetime.now(UTC))
    db.session.commit()
    feed_size = len(events_of(fetch(client).data))
    html = client.get("/calendars?lang=en").get_data(as_text=True)

    assert feed_size == 3
    assert "This calendar holds 3 sessions" in html
    assert "The next 2:" in html
    assert html.count('<span class="when">') == 2


def test_sign_ups_do_not_make_subscribers_download_the_feed_again(app_context, client):
    workshop = make_workshop(slots=[later(3)])
    etag = fetch(client).headers["ETag"]

    register(workshop, mobile(1))
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304

    workshop.title_texts["en"] = "A new title"
    db.session.commit()
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 200


# --- dates in the page's language -----------------------------------------------------------

@pytest.mark.parametrize("lang, december, april", [
    ("ca", "dijous, 17 de desembre del 2026", "dijous, 8 d’abril del 2027"),
    ("es", "jueves, 17 de diciembre de 2026", "jueves, 8 de abril de 2027"),
    ("en", "Thursday, December 17, 2026", "Thursday, April 8, 2027"),
])
def test_dates_are_written_out_in_full_in_the_pages_language(client, seeded, lang, december,
                                                             april):
    # Thursday 17 December 2026 and Thursday 8 April 2027, counted from the frozen clock.
    days = [TEST_NOW.date() + timedelta(days=20), TEST_NOW.date() + timedelta(days=132)]
    workshop = make_workshop(slots=[slot(day, time(10), time(12)) for day in days])
    for page in ("/calendars", f"/workshops/{workshop.id}"):
        html = unescape(client.get(f"{page}?lang={lang}").get_data(as_text=True))
        assert december in html and april in html, page


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_the_calendars_page_abbreviates_no_day_or_month(client, seeded, lang):
    make_workshop(slots=[later(days) for days in (3, 40, 75, 130)])
    html = unescape(client.get(f"/calendars?lang={lang}").get_data(as_text=True))
    preview = re.search(r'<ol class="session-list calendar-preview">(.*?)</ol>', html,
                        re.S).group(1)
    when = " ".join(re.findall(r'<span class="when">([^<]+)</span>', preview))
    locale = Locale.parse(lang)
    short_names = (list(locale.days["format"]["abbreviated"].values())
                   + list(locale.months["format"]["abbreviated"].values()))
    found = [name for name in short_names
             if re.search(rf"(?<!\w){re.escape(name)}(?=[\s,.]|$)", when)
             and name not in (list(locale.days["format"]["wide"].values())
                              + list(locale.months["format"]["wide"].values()))]
    assert when and found == []
    buttons = re.findall(r'class="button[^"]*"[^>]*>([^<]+)<', html)
    assert buttons and not [text for text in buttons if ".ics" in text]


# --- built once, for every process ----------------------------------------------------------

def built(kind: str = "calendar", source: str | None = None) -> float:
    """Feeds built by this process so far (or served from `source`), as /metrics counts them."""
    if source is None:
        return REGISTRY.get_sample_value("workshops_documents_built_total", {"kind": kind}) or 0
    return REGISTRY.get_sample_value("workshops_documents_served_total",
                                     {"kind": kind, "source": source}) or 0


@pytest.fixture
def second_process(app):
    """Another instance of the app on the same database, as another worker would be."""
    other = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI":
                                      app.config["SQLALCHEMY_DATABASE_URI"]},
                       instance_path=app.instance_path)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_feed_is_built_once_for_every_process_and_again_after_each_change(
        app_context, client, second_process):
    workshop = make_workshop(slots=[later(3)])
    url = "/calendar.ics?lang=en"
    before = built()
    first = fetch(client, url)
    assert built() - before == 1
    elsewhere = fetch(second_process.test_client(), url)
    assert elsewhere.data == first.data and elsewhere.headers["ETag"] == first.headers["ETag"]
    assert built() - before == 1, "the other process read what this one built"

    moved_to = later(5)
    catalogue.move_session(workshop.sessions[0], moved_to, now=datetime.now(UTC))
    db.session.commit()
    changed = fetch(second_process.test_client(), url)
    assert changed.headers["ETag"] != first.headers["ETag"]
    (item,) = events_of(changed.data).values()
    assert item["DTSTART"].dt == moved_to.starts_at
    here = fetch(client, url)
    assert here.headers["ETag"] == changed.headers["ETag"] and here.data == changed.data
    assert built() - before == 2


def test_a_request_that_finds_a_build_under_way_waits_for_it_then_builds_itself(
        app, app_context, client, monkeypatch):
    """Another process claimed the feed and has not stored it: after `WAIT_SECONDS` the
    request builds the feed itself rather than fail, and stores it."""
    make_workshop(slots=[later(3)])
    etag = fetch(client).headers["ETag"].strip('"')
    forget_built_feeds(app)
    db.session.add(BuiltDocument(key=etag, kind="calendar", generation="g", size=0,
                                 claimed_at=datetime.now(UTC)))
    db.session.commit()
    monkeypatch.setattr(built_documents, "WAIT_SECONDS", 0.3)
    fallbacks = built(source="fallback")

    body = fetch(client).data
    assert built(source="fallback") - fallbacks == 1
    db.session.rollback()
    assert db.session.get(BuiltDocument, etag).body == body


def test_a_claim_left_by_a_process_that_died_is_taken_over_at_once(app, app_context, client):
    make_workshop(slots=[later(3)])
    etag = fetch(client).headers["ETag"].strip('"')
    forget_built_feeds(app)
    db.session.add(BuiltDocument(key=etag, kind="calendar", generation="g", size=0,
                                 claimed_at=datetime.now(UTC) - timedelta(minutes=2)))
    db.session.commit()
    builds = built()

    started = perf_counter()
    body = fetch(client).data
    assert perf_counter() - started < built_documents.WAIT_SECONDS / 2
    assert built() - builds == 1
    db.session.rollback()
    assert db.session.get(BuiltDocument, etag).body == body


def test_feeds_of_an_older_catalogue_go_and_the_stored_feeds_stay_few(
        app_context, client, clock, monkeypatch):
    workshop = make_workshop(slots=[later(3)])
    for lang in ("ca", "es"):
        fetch(client, f"/calendar.ics?lang={lang}")
    workshop.title_texts["ca"] = "Un altre títol"
    db.session.commit()
    clock.shift(built_documents.KEEP_OTHER_GENERATIONS + timedelta(seconds=1))
    current = fetch(client, "/calendar.ics?lang=ca").headers["ETag"].strip('"')
    db.session.rollback()
    assert db.session.scalars(select(BuiltDocument.key)).all() == [current]

    monkeypatch.setattr(built_documents, "MAX_PER_KIND", 2)
    for url in ("/calendar.ics?lang=es", "/calendar.ics?lang=en",
                f"/calendar.ics?lang=en&district={workshop.venue.neighbourhood.district.code}"):
        fetch(client, url)
    db.session.rollback()
    assert len(db.session.scalars(select(BuiltDocument.key)).all()) == 2


@pytest.fixture
def two_workers(migrated_database_url, app_context, tmp_path):
    """The app under real gunicorn with two worker processes, counting into one /metrics."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": migrated_database_url,
        "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "60", "app:app"],
        cwd=PROJECT_ROOT, env=env)
    deadline = monotonic() + 30
    while not answers_healthz(port):
        if monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("gunicorn did not answer /healthz within 30 s")
        sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=30)


def builds_counted_by_metrics(port: int, kind: str) -> float:
    """workshops_documents_built_total for `kind`, added up over every worker."""
    _status, _location, text = Client(port).request("GET", "/metrics")
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(f'workshops_documents_built_total{{kind="{kind}"}}'))


def all_get(port: int, path: str, times: int) -> set[str]:
    """`times` simultaneous GETs of `path`; the different bodies they got (all 200)."""
    outcomes, _wall = all_at_once([lambda: Client(port).request("GET", path)] * times)
    assert {status for (status, _location, _body), _seconds in outcomes} == {200}
    return {body for (_status, _location, body), _seconds in outcomes}


@pytest.mark.real_clock
def test_two_gunicorn_workers_build_a_feed_once_per_change(two_workers, app_context):
    workshop = make_workshop(slots=[later(3)])
    path = "/calendar.ics?lang=en"
    (first,) = all_get(two_workers, path, 8)
    assert builds_counted_by_metrics(two_workers, "calendar") == 1

    moved_to = later(6)
    catalogue.move_session(workshop.sessions[0], moved_to, now=datetime.now(UTC))
    db.session.commit()
    (changed,) = all_get(two_workers, path, 8)
    (item,) = events_of(changed.encode()).values()
    assert item["DTSTART"].dt == moved_to.starts_at
    assert builds_counted_by_metrics(two_workers, "calendar") == 2
