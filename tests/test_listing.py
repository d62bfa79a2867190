"""The public catalogue: home, listing filters, pagination, poster; a fixed number of queries."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import event, select

from tests.conftest import TEST_NOW
from tests.factories import make_topic, make_venue, make_workshop
from workshops.catalogue.local_time import Slot, local_to_utc
from workshops.extensions import db
from workshops.places.models import Neighbourhood

NOW = TEST_NOW  # where the suite's clock starts (see conftest)


def slot_in(days, hours=2):
    start = (NOW + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return Slot(start, start + timedelta(hours=hours))


def titles(client, query=""):
    html = client.get(f"/workshops{query}").get_data(as_text=True)
    return {title for title in ("Alpha", "Bravo", "Charlie", "Delta") if f">{title}<" in html}


@pytest.fixture
def four_workshops(app_context, seeded):
    """Alpha (Raval, step-free, women, es), Bravo (Trinitat Nova, full), Charlie (Trinitat
    Nova, in three weeks), Delta (a draft)."""
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    trinitat = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 53))
    safety = make_topic(key="online-safety")
    email = make_topic(key="internet-email")
    step_free = make_venue(neighbourhood=raval, step_free_access=True)
    stairs = make_venue(neighbourhood=trinitat, step_free_access=False)

    def texts(title):
        return {"titles": {"ca": title, "es": "", "en": ""},
                "summaries": {"ca": f"Resum {title}", "es": "", "en": ""}}

    make_workshop(**texts("Alpha"), venue=step_free, topic=safety, audiences=["women"],
                  instruction_language="es", slots=[slot_in(2)])
    bravo = make_workshop(**texts("Bravo"), venue=stairs, topic=email, slots=[slot_in(3)],
                          capacity=5)
    bravo.seats_taken = 5
    make_workshop(**texts("Charlie"), venue=stairs, topic=email, slots=[slot_in(21)])
    make_workshop(**texts("Delta"), venue=stairs, topic=email, slots=[slot_in(4)],
                  publish=False)
    db.session.commit()


@pytest.mark.parametrize("query, expected", [
    ("", {"Alpha", "Bravo", "Charlie"}),
    ("?district=01", {"Alpha"}),
    ("?district=08", {"Bravo", "Charlie"}),
    ("?neighbourhood=53", {"Bravo", "Charlie"}),
    ("?neighbourhood=1&district=08", set()),
    ("?topic=online-safety", {"Alpha"}),
    ("?language=es", {"Alpha"}),
    ("?audience=women", {"Alpha"}),
    ("?step_free=y", {"Alpha"}),
    ("?free_seats=y", {"Alpha", "Charlie"}),
])
def test_filters_include_and_exclude_the_right_workshops(client, four_workshops, query,
                                                         expected):
    assert titles(client, query) == expected


def test_a_date_range_keeps_workshops_with_a_session_in_it(client, four_workshops):
    start = (NOW + timedelta(days=14)).astimezone().date().isoformat()
    end = (NOW + timedelta(days=28)).astimezone().date().isoformat()
    assert titles(client, f"?date_from={start}&date_to={end}") == {"Charlie"}
    assert titles(client, f"?date_to={start}") == {"Alpha", "Bravo"}


@pytest.mark.parametrize("query", [
    "?district=99", "?neighbourhood=abc", "?topic=<script>", "?date_from=31/02/2026",
    "?page=-4", "?page=9999", "?language=xx", "?audience=aliens",
])
def test_unexpected_filter_values_are_ignored_not_errors(client, four_workshops, query):
    response = client.get(f"/workshops{query}")
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)


def test_no_match_shows_a_clear_empty_state_with_a_way_out(client, four_workshops):
    html = client.get("/workshops?neighbourhood=73&lang=en").get_data(as_text=True)
    assert "No workshop matches these filters right now." in html
    assert 'href="/workshops"' in html


def test_workshops_that_are_over_are_not_listed(client, app_context):
    past = make_workshop(titles={"ca": "Alpha", "es": "", "en": ""},
                         now=NOW - timedelta(days=10), slots=[slot_in(-5)])
    assert past.id
    assert titles(client) == set()


def test_the_listing_is_paginated(client, app_context):
    venue, topic = make_venue(), make_topic()
    for n in range(23):
        make_workshop(titles={"ca": f"Taller {n:02d}", "es": "", "en": ""}, venue=venue,
                      topic=topic, slots=[slot_in(2 + n)])
    first = client.get("/workshops?lang=en").get_data(as_text=True)
    second = client.get("/workshops?lang=en&page=2").get_data(as_text=True)
    assert "Taller 00" in first and "Taller 19" in first and "Taller 20" not in first
    assert "Taller 20" in second and "Page 2 of 2" in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def count_queries(app, client, url):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_listing_needs_the_same_number_of_queries_for_10_or_500_workshops(
        app, client, app_context):
    venue, topic = make_venue(), make_topic()
    start = slot_in(3)
    for n in range(10):
        make_workshop(venue=venue, topic=topic, slots=[start], audiences=["women"],
                      titles={"ca": f"W{n}", "es": "", "en": ""})
    with_10 = count_queries(app, client, "/workshops?lang=ca")
    for n in range(490):
        make_workshop(venue=make_venue() if n % 50 == 0 else venue, topic=topic,
                      slots=[start], titles={"ca": f"X{n}", "es": "", "en": ""})
    with_500 = count_queries(app, client, "/workshops?lang=ca&page=3")
    assert with_10 == with_500
    assert with_500 <= 12


def test_home_shows_next_workshops_a_neighbourhood_picker_and_sms_help(client, app):
    app.config["TWILIO_FROM_NUMBER"] = "+34612345678"
    with app.app_context():
        from tests.factories import make_workshop as make

        make(titles={"ca": "Alpha", "es": "", "en": ""}, slots=[slot_in(2)])
        from workshops.places.seed import seed_places

        seed_places()
        db.session.commit()
    html = client.get("/?lang=ca").get_data(as_text=True)
    assert ">Alpha<" in html
    assert 'name="neighbourhood"' in html and "la Trinitat Nova" in html
    assert "ALTA 123" in html and "+34 612 34 56 78" in html


def test_the_poster_is_in_the_chosen_language_with_sms_instruction_and_qr(client, app):
    app.config["TWILIO_FROM_NUMBER"] = "+34612345678"
    with app.app_context():
        workshop = make_workshop(titles={"ca": "Alpha", "es": "Alfa", "en": "Alpha EN"},
                                 summaries={"ca": "a", "es": "b", "en": "c"},
                                 public_code="456", slots=[slot_in(2)])
        workshop_id = workshop.id
    spanish = client.get(f"/workshops/{workshop_id}/poster?lang=es").get_data(as_text=True)
    assert "INSCRIBIR 456" in spanish and "+34 612 34 56 78" in spanish and ">Alfa<" in spanish
    assert 'class="poster-qr"' in spanish and "<title>Alfa</title>" in spanish
    assert f"http://localhost/workshops/{workshop_id}" in spanish
    english = client.get(f"/workshops/{workshop_id}/poster?lang=en").get_data(as_text=True)
    assert "JOIN 456" in english


def test_the_detail_page_shows_sessions_venue_access_and_places(client, app_context):
    venue = make_venue(name="Biblioteca Zona Nord", hearing_loop=True, childcare=False)
    day = (NOW + timedelta(days=10)).date()
    start = local_to_utc(day, time(17, 30))
    workshop = make_workshop(venue=venue, capacity=10, slots=[Slot(start, start + timedelta(
        hours=1, minutes=30))])
    workshop.seats_taken = 10
    db.session.commit()
    html = client.get(f"/workshops/{workshop.id}?lang=en").get_data(as_text=True)
    assert "Biblioteca Zona Nord" in html and "17:30 to 19:00" in html
    assert "Yes: Hearing loop" in html and "No: Childcare during the session" in html
    assert "Full: you can join the waiting list" in html
    assert f"JOIN {workshop.public_code}" in html


def test_a_date_in_the_filters_form_is_kept(client, four_workshops):
    html = client.get("/workshops?date_from=2026-12-01&step_free=y").get_data(as_text=True)
    assert 'value="2026-12-01"' in html and "checked" in html
    assert date(2026, 12, 1)
