"""Reach statistics: every figure checked against a small dataset counted by hand."""

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from tests.factories import (
    attend,
    make_district,
    make_neighbourhood,
    make_topic,
    make_user,
    make_venue,
    make_workshop,
    register,
    walk_in,
)
from workshops.accounts.models import Role
from workshops.catalogue.local_time import Slot
from workshops.catalogue.services import cancel as cancel_workshop
from workshops.extensions import db
from workshops.reach.facts import stale_rows
from workshops.reach.queries import (
    BY_HOME,
    BY_VENUE,
    ReachFilters,
    default_period,
    local_today,
    reach,
)
from workshops.registrations.erasure import erase_resident
from workshops.registrations.models import AgeBand, Channel, Gender
from workshops.registrations.services import cancel as cancel_registration

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
PERIOD = default_period(date(2026, 6, 15))


def sessions_on(shift, *days):
    return [Slot(datetime(*day, 16, 0, tzinfo=UTC) + shift,
                 datetime(*day, 18, 0, tzinfo=UTC) + shift) for day in days]


@dataclass
class World:
    district_one: object
    district_two: object
    a: object  # priority, 20,000 inhabitants: the venue of W1 and W4
    b: object  # not a priority, 10,000 inhabitants: nothing is held here
    c: object  # priority, 5,000 inhabitants: the venue of W2
    topic_one: object
    topic_two: object


def build_world(shift=timedelta(0)):
    """Four people from A, B and C and one from outside Barcelona, in three workshops that
    count, plus one cancelled workshop, one before the period and one still to come.

    W1 (venue A, topic 1, for women, 2 seats, 3 sessions in March, all held):
      Anna (lives A, web) present 3/3; Berta (lives B, SMS) present, absent, no mark;
      Carles (lives C, web) waitlisted, never got a seat; Dolors (outside Barcelona) walks in
      at the 2nd session, present at the 2nd and 3rd, no mark for the 1st.
    W2 (venue C, topic 2, 5 seats, 2 sessions in April): Anna again (SMS) present 2/2 — she
      attends outside her own neighbourhood; Eva (lives C, web) present, absent, and later
      erased; Ferran (lives C, staff) cancelled before it began.
    W3 (venue A) was cancelled; Gemma registered for it.
    W4 (venue A, topic 1, 3 seats) is half-way: 8 June held, 22 June to come. Hugo (lives A,
      web) present; Ines (lives B, SMS) not marked yet.
    W0 (venue A, March 2025, before the period): Hugo was present, so he is not new.
    W5 (venue A, July 2026, after the period): Anna registered; it does not count.

    `shift` moves every date by whole days, so that pages (which count up to the real now)
    see the same world relative to today as the queries see relative to NOW.
    """
    one = make_district(code="01", name="District One", population=30_000)
    two = make_district(code="02", name="District Two", population=5_000)
    a = make_neighbourhood(one, code=101, name="Alfa", population=20_000, income_index=70.0,
                           priority=True)
    b = make_neighbourhood(one, code=102, name="Bravo", population=10_000, income_index=110.0,
                           priority=False)
    c = make_neighbourhood(two, code=201, name="Charlie", population=5_000, income_index=60.0,
                           priority=True)
    venue_a, venue_c = make_venue(a), make_venue(c)
    topic_one, topic_two = make_topic(), make_topic()
    organiser = make_user([Role.ORGANISER])
    people = {
        "anna": dict(phone="611000001", home_neighbourhood=a, age_band=AgeBand.FROM_65,
                     gender=Gender.WOMAN),
        "berta": dict(phone="611000002", home_neighbourhood=b, age_band=AgeBand.FROM_30,
                      gender=Gender.WOMAN),
        "carles": dict(phone="611000003", home_neighbourhood=c, age_band=AgeBand.FROM_45,
                       gender=Gender.MAN),
        "dolors": dict(phone="611000004", lives_outside_barcelona=True),
        "eva": dict(phone="611000005", home_neighbourhood=c, age_band=AgeBand.UNDER_30,
                    gender=Gender.NON_BINARY),
        "ferran": dict(phone="611000006", home_neighbourhood=c),
        "gemma": dict(phone="611000007", home_neighbourhood=a),
        "hugo": dict(phone="611000008", home_neighbourhood=a, age_band=AgeBand.FROM_75,
                     gender=Gender.MAN),
        "ines": dict(phone="611000009", home_neighbourhood=b, gender=Gender.WOMAN),
    }

    def sign_up(workshop, who, channel, now):
        details = dict(people[who])
        return register(workshop, details.pop("phone"), channel=channel, now=now, **details)

    early = datetime(2025, 2, 1, tzinfo=UTC) + shift
    w0 = make_workshop(organiser=organiser, venue=venue_a, topic=topic_one, now=early,
                       slots=sessions_on(shift, (2025, 3, 10)))
    attend(sign_up(w0, "hugo", Channel.WEB, early), w0.sessions[0])

    created = datetime(2026, 2, 1, tzinfo=UTC) + shift
    w1 = make_workshop(organiser=organiser, venue=venue_a, topic=topic_one, capacity=2,
                       audiences=["women"], now=created,
                       slots=sessions_on(shift, (2026, 3, 2), (2026, 3, 9), (2026, 3, 16)))
    s1, s2, s3 = w1.sessions
    anna = sign_up(w1, "anna", Channel.WEB, created)
    berta = sign_up(w1, "berta", Channel.SMS, created)
    sign_up(w1, "carles", Channel.WEB, created)  # full: waitlisted for good
    for session in (s1, s2, s3):
        attend(anna, session)
    attend(berta, s1)
    attend(berta, s2, present=False)
    dolors = walk_in(w1, s2, people["dolors"]["phone"], lives_outside_barcelona=True)
    attend(dolors, s3)

    w2 = make_workshop(organiser=organiser, venue=venue_c, topic=topic_two, capacity=5,
                       now=created, slots=sessions_on(shift, (2026, 4, 6), (2026, 4, 13)))
    anna_again = sign_up(w2, "anna", Channel.SMS, created)
    eva = sign_up(w2, "eva", Channel.WEB, created)
    ferran = sign_up(w2, "ferran", Channel.STAFF, created)
    cancel_registration(ferran, now=created + timedelta(days=1))
    for session in w2.sessions:
        attend(anna_again, session)
    attend(eva, w2.sessions[0])
    attend(eva, w2.sessions[1], present=False)
    erase_resident(eva.resident, now=datetime(2026, 5, 1, tzinfo=UTC) + shift)

    w3 = make_workshop(organiser=organiser, venue=venue_a, topic=topic_one, now=created,
                       slots=sessions_on(shift, (2026, 5, 4)))
    sign_up(w3, "gemma", Channel.WEB, created)
    cancel_workshop(w3, reason="Facilitator ill", now=created + timedelta(days=2))

    w4 = make_workshop(organiser=organiser, venue=venue_a, topic=topic_one, capacity=3,
                       now=created, slots=sessions_on(shift, (2026, 6, 8), (2026, 6, 22)))
    attend(sign_up(w4, "hugo", Channel.WEB, created), w4.sessions[0])
    sign_up(w4, "ines", Channel.SMS, created)

    w5 = make_workshop(organiser=organiser, venue=venue_a, topic=topic_one, now=created,
                       slots=sessions_on(shift, (2026, 7, 1)))
    sign_up(w5, "anna", Channel.WEB, created)
    db.session.commit()
    return World(one, two, a, b, c, topic_one, topic_two)


