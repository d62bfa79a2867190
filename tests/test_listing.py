"""The public catalogue: home, listing filters, pagination, poster; a fixed number of queries."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from tests.conftest import TEST_NOW
from tests.factories import make_topic, make_venue, make_workshop
from workshops.catalogue.local_time import Slot, local_to_utc
from workshops.catalogue.models import Workshop
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


def filters_form_of(html: str) -> str:
    return html[html.index('<details class="filters-fold">'):html.index("</details>")]


def test_the_filters_keep_their_values_on_every_page_and_carry_no_stranger_argument(
        client, app_context):
    for n in range(25):
        make_workshop(titles={"ca": f"Taller {n}", "es": "", "en": ""})
    first = client.get("/workshops?step_free=y&utm_source=poster").get_data(as_text=True)
    second = client.get("/workshops?step_free=y&utm_source=poster&page=2").get_data(
        as_text=True)
    assert filters_form_of(first) == filters_form_of(second)
    ticked = r'<input checked id="{}"'
    assert re.search(ticked.format("step_free"), filters_form_of(first))
    assert "utm_source" not in filters_form_of(first)
    other = filters_form_of(client.get("/workshops?free_seats=y").get_data(as_text=True))
    assert re.search(ticked.format("free_seats"), other)
    assert not re.search(ticked.format("step_free"), other)


# Cards tell the truth: places and the SMS code only while sign-up is open


def card_of(html: str, workshop_id: int) -> str:
    start = html.index(f'aria-labelledby="workshop-{workshop_id}-title"')
    return html[start:html.index("</article>", start)]


def card_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'aria-labelledby="workshop-(\d+)-title"', html)]


def test_no_card_offers_a_place_or_a_code_for_a_workshop_that_refuses_sign_ups_in_the_demo(
        runner, client, seeded):
    assert runner.invoke(args=["demo"]).exit_code == 0
    workshops = {w.id: w for w in db.session.scalars(select(Workshop))}
    refusing = {i for i, w in workshops.items() if not w.registration_is_open(NOW)}
    open_in_sql = set(db.session.scalars(
        select(Workshop.id).where(Workshop.registration_is_open(NOW))))
    assert open_in_sql == set(workshops) - refusing  # the rule's two spellings agree
    pages = ["/", "/?lang=es"] + [f"/workshops?page={n}&lang=en" for n in range(1, 4)] + [
        "/workshops?neighbourhood=53", "/workshops?near=41.4494,2.1830"]
    seen_refusing = set()
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        for workshop_id in card_ids(html):
            card = card_of(html, workshop_id)
            if workshop_id in refusing:
                seen_refusing.add(workshop_id)
                assert "sms-code" not in card and "status-open" not in card, (url, card)
            else:
                assert workshops[workshop_id].public_code in card
    assert seen_refusing, "the demo has started workshops: the check must meet some"


@pytest.fixture
def states(app_context, seeded):
    """Workshops in each state a card can show."""
    venue = make_venue(neighbourhood=db.session.scalar(
        select(Neighbourhood).where(Neighbourhood.code == 1)))

    def workshop(title, code, slots, **overrides):
        return make_workshop(titles={"ca": title, "es": "", "en": ""}, public_code=code,
                             venue=venue, slots=slots, now=NOW - timedelta(days=20),
                             **overrides)

    started = workshop("Started", "201", [slot_in(-2), slot_in(5)])
    closed = workshop("Closed", "202", [slot_in(6)],
                      registration_closes_at=NOW - timedelta(hours=1))
    full_open = workshop("FullOpen", "203", [slot_in(7)], capacity=1)
    full_closed = workshop("FullClosed", "204", [slot_in(8)], capacity=1,
                           registration_closes_at=NOW - timedelta(hours=1))
    not_yet = workshop("NotYet", "205", [slot_in(9)],
                       registration_opens_at=NOW + timedelta(days=2))
    for full in (full_open, full_closed):
        full.seats_taken = 1
    db.session.commit()
    return {"started": started, "closed": closed, "full_open": full_open,
            "full_closed": full_closed, "not_yet": not_yet}


@pytest.mark.parametrize("name, says, shows_code", [
    ("started", "Already started: sign-up is closed", False),
    ("closed", "Sign-up is closed", False),
    ("full_open", "Full: you can join the waiting list", True),
    ("full_closed", "Full, and sign-up is closed", False),
    ("not_yet", "Registration opens on", False),
])
def test_a_card_says_why_a_workshop_cannot_be_joined_and_shows_the_code_only_when_it_can(
        client, states, name, says, shows_code):
    workshop = states[name]
    card = card_of(client.get("/workshops?lang=en").get_data(as_text=True), workshop.id)
    assert says in card
    assert ("sms-code" in card) is shows_code
    assert "place left" not in card and "places left" not in card


def test_only_with_free_places_leaves_out_workshops_that_refuse_sign_ups(client, states):
    html = client.get("/workshops?free_seats=y&lang=en").get_data(as_text=True)
    assert card_ids(html) == []


def test_workshops_are_ordered_by_their_next_session_still_to_come(client, states):
    """Started (first session two days ago, next in five) comes before one starting in six."""
    html = client.get("/workshops").get_data(as_text=True)
    order = card_ids(html)
    assert order == [states[n].id for n in
                     ("started", "closed", "full_open", "full_closed", "not_yet")]


# Near me


def place_venue(code, latitude, longitude, title):
    neighbourhood = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))
    venue = make_venue(neighbourhood=neighbourhood, latitude=latitude, longitude=longitude)
    return make_workshop(titles={"ca": title, "es": "", "en": ""}, venue=venue,
                         slots=[slot_in(3)])


@pytest.fixture
def spread(app_context, seeded):
    """Drassanes (Raval), Barceloneta, Trinitat Nova, and a venue with no coordinates."""
    workshops = {
        "Drassanes": place_venue(1, 41.3776, 2.1735, "Drassanes"),
        "Barceloneta": place_venue(3, 41.3808, 2.1892, "Barceloneta"),
        "Trinitat": place_venue(53, 41.4494, 2.1830, "Trinitat"),
        "Nowhere": place_venue(1, None, None, "Nowhere"),
    }
    db.session.commit()
    return workshops


def listed_titles(client, query):
    html = client.get(f"/workshops{query}").get_data(as_text=True)
    return [re.search(r'-title">\s*<a [^>]*>([^<]*)<', card_of(html, i)).group(1)
            for i in card_ids(html)], html


def test_near_orders_by_distance_and_shows_it_in_the_language_s_number_format(
        client, spread, engine_name):
    # Plaça Reial: 320 m from Drassanes, 1.2 km from Barceloneta, 7.7 km from Trinitat Nova.
    titles, html = listed_titles(client, "?near=41.3801,2.1753&lang=ca")
    assert titles == ["Drassanes", "Barceloneta", "Trinitat", "Nowhere"], engine_name
    distances = re.findall(r'class="distance">([^<]*)<', html)
    assert distances == ["a 320 m", "a 1,2 km", "a 7,7 km"]
    _titles, html = listed_titles(client, "?near=41.3801,2.1753&lang=en")
    assert re.findall(r'class="distance">([^<]*)<', html)[1] == "1.2 km away"
    # From the north the order turns round.
    titles, _html = listed_titles(client, "?near=41.4480,2.1850")
    assert titles == ["Trinitat", "Barceloneta", "Drassanes", "Nowhere"]


def test_choosing_a_neighbourhood_sorts_its_workshops_by_distance_from_its_centre(
        client, spread):
    place_venue(1, 41.3792, 2.1700, "Raval centre")
    titles, html = listed_titles(client, "?neighbourhood=1&lang=en")
    # The Raval's centre (from the shipped file) is 41.3790, 2.1704.
    assert titles == ["Raval centre", "Drassanes", "Nowhere"]
    assert "Nearest first, from the centre of the neighbourhood." in html


def test_a_neighbourhood_with_no_workshop_offers_the_nearest_ones_elsewhere(client, spread):
    html = client.get("/workshops?neighbourhood=2&lang=en").get_data(as_text=True)
    assert "See the nearest workshops in other neighbourhoods" in html
    link = re.search(r'href="(/workshops\?near=[^"]+)"', html).group(1)
    titles, _html = listed_titles(client, link.replace("/workshops", "").replace("&amp;", "&"))
    assert titles[0] in ("Drassanes", "Barceloneta")


@pytest.mark.parametrize("near", ["abc", "41.38", "91,2", "41.38,200", "nan,2", "inf,1",
                                  "41,38,2,17", "1e400,2"])
def test_an_unreadable_near_is_ignored_with_a_message(client, spread, near):
    response = client.get("/workshops", query_string={"near": near, "lang": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We could not read that location, so the workshops are in date order." in html
    assert 'class="distance"' not in html


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(near=st.one_of(
    st.text(max_size=40),
    st.tuples(st.floats(), st.floats()).map(lambda p: f"{p[0]},{p[1]}"),
    st.tuples(st.floats(-90, 90), st.floats(-180, 180)).map(lambda p: f"{p[0]},{p[1]}")))
def test_no_near_value_reaches_a_5xx_and_a_readable_one_lists_by_distance(
        client, spread, near):
    response = client.get("/workshops", query_string={"near": near})
    if "\x00" in near:  # NUL is refused everywhere (workshops.boundary)
        assert response.status_code == 400
        return
    assert response.status_code == 200
    distances = [float(d.replace("\xa0", " ").split()[1].replace(".", "").replace(",", "."))
                 * (1000 if "km" in d else 1) for d in re.findall(
                     r'class="distance">([^<]*)<', response.get_data(as_text=True))]
    assert distances == sorted(distances)


# One screen to results: folded filters that count, chips that drop one filter


def test_filters_fold_behind_a_button_that_counts_them_and_chips_drop_one_each(client, spread):
    html = client.get("/workshops?district=01&step_free=y&topic=&lang=en").get_data(
        as_text=True)
    assert re.search(r"<summary[^>]*>\s*Filters \(2 active\)", html)
    chips = dict((label.strip(), href) for href, label in re.findall(
        r'<a class="chip" href="([^"]+)">.*?</span>([^<]*)<span', html))
    assert set(chips) == {"District: Ciutat Vella", "Step-free access only"}
    assert "district" not in chips["District: Ciutat Vella"]
    assert "step_free=y" in chips["District: Ciutat Vella"].replace("&amp;", "&")
    assert "lang=en" in chips["Step-free access only"]


# On a 320 × 640 phone, in each language, with and without JavaScript (real Chromium)

PHONE = {"width": 320, "height": 640}
LOCALES = {"ca": "ca-ES", "es": "es-ES", "en": "en-GB"}
TRINITAT_NOVA = {"latitude": 41.4494, "longitude": 2.1830}


@pytest.fixture
def phone_catalogue(app, live_server):
    """Workshops at real venues with coordinates, across the city, with long titles (browser
    tests read the real clock: dates from it)."""
    today = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with app.app_context():
        for code, latitude, longitude in ((53, 41.4494, 2.1830), (50, 41.4479, 2.1752),
                                          (1, 41.3776, 2.1735), (70, 41.4167, 2.2120)):
            neighbourhood = db.session.scalar(
                select(Neighbourhood).where(Neighbourhood.code == code))
            venue = make_venue(neighbourhood=neighbourhood, latitude=latitude,
                               longitude=longitude,
                               name="Casal de Barri i Biblioteca Municipal del barri")
            for days in (2, 9):
                make_workshop(titles={"ca": "Cita prèvia i tràmits amb l'Ajuntament des del "
                                            "mòbil", "es": "", "en": ""},
                              venue=venue, slots=[Slot(today + timedelta(days=days),
                                                       today + timedelta(days=days, hours=2))])
    return live_server


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_the_first_result_is_in_the_first_screen_in_every_language(
        browser, phone_catalogue, javascript):
    from axe_playwright_python.sync_playwright import Axe

    from tests.test_accessibility import AXE_OPTIONS

    for language, locale in LOCALES.items():
        context = browser.new_context(viewport=PHONE, locale=locale, bypass_csp=True,
                                      java_script_enabled=javascript)
        page = context.new_page()
        page.goto(f"{phone_catalogue}/?lang={language}")
        assert page.locator("form.inline-picker button").bounding_box()["y"] + 48 <= 640
        found = {"home": _page_checks(page, Axe, AXE_OPTIONS, javascript)}
        page.locator("#home-neighbourhood").select_option("53")
        page.locator("form.inline-picker button").click()
        page.wait_for_url("**/workshops?neighbourhood=53")
        first_card = page.locator(".workshop-card").first.bounding_box()
        assert first_card["y"] < 640, (language, javascript, first_card)
        date_lines = page.locator(".workshop-card time").first.evaluate(
            "date => new Set([...date.getClientRects()].map(r => Math.round(r.top))).size")
        assert date_lines <= 2, (language, date_lines)  # not five lines at 320 px
        assert page.locator("details.filters-fold").get_attribute("open") is None
        found["listing"] = _page_checks(page, Axe, AXE_OPTIONS, javascript)
        page.locator("details.filters-fold > summary").click()  # the filters unfold
        assert page.locator("#neighbourhood").is_visible()
        found["filters"] = _page_checks(page, Axe, AXE_OPTIONS, javascript)
        context.close()
        assert found == {name: (320, []) for name in found}, (language, javascript)


def _page_checks(page, axe, options, with_axe):
    """The page's width, and axe's violations (axe needs JavaScript: run it once, with)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if not with_axe:
        return width, []
    return width, [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
                   for v in axe().run(page, options=options).response["violations"]]


@pytest.mark.browser
def test_use_my_location_sorts_by_distance_where_the_browser_allows(browser, phone_catalogue):
    context = browser.new_context(viewport=PHONE, locale="es-ES", geolocation=TRINITAT_NOVA,
                                  permissions=["geolocation"])
    page = context.new_page()
    page.goto(f"{phone_catalogue}/?lang=es")
    page.get_by_role("button", name="Usar mi ubicación").click()
    page.wait_for_url(lambda url: "near=41.44940%2C2.18300" in url)
    distances = page.locator(".workshop-card .distance").all_inner_texts()
    context.close()
    assert distances[:2] == ["a 10 m", "a 10 m"] and distances[-1].endswith("km")