@pytest.fixture
def world(app_context):
    """The world as of NOW (15 June 2026), for the queries."""
    return build_world()


@pytest.fixture
def todays_world(app_context):
    """The same world moved so that today is its 15 June 2026, for pages and exports."""
    return build_world(timedelta(days=(local_today(datetime.now(UTC)) - date(2026, 6, 15)).days))


def figures_of(figures):
    return (figures.workshops, figures.sessions, figures.seats, figures.registrations,
            figures.waitlisted, figures.residents_registered, figures.residents_attended,
            figures.present, figures.expected, figures.completed, figures.completion_base,
            figures.first_time, figures.reached_living_here)


def by_name(result):
    rows = {place.name: figures_of(place.figures) for place in result.neighbourhoods}
    rows |= {place.code: figures_of(place.figures) for place in result.districts}
    rows["city"] = figures_of(result.city.figures)
    rows["elsewhere"] = figures_of(result.elsewhere.figures)
    return rows


def filters(**overrides):
    return ReachFilters(date_from=PERIOD[0], date_to=PERIOD[1], **overrides)


NOTHING = (0,) * 13


def test_the_default_period_is_the_last_twelve_months():
    assert default_period(date(2026, 6, 15)) == (date(2025, 6, 16), date(2026, 6, 15))
    assert default_period(date(2028, 2, 29)) == (date(2027, 3, 1), date(2028, 2, 29))


def test_figures_by_where_the_workshop_was_held_match_a_count_by_hand(world):
    result = reach(filters(by=BY_VENUE), now=NOW)
    # (workshops, sessions, seats, registrations, waitlisted, residents registered,
    #  residents attended, present, expected, completed, completion base, first time,
    #  attended and living here)
    assert by_name(result) == {
        # W1 + W4: Anna, Berta, Carles, Dolors, Hugo, Ines registered; Carles never came,
        # Ines not marked yet. Present 3+1+2 (W1) + 1 (W4); expected 3+3+0+3 + 1+1.
        # Completion over W1 only (W4 is not over): Anna of Anna, Berta, Dolors.
        # New: Anna, Berta, Dolors (Hugo came in 2025). Living here and reached: Anna, Hugo.
        "Alfa": (2, 4, 5, 6, 1, 6, 4, 7, 11, 1, 3, 3, 2),
        # Berta reached (W1), Ines not yet.
        "Bravo": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        # W2: Anna and Eva (erased, still counted); Ferran cancelled. Eva lives here.
        "Charlie": (1, 2, 5, 2, 0, 2, 2, 3, 4, 1, 2, 2, 1),
        "01": (2, 4, 5, 6, 1, 6, 4, 7, 11, 1, 3, 3, 3),
        "02": (1, 2, 5, 2, 0, 2, 2, 3, 4, 1, 2, 2, 1),
        # Anna is one person in both districts: 7 registered, 5 attended, 4 new.
        "city": (3, 6, 10, 8, 1, 7, 5, 10, 15, 2, 5, 4, 4),
        "elsewhere": NOTHING,
    }
    city = result.city.figures
    assert city.attendance_rate == pytest.approx(10 / 15)
    assert city.completion_rate == pytest.approx(2 / 5)
    assert city.population == 35_000
    assert city.per_thousand == pytest.approx(4 * 1000 / 35_000)
    alfa = result.neighbourhoods[0]
    assert (alfa.priority, alfa.income_index) == (True, 70.0)
    assert alfa.figures.per_thousand == pytest.approx(2 * 1000 / 20_000)


def test_figures_by_where_residents_live_match_a_count_by_hand(world):
    result = reach(filters(by=BY_HOME), now=NOW)
    assert by_name(result) == {
        # Anna (W1, W2) and Hugo (W4): present 3+2+1 of 3+2+1, both finished ones complete.
        # Workshops, sessions and seats stay where the workshops were held.
        "Alfa": (2, 4, 5, 3, 0, 2, 2, 6, 6, 2, 2, 1, 2),
        # Berta present 1 of 3 (W1), Ines expected once, not marked.
        "Bravo": (0, 0, 0, 2, 0, 2, 1, 1, 4, 0, 1, 1, 1),
        # Carles waitlisted; Eva present 1 of 2.
        "Charlie": (1, 2, 5, 2, 1, 2, 1, 1, 2, 0, 1, 1, 1),
        "01": (2, 4, 5, 5, 0, 4, 3, 7, 10, 2, 3, 2, 3),
        "02": (1, 2, 5, 2, 1, 2, 1, 1, 2, 0, 1, 1, 1),
        "city": (3, 6, 10, 8, 1, 7, 5, 10, 15, 2, 5, 4, 4),
        # Dolors, the walk-in from outside Barcelona: present 2 of 3 (no mark for the 1st).
        "elsewhere": (0, 0, 0, 1, 0, 1, 1, 2, 3, 0, 1, 1, 0),
    }


def breakdown(result, dimension):
    return {b.key: (b.registrations, b.residents_registered, b.residents_attended,
                    b.attended_from_priority) for b in result.breakdowns[dimension]}


def test_breakdowns_by_channel_age_gender_and_topic(world):
    result = reach(filters(), now=NOW)
    assert breakdown(result, "channel") == {
        "web": (4, 4, 3, 3),  # Anna W1, Carles, Eva, Hugo W4; reached Anna, Eva, Hugo
        "sms": (3, 3, 2, 1),  # Berta, Anna W2, Ines; reached Berta, Anna (A is a priority)
        "walk-in": (1, 1, 1, 0),  # Dolors lives outside Barcelona
    }
    assert breakdown(result, "age") == {
        "16-29": (1, 1, 1, 1), "30-44": (1, 1, 1, 0), "45-64": (1, 1, 0, 0),
        "65-74": (2, 1, 1, 1), "75+": (1, 1, 1, 1), None: (2, 2, 1, 0),
    }
    assert breakdown(result, "gender") == {
        "woman": (4, 3, 2, 1), "man": (2, 2, 1, 1), "non-binary": (1, 1, 1, 1),
        "unsaid": (1, 1, 1, 0),
    }
    assert breakdown(result, "topic") == {
        str(world.topic_one.id): (6, 6, 4, 2), str(world.topic_two.id): (2, 2, 2, 2),
    }


def test_the_monthly_trend_follows_the_month_each_workshop_began(world):
    result = reach(filters(), now=NOW)
    months = {m.month: (m.workshops, m.sessions, m.present, m.residents_attended)
              for m in result.months}
    assert len(months) == 13
    assert months[date(2026, 3, 1)] == (1, 3, 6, 3)
    assert months[date(2026, 4, 1)] == (1, 2, 3, 2)
    assert months[date(2026, 5, 1)] == (0, 0, 0, 0)  # W3 was cancelled
    assert months[date(2026, 6, 1)] == (1, 1, 1, 1)  # W4: one of two sessions held
    assert sum(m.sessions for m in result.months) == 6


def test_filters_narrow_every_figure(world):
    sms = reach(filters(channel="sms"), now=NOW)
    assert figures_of(sms.city.figures)[3:12] == (3, 0, 3, 2, 3, 6, 1, 2, 2)
    topic_two = reach(filters(topic=world.topic_two.key), now=NOW)
    assert by_name(topic_two)["city"] == (1, 2, 5, 2, 0, 2, 2, 3, 4, 1, 2, 2, 2)
    women = reach(filters(audience="women"), now=NOW)
    assert by_name(women)["Alfa"][:9] == (1, 3, 2, 4, 1, 4, 3, 6, 9)
    district_two = reach(filters(district="02"), now=NOW)
    assert [place.name for place in district_two.neighbourhoods] == ["Charlie"]
    assert by_name(district_two)["city"][:12] == (1, 2, 5, 2, 0, 2, 2, 3, 4, 1, 2, 2)
    lives_in_two = reach(filters(district="02", by=BY_HOME), now=NOW)
    assert by_name(lives_in_two)["city"][3:12] == (2, 1, 2, 1, 1, 2, 0, 1, 1)


def test_a_period_without_workshops_counts_nothing(world):
    result = reach(ReachFilters(date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)),
                   now=NOW)
    assert figures_of(result.city.figures) == NOTHING
    assert result.city.figures.attendance_rate is None


PERIODS = [PERIOD, (date(2026, 3, 5), date(2026, 4, 30)), (date(2025, 1, 1), date(2026, 12, 31))]


def assert_kept_facts_count_as_a_recount(periods=PERIODS):
    """People counted from the kept `prev_*` times are the people a distinct count finds."""
    assert stale_rows() == []
    for date_from, date_to in periods:
        for by in (BY_VENUE, BY_HOME):
            period = ReachFilters(date_from=date_from, date_to=date_to, by=by)
            assert reach(period, now=NOW) == reach(period, now=NOW, recount=True), (period, by)


def test_counting_people_from_the_kept_facts_gives_the_figures_of_a_recount(world):
    assert_kept_facts_count_as_a_recount()


def test_a_workshop_beginning_later_today_counts_its_sign_ups_but_supplies_nothing_yet(
        world):
    """Not over and not begun: its registrations count where it is held (the part of the
    figures for workshops under way), but no session is held, so neither the workshop nor
    its seats are supplied; every way of counting agrees."""
    earlier = reach(filters(), now=NOW)
    before = by_name(earlier)
    later_today = make_workshop(venue=world.c.venues[0], topic=world.topic_two, capacity=4,
                                now=NOW - timedelta(days=10),
                                slots=sessions_on(timedelta(0), (2026, 6, 15)))
    register(later_today, "611000020", home_neighbourhood=world.b, age_band=AgeBand.FROM_65,
             gender=Gender.MAN, now=NOW - timedelta(days=5))
    db.session.commit()
    assert later_today.sessions[0].starts_at > NOW
    result = reach(filters(), now=NOW)
    after = by_name(result)
    # workshops, sessions and seats as before; one more registration and person registered,
    # nobody expected or present yet.
    added = (0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0)
    for place in ("Charlie", "02", "city"):
        assert after[place] == tuple(map(sum, zip(before[place], added, strict=True))), place
    assert {place: row for place, row in after.items()
            if place not in ("Charlie", "02", "city")} == {
        place: row for place, row in before.items() if place not in ("Charlie", "02", "city")}
    # By age and by topic: one more registration and person registered, none attended.
    for dimension, key in (("age", AgeBand.FROM_65.value), ("topic", str(world.topic_two.id))):
        was = breakdown(earlier, dimension)[key]
        assert breakdown(result, dimension)[key] == (was[0] + 1, was[1] + 1, *was[2:])
    assert_kept_facts_count_as_a_recount()


def test_the_kept_facts_follow_every_change_that_moves_a_figure(world):
    from workshops.catalogue.models import Workshop
    from workshops.catalogue.services import move_session
    from workshops.registrations.models import Registration, Resident

    w4 = db.session.scalars(select(Workshop).where(Workshop.capacity == 3)).one()
    hugo, ines = (db.session.scalars(select(Registration).where(
        Registration.workshop_id == w4.id).order_by(Registration.id)).all())
    move_session(w4.sessions[1], sessions_on(timedelta(0), (2026, 7, 6))[0], now=NOW)
    db.session.commit()
    assert_kept_facts_count_as_a_recount()
    attend(ines, w4.sessions[0])  # marked late: Ines came on 8 June after all
    assert_kept_facts_count_as_a_recount()
    berta = db.session.scalars(select(Resident).where(Resident.phone == "+34611000002")).one()
    berta.home_neighbourhood = world.c  # she moved house
    world.c.venues[0].neighbourhood = world.b  # and W2's civic centre is counted in B now
    db.session.commit()
    assert_kept_facts_count_as_a_recount()
    # By SMS Berta (now in C), Anna and Ines came; with B a priority all three live in one.
    assert breakdown(reach(filters(), now=NOW), "channel")["sms"][3] == 2
    world.b.priority = True
    db.session.commit()
    assert breakdown(reach(filters(), now=NOW), "channel")["sms"][3] == 3
    cancel_registration(hugo, now=NOW)
    assert_kept_facts_count_as_a_recount()


def test_on_a_random_history_the_kept_facts_count_people_as_a_recount_does(app_context):
    """Forty people, thirty workshops over eighteen months in five neighbourhoods: sign-ups
    by every channel, full courses, marks present and absent, cancellations."""
    import random

    rng = random.Random(2026)  # noqa: S311  (repeatable test data)
    one, two = make_district(), make_district()
    places = [make_neighbourhood(one, priority=n % 2 == 0) for n in range(3)]
    places += [make_neighbourhood(two, priority=False) for _ in range(2)]
    venues = [make_venue(place) for place in places[:4]]
    topics = [make_topic() for _ in range(3)]
    organiser = make_user([Role.ORGANISER])
    people = [dict(phone=f"6220000{n:02d}", home_neighbourhood=rng.choice([*places, None]),
                   age_band=rng.choice([*AgeBand, None]), gender=rng.choice(list(Gender)))
              for n in range(40)]
    for n in range(30):
        first = datetime(2025, 1, 6, 17, tzinfo=UTC) + timedelta(days=18 * n + rng.randint(0, 9))
        slots = [Slot(first + timedelta(weeks=week), first + timedelta(weeks=week, hours=2))
                 for week in range(rng.randint(1, 3))]
        created = first - timedelta(days=20)
        workshop = make_workshop(organiser=organiser, venue=rng.choice(venues),
                                 topic=rng.choice(topics), capacity=rng.randint(2, 5),
                                 now=created, slots=slots)
        for who in rng.sample(people, rng.randint(2, 7)):
            details = dict(who)
            registration = register(workshop, details.pop("phone"), now=created,
                                    channel=rng.choice(list(Channel)[:3]), **details)
            if rng.random() < 0.1:
                cancel_registration(registration, now=created + timedelta(days=1))
                continue
            for session in workshop.sessions:
                if session.ends_at < NOW and rng.random() < 0.8:
                    attend(registration, session, present=rng.random() < 0.7)
    assert_kept_facts_count_as_a_recount([
        (date(2025, 1, 1), date(2026, 12, 31)), (date(2025, 6, 1), date(2026, 6, 15)),
        (date(2025, 9, 10), date(2025, 12, 20)), (date(2026, 5, 1), date(2026, 6, 30))])


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_coordinators_see_the_dashboard_with_definitions_and_the_map_notice(client, auth,
                                                                            todays_world):
    auth.login_as(Role.COORDINATOR)
    html = page(client, "/reach?lang=en")
    assert "Alfa" in html and "Charlie" in html
    assert "How these figures are counted" in html
    assert "An admin can add them on the page “Map and need indicators”" in html
    assert "flask --app app" not in html
    for chart in ("chart-districts", "chart-months", "chart-channels"):
        assert f'id="{chart}" role="img" aria-labelledby="{chart}-title {chart}-desc"' in html
    assert "Where next" in html and "Neighbourhoods ranked by need and low reach" in html
    assert "1 person waiting" in html  # Carles, on W1's list at Alfa


@pytest.mark.parametrize("lang, period, month", [
    ("ca", "Període: 1 d’octubre del 2026 – 27 de novembre del 2026", "octubre del 2026"),
    ("es", "Periodo: 1 de octubre de 2026 – 27 de noviembre de 2026", "octubre de 2026"),
    ("en", "From October 1, 2026 to November 27, 2026", "October 2026")])
def test_the_dashboard_writes_its_dates_in_the_pages_language(client, auth, app_context, lang,
                                                             period, month):
    auth.login_as(Role.COORDINATOR)
    html = unescape(page(client, f"/reach?lang={lang}&date_from=2026-10-01&date_to=2026-11-27"))
    assert period in html and f'<th scope="row" class="sticky">{month}</th>' in html


def test_the_staff_home_links_coordinators_to_the_dashboard(client, auth, app_context):
    auth.login_as(Role.COORDINATOR)
    assert 'href="/reach"' in page(client, "/staff")
    auth.logout()
    auth.login_as(Role.ORGANISER)
    assert 'href="/reach"' not in page(client, "/staff")


def neighbourhood_order(html):
    """The neighbourhoods in the order their rows come (each district's table in turn)."""
    return re.findall(r'<th scope="row" class="sticky">(Alfa|Bravo|Charlie)\b', html)


def district_order(html):
    return re.findall(r'<a href="#district-\d+">(District One|District Two)</a>', html)


def test_the_tables_sort_by_any_column_without_javascript(client, auth, todays_world):
    """Districts sort among themselves, and each district's neighbourhoods within it."""
    auth.login_as(Role.COORDINATOR)
    html = page(client, "/reach?sort=attended&dir=desc")
    assert neighbourhood_order(html) == ["Alfa", "Bravo", "Charlie"]
    assert district_order(html) == ["District One", "District Two"]
    assert 'aria-sort="descending"' in html
    html = page(client, "/reach?sort=attended&dir=asc")
    assert neighbourhood_order(html) == ["Charlie", "Bravo", "Alfa"]
    assert district_order(html) == ["District Two", "District One"]
    html = page(client, "/reach?sort=name&dir=desc")
    assert neighbourhood_order(html) == ["Charlie", "Bravo", "Alfa"]
    html = page(client, "/reach?sort=income&dir=asc")
    assert 'aria-sort="ascending">\n  <a href="/reach?sort=income&amp;dir=desc' in html
    assert page(client, "/reach?sort=nonsense&district=99&channel=fax&date_from=yesterday")


def test_a_reversed_or_very_long_period_is_put_right(client, auth, todays_world):
    auth.login_as(Role.COORDINATOR)
    html = page(client, "/reach?date_from=2026-03-31&date_to=2026-03-01&lang=en")
    assert "From March 1, 2026 to March 31, 2026" in html
    html = page(client, "/reach?date_from=2000-01-01&date_to=2026-03-31&lang=en")
    assert "From April 1, 2023 to March 31, 2026" in html  # at most 36 months


def test_the_csv_export_is_a_safe_semicolon_spreadsheet_with_the_same_figures(
        client, auth, todays_world):
    todays_world.b.name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    auth.login_as(Role.COORDINATOR)
    response = client.get("/reach.csv?lang=en")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    header, *rows = rows
    assert header[:5] == ["Area", "District code", "District", "Neighbourhood code",
                          "Neighbourhood"]
    by_row = {row[4] or row[2] or row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_row["Alfa"]["Residents who attended"] == "4"
    assert by_row["Alfa"]["Attendance rate (%)"] == "63.6"  # 7 of 11
    assert by_row["Barcelona"]["Residents registered"] == "7"
    assert "'=HYPERLINK(\"http://evil\")" in by_row
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_json_export_has_the_same_figures_and_the_breakdowns(client, auth, todays_world):
    auth.login_as(Role.COORDINATOR)
    response = client.get("/reach.json?by=home")
    document = json.loads(response.get_data())
    assert document["counted_by"] == "home"
    places = {row["name"] or row["kind"]: row for row in document["places"]}
    assert places["Bravo"]["expected"] == 4
    assert places["elsewhere"]["residents_attended"] == 1
    assert places["city"]["residents_attended"] == 5
    channels = {b["key"]: b["registrations"] for b in document["breakdowns"]["channel"]}
    assert channels == {"sms": 3, "walk-in": 1, "web": 4}
    assert {b["key"] for b in document["breakdowns"]["topic"]} == {todays_world.topic_one.key,
                                                                  todays_world.topic_two.key}
    assert 12 <= len(document["months"]) <= 13  # 12 when today is a month's last day


def test_open_data_shows_small_counts_as_less_than_five_and_withholds_their_rates(
        client, todays_world):
    response = client.get("/open-data/reach.json")
    assert response.status_code == 200
    document = json.loads(response.get_data())
    assert document["small_counts_suppressed"] is True
    assert "breakdowns" not in document
    places = {row["name"] or row["kind"]: row for row in document["places"]}
    alfa, bravo = places["Alfa"], places["Bravo"]
    # Only counts from 1 to 4 are hidden; 0 and 5 or more are shown.
    assert alfa["registrations"] == 6 and alfa["expected"] == 11 and alfa["present"] == 7
    assert alfa["residents_attended"] == "<5" and alfa["waitlisted"] == "<5"
    assert alfa["attendance_rate"] == pytest.approx(7 / 11)
    assert alfa["completion_rate"] is None  # 1 of 3: both counts are small
    assert alfa["reached_per_1000"] is None  # 2 residents
    assert bravo["registrations"] == 0 and bravo["attendance_rate"] is None
    assert places["city"]["residents_attended"] == 5
    # The city's 10 times present less Alfa's 7 would give Charlie's 3 away: hidden too.
    assert places["city"]["present"] == "x" and places["Charlie"]["present"] == "<5"
    # 4 first-timers, each part of it small: "<5" would hold every part at 1.
    assert places["city"]["first_time"] == "x"
    for row in document["places"]:
        for value in row.values():
            assert not (type(value) is int and 1 <= value <= 4), row
    csv_body = client.get("/open-data/reach.csv?by=home&lang=en").get_data().decode("utf-8-sig")
    assert "\";\"<5\";\"" in csv_body


def test_open_data_is_public_but_the_dashboard_is_for_coordinators(client, auth, todays_world):
    assert client.get("/open-data/reach.csv").status_code == 200
    assert client.get("/reach").status_code == 302
    assert client.get("/reach.csv").status_code == 302
    auth.login_as(Role.FACILITATOR)
    assert client.get("/reach.json").status_code == 403


def test_the_figures_take_four_queries_whatever_the_data(world):
    from sqlalchemy import event

    statements = []

    def count(_connection, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        reach(filters(), now=NOW)
        reach(filters(by=BY_HOME, channel="sms"), now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 8  # the grouped figures, supply, places, follow-up answers


@pytest.mark.parametrize("by", [BY_VENUE, BY_HOME])
def test_on_sqlite_the_persons_cube_reads_its_covering_index_and_the_few_rows_under_way_by_workshop(
        world, engine_name, by):
    """The plan the dashboard's speed rests on (`reach.indexes`): a figure that reads a
    column the index lacks, or a condition SQLite can look up by, would silently bring back
    a sort of every row of the period."""
    from workshops.reach.queries import statements

    if engine_name != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics; this is SQLite's plan")
    grouped = statements(filters(by=by), now=NOW)["grouped"]
    sql = str(grouped.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = [row[3] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + sql)]
    assert "SCAN reach_fact USING COVERING INDEX ix_reach_fact_by_person" in plan
    looked_up = [step for step in plan if step.startswith(("SEARCH reach_fact", "SCAN reach_fact"))]
    assert sum("ix_reach_fact_workshop_id" in step for step in looked_up) == 2  # each cube
    assert not any(step == "SCAN reach_fact" for step in looked_up)


def test_with_boundaries_imported_the_dashboard_draws_reach_on_the_map(
        client, auth, todays_world, tmp_path):
    from workshops.places.boundaries import import_boundaries
    from workshops.places.models import Neighbourhood

    def square(column: int) -> list:
        west, south = 2.15 + column * 0.01, 41.40
        return [[[west, south], [west + 0.01, south], [west + 0.01, south + 0.01],
                 [west, south + 0.01], [west, south]]]

    features = [{"type": "Feature", "properties": {"BARRI": str(n.code)},
                 "geometry": {"type": "Polygon", "coordinates": square(column)}}
                for column, n in enumerate(db.session.scalars(select(Neighbourhood)))]
    path = tmp_path / "barris.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    import_boundaries(path, now=datetime.now(UTC))
    db.session.commit()

    auth.login_as(Role.COORDINATOR)
    html = page(client, "/reach?lang=en")
    assert "An admin can add them" not in html
    assert 'class="choropleth"' in html
    assert "Residents reached per 1,000 inhabitants, by neighbourhood" in html
    assert html.count("<path") >= len(features)


def test_a_figure_declared_once_reaches_the_sql_the_tables_the_sort_and_every_export(
        client, auth, todays_world, monkeypatch):
    """One entry in `figures.FIGURES`, nothing else: it is counted at every level, shown
    and sortable on the page, and exported in the CSV, the JSON and the open data."""
    from workshops.reach import figures

    extra = [
        figures.Figure("signups_again", "Sign-ups again",
                       figures.Registrations(lambda rows: rows.active), "Sign-ups again"),
        figures.Figure("attendees_again", "Attendees again", figures.People(attended=True),
                       "Attendees again", sort_key="attendees"),
        figures.Figure("seats_again", "Seats again",
                       figures.Supply(lambda scope: func.sum(scope.c.capacity)), "Seats again"),
        figures.Figure("attended_share", "Attended share (%)",
                       figures.Rate("residents_attended", "residents_registered"),
                       "Attended share", shown_as=figures.PERCENT),
    ]
    monkeypatch.setattr(figures, "FIGURES", [*figures.FIGURES, *extra])

    now = datetime.now(UTC)
    date_from, date_to = default_period(local_today(now))
    for recount, channel in ((False, ""), (True, ""), (False, "sms")):
        result = reach(ReachFilters(date_from=date_from, date_to=date_to, channel=channel),
                       now=now, recount=recount)
        assert result.city.figures.registrations > 0
        for place in (*result.neighbourhoods, *result.districts, result.city):
            assert place.figures.signups_again == place.figures.registrations
            assert place.figures.attendees_again == place.figures.residents_attended
            assert place.figures.seats_again == place.figures.seats
            assert place.figures.attended_share == (
                place.figures.residents_attended / place.figures.residents_registered
                if place.figures.residents_registered else None)

    auth.login_as(Role.COORDINATOR)
    html = page(client, "/reach?lang=en&sort=attendees&dir=desc")
    assert html.count(">Sign-ups again<span") == 3  # districts, then each district's table
    assert "sort=signups_again" in html and "sort=attended_share" in html
    assert "How these figures are counted" in html
    assert re.search(r'aria-sort="descending">\s*<a href="[^"]*sort=attendees', html)
    assert neighbourhood_order(html) == ["Alfa", "Bravo", "Charlie"]

    rows = list(csv.reader(io.StringIO(
        client.get("/reach.csv?lang=en").get_data().decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[-6:] == ["Sign-ups again", "Attendees again", "Seats again",
                           "Attended share (%)", "Income index", "Priority"]
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        assert cells["Sign-ups again"] == cells["Registrations"]
        assert cells["Attendees again"] == cells["Residents who attended"]
        assert cells["Seats again"] == cells["Seats offered"]
    alfa = next(dict(zip(header, row, strict=True)) for row in rows if row[4] == "Alfa")
    assert alfa["Attended share (%)"] == "66.7"  # 4 of 6

    places = json.loads(client.get("/reach.json").get_data())["places"]
    assert all(p["signups_again"] == p["registrations"] for p in places)
    assert all(p["attendees_again"] == p["residents_attended"] for p in places)

    published = json.loads(client.get("/open-data/reach.json").get_data())["places"]
    for row in published:
        for value in (row["signups_again"], row["attendees_again"], row["seats_again"]):
            assert not (type(value) is int and 1 <= value <= 4), row
        if {"<5", "x"} & {row["residents_attended"], row["residents_registered"]}:
            assert row["attended_share"] is None, row


# In the browser (real Chromium): the first screen, sideways scrolling, the map uploaded.

FIRST_SCREEN = {"headline figures": ".headline .key-figures", "where next": ".where-next table",
                "map or chart": ".reach-map svg", "downloads": ".downloads ul"}


@pytest.fixture
def reach_site(app, live_server):
    """Staff accounts and a few workshops with sign-ups in seeded neighbourhoods."""
    from tests.factories import make_user, make_venue, make_workshop, mobile
    from workshops.places.models import Neighbourhood

    with app.app_context():
        make_user([Role.COORDINATOR], email="coordinator@example.org")
        make_user([Role.ADMIN], email="admin@example.org")
        for code in (1, 54, 64):
            neighbourhood = db.session.scalar(select(Neighbourhood)
                                              .where(Neighbourhood.code == code))
            workshop = make_workshop(venue=make_venue(neighbourhood), capacity=3)
            for n in range(4):
                register(workshop, mobile(code * 10 + n))
    return live_server


def sign_in(page, base_url: str, email: str) -> None:
    from tests.factories import DEFAULT_PASSWORD

    page.goto(base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/staff")


def outside_the_first_screen(page) -> dict[str, dict]:
    """What of FIRST_SCREEN does not fit in the viewport, with where it is."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    found = {}
    for name, selector in FIRST_SCREEN.items():
        box = page.locator(selector).bounding_box()
        if box is None or box["y"] + box["height"] > height or box["x"] + box["width"] > width:
            found[name] = box
    return found


@pytest.mark.browser
@pytest.mark.parametrize("with_map", [True, False], ids=["map", "chart"])
def test_the_first_screen_holds_figures_where_next_map_and_downloads_in_every_language(
        app, reach_site, browser, with_map):
    from tests.test_places import REAL_BARRIS
    from workshops.places.boundaries import import_boundaries

    if with_map:
        if not REAL_BARRIS.exists():
            pytest.skip(f"no boundaries file at {REAL_BARRIS}")
        with app.app_context():
            import_boundaries(REAL_BARRIS, now=datetime.now(UTC))
            db.session.commit()
    misplaced = {}
    for width, height in [(1280, 800), (768, 1024)]:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="ca-ES")
        page = context.new_page()
        sign_in(page, reach_site, "coordinator@example.org")
        for lang in ("ca", "es", "en"):
            page.goto(f"{reach_site}/reach?lang={lang}")
            assert page.locator(".reach-map svg.choropleth").count() == (1 if with_map else 0)
            misplaced[width, lang] = outside_the_first_screen(page)
        context.close()
    assert misplaced == {key: {} for key in misplaced}


@pytest.mark.browser
def test_the_reach_pages_never_scroll_sideways(reach_site, browser):
    widths = {}
    for width in (320, 768, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="es-ES")
        page = context.new_page()
        sign_in(page, reach_site, "admin@example.org")
        for url in ["/reach", "/reach?district=01&by=home", "/admin/map-data"]:
            page.goto(reach_site + url)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            widths[width, url] = page.evaluate("document.documentElement.scrollWidth")
        context.close()
    assert widths == {(width, url): width for width, url in widths}


@pytest.mark.browser
def test_an_admin_uploads_the_barris_file_in_the_browser_and_the_map_appears(
        app, reach_site, page):
    from tests.test_places import REAL_BARRIS
    from workshops.places.models import NeighbourhoodBoundary

    if not REAL_BARRIS.exists():
        pytest.skip(f"no boundaries file at {REAL_BARRIS}")
    sign_in(page, reach_site, "admin@example.org")
    page.goto(reach_site + "/admin/map-data?lang=ca")
    page.set_input_files("#boundaries-file", {"name": "barris.json", "mimeType": "text/plain",
                                              "buffer": b'{"type": "Feature"'})
    page.get_by_role("button", name="Puja els límits").click()
    page.locator(".error-summary").wait_for()
    assert "barris.json no és un fitxer GeoJSON vàlid" in page.locator(
        ".error-summary").inner_text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NeighbourhoodBoundary)) == 0

    page.set_input_files("#boundaries-file", str(REAL_BARRIS))
    page.get_by_role("button", name="Puja els límits").click()
    page.wait_for_url("**/reach#map-heading")
    assert page.locator(".reach-map svg.choropleth").is_visible()
    assert "73 límits de barri importats." in page.locator(".flashes").inner_text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NeighbourhoodBoundary)) == 73


HEADLINE_FIGURES = ("residents_attended", "first_time", "registrations", "attendance_rate")


@pytest.mark.parametrize("channel", ["", "sms"], ids=["whole city", "filtered"])
def test_the_period_before_is_as_long_and_counted_as_a_full_count_would(world, channel):
    from workshops.reach.queries import previous_city, previous_period

    current = filters(channel=channel)
    before = previous_period(current)
    assert before.date_to == current.date_from - timedelta(days=1)
    assert before.date_to - before.date_from == current.date_to - current.date_from
    full_count = reach(before, now=NOW, recount=True).city.figures
    compared = previous_city(current, now=NOW)
    assert {name: compared.value(name) for name in HEADLINE_FIGURES} == {
        name: full_count.value(name) for name in HEADLINE_FIGURES}
    if not channel:  # Hugo came to W0 in March 2025, before the period
        assert (compared.residents_attended, compared.registrations) == (1, 1)


def test_the_first_screen_says_how_each_figure_changed_and_links_its_definition(
        client, auth, todays_world):
    auth.login_as(Role.COORDINATOR)
    html = page(client, "/reach?lang=en")
    first_screen = html[html.index('class="first-screen"'):html.index('id="neighbourhoods"')]
    assert "Change against the 365 days before" in first_screen
    assert "up 4 (400%)" in first_screen  # residents who attended: 5 against Hugo alone
    for anchor in re.findall(r'href="#(definition-[a-z_0-9-]+)"', html):
        assert f'id="{anchor}"' in html, anchor
    assert len(re.findall(r'href="#definition-', first_screen)) == 4


def test_where_next_ranks_by_need_and_low_reach_together():
    from workshops.places.models import NeedIndicator
    from workshops.reach.overview import where_next
    from workshops.reach.queries import Figures, Place

    def place(code, reached):
        figures = Figures(population=1000)
        figures.counts["reached_living_here"] = reached
        return Place("neighbourhood", str(code), f"N{code}", figures=figures)

    places = [place(1, 5), place(2, 0), place(3, 0), place(4, 1), place(5, 0)]
    income = {1: 40.0, 2: 50.0, 3: 120.0, 4: 60.0}  # 5 has no income index
    needs = {code: {"income_index": NeedIndicator(value=value)}
             for code, value in income.items()}
    # Need ranks 1, 2, 4, 3; reach ranks 4, 1, 1, 3: sums 5, 3, 5, 6 (ties: fewer reached).
    assert [p.name for p in where_next(places, needs)["need_and_reach"]] == [
        "N2", "N3", "N1", "N4"]


def test_neighbourhoods_without_activity_fold_into_one_line_of_their_district(
        client, auth, todays_world):
    make_neighbourhood(todays_world.district_two, code=202, name="Delta", population=100)
    auth.login_as(Role.COORDINATOR)
    html = page(client, "/reach?lang=en")
    district_two = html[html.index('id="district-02"'):html.index("Sources of the need")]
    assert "<summary>District Two: 1 neighbourhood with activity, 1 without</summary>" in html
    assert "<summary>1 neighbourhood with no activity in this period</summary>" in district_two
    assert "<p>Delta" in district_two
    assert '<th scope="row" class="sticky">Delta' not in html


@pytest.mark.browser
def test_the_first_screen_prints_on_one_a4_landscape_page_in_every_language(
        app, reach_site, browser):
    from tests.test_places import REAL_BARRIS
    from workshops.places.boundaries import import_boundaries

    if REAL_BARRIS.exists():
        with app.app_context():
            import_boundaries(REAL_BARRIS, now=datetime.now(UTC))
            db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, reach_site, "coordinator@example.org")
    printed = {}
    for lang in ("ca", "es", "en"):
        page.goto(f"{reach_site}/reach?lang={lang}")
        pdf = page.pdf(prefer_css_page_size=True)  # the stylesheet's A4 landscape
        printed[lang] = max(int(count) for count in re.findall(rb"/Count (\d+)", pdf))
    context.close()
    assert printed == {"ca": 1, "es": 1, "en": 1}


def test_the_dashboard_page_runs_as_many_queries_whatever_the_places_and_indicators(
        client, auth, todays_world):
    from sqlalchemy import event

    from workshops.places.indicators import store_indicators

    auth.login_as(Role.COORDINATOR)

    def queries_for_the_page() -> int:
        statements = []

        def count(_connection, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page(client, "/reach?lang=en")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = queries_for_the_page()
    for code in range(203, 213):
        make_neighbourhood(todays_world.district_two, code=code, name=f"N{code}")
    store_indicators({(n.id, "income_index"): (50.0, 2014, "Test source")
                      for n in (todays_world.a, todays_world.b, todays_world.c)},
                     now=datetime.now(UTC))
    db.session.commit()
    assert queries_for_the_page() == before
