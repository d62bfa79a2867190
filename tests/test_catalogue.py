"""Publishing workshops: services, organiser pages, schedule and time zones."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import details, make_user, make_venue, make_workshop
from workshops.accounts.models import Role
from workshops.catalogue import services
from workshops.catalogue.forms import parse_dates
from workshops.catalogue.local_time import (
    NonexistentLocalTime,
    Slot,
    local_to_utc,
    weekly_dates,
    weekly_slots,
)
from workshops.catalogue.models import Workshop, WorkshopStatus
from workshops.catalogue.services import CatalogueError
from workshops.extensions import db

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def at(day, hour, minute=0):
    return local_to_utc(day, time(hour, minute))


def in_days(days, hours=2):
    start = NOW + timedelta(days=days)
    return Slot(start, start + timedelta(hours=hours))


# Schedule and time zones


@pytest.mark.parametrize("day, utc_hour", [
    (date(2026, 3, 28), 9), (date(2026, 3, 29), 8),    # clocks go forward on 29 March
    (date(2026, 10, 24), 8), (date(2026, 10, 25), 9),  # and back on 25 October
])
def test_ten_oclock_in_barcelona_is_stored_in_utc_across_clock_changes(day, utc_hour):
    assert local_to_utc(day, time(10, 0)) == datetime.combine(day, time(utc_hour), tzinfo=UTC)


def test_a_time_skipped_by_the_clock_change_is_refused():
    with pytest.raises(NonexistentLocalTime):
        local_to_utc(date(2026, 3, 29), time(2, 30))


def test_a_weekly_series_skips_holidays_and_keeps_its_length():
    days = weekly_dates(date(2026, 12, 1), 6, {date(2026, 12, 8)})
    assert days == [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 22),
                    date(2026, 12, 29), date(2027, 1, 5), date(2027, 1, 12)]


def test_a_weekly_series_keeps_local_time_across_the_spring_change():
    slots = weekly_slots(date(2026, 3, 17), time(10), time(12), 4, set())
    assert [s.starts_at.hour for s in slots] == [9, 9, 8, 8]
    assert all(s.ends_at - s.starts_at == timedelta(hours=2) for s in slots)


@pytest.mark.parametrize("text, expected", [
    ("8/12/2026", [date(2026, 12, 8)]),
    ("2026-12-08, 22/12/2026", [date(2026, 12, 8), date(2026, 12, 22)]),
    ("", []),
])
def test_skip_dates_are_read_in_local_and_iso_formats(text, expected):
    assert parse_dates(text) == expected


def test_unreadable_skip_dates_are_an_error():
    with pytest.raises(ValueError):
        parse_dates("next tuesday")


# Services


def test_a_workshop_needs_a_title_in_some_language(app_context):
    with pytest.raises(CatalogueError) as error:
        services.create_workshop(details(titles={"ca": " ", "es": "", "en": ""}),
                                 organiser=make_user(), slots=[in_days(3)], now=NOW)
    assert error.value.code == "no_title"


def test_each_titled_language_needs_a_summary(app_context):
    with pytest.raises(CatalogueError) as error:
        services.create_workshop(
            details(titles={"ca": "Mòbil", "es": "Móvil", "en": ""},
                    summaries={"ca": "Resum", "es": "", "en": ""}),
            organiser=make_user(), slots=[in_days(3)], now=NOW)
    assert (error.value.code, error.value.field) == ("title_without_summary", "summary_es")


@pytest.mark.parametrize("capacity", [0, 501, -3])
def test_capacity_must_be_between_1_and_500(app_context, capacity):
    with pytest.raises(CatalogueError) as error:
        services.create_workshop(details(capacity=capacity), organiser=make_user(),
                                 slots=[in_days(3)], now=NOW)
    assert error.value.code == "capacity"


def test_a_venue_is_required(app_context):
    from tests.factories import details as make_details

    data = make_details()
    data.venue = None
    with pytest.raises(CatalogueError) as error:
        services.create_workshop(data, organiser=make_user(), slots=[in_days(3)], now=NOW)
    assert error.value.code == "venue_required"


def test_a_new_workshop_is_a_draft_with_a_three_digit_code(app_context):
    workshop = services.create_workshop(details(), organiser=make_user(), slots=[in_days(3)],
                                        now=NOW)
    assert workshop.status == WorkshopStatus.DRAFT
    assert workshop.public_code.isdigit() and len(workshop.public_code) == 3


@pytest.mark.parametrize("code", ["12", "12345", "0123", "abc", "１２３"])
def test_sms_codes_are_three_or_four_plain_digits(app_context, code):
    with pytest.raises(CatalogueError) as error:
        make_workshop(public_code=code, now=NOW, slots=[in_days(3)])
    assert error.value.code == "code_format"


def test_a_code_is_unique_among_workshops_that_are_not_over(app_context):
    make_workshop(public_code="321", now=NOW, slots=[in_days(3)])
    with pytest.raises(CatalogueError) as error:
        make_workshop(public_code="321", now=NOW, slots=[in_days(5)])
    assert error.value.code == "code_taken"


def test_a_code_is_free_again_once_its_workshop_is_over_or_cancelled(app_context):
    old = make_workshop(public_code="321", now=NOW - timedelta(days=30),
                        slots=[Slot(NOW - timedelta(days=20), NOW - timedelta(days=20, hours=-2))])
    cancelled = make_workshop(public_code="322", now=NOW, slots=[in_days(3)])
    services.cancel(cancelled, reason="Venue closed", now=NOW)
    db.session.commit()
    assert make_workshop(public_code="321", now=NOW, slots=[in_days(3)]).public_code == "321"
    assert make_workshop(public_code="322", now=NOW, slots=[in_days(4)]).public_code == "322"
    assert old.public_code == "321"


def test_sessions_must_end_after_they_start(app_context):
    with pytest.raises(CatalogueError) as error:
        make_workshop(now=NOW, slots=[Slot(NOW + timedelta(days=1), NOW + timedelta(days=1))])
    assert error.value.code == "end_before_start"


def test_a_new_session_cannot_be_in_the_past(app_context):
    with pytest.raises(CatalogueError) as error:
        make_workshop(now=NOW, slots=[in_days(-1)])
    assert error.value.code == "session_in_past"


def test_sessions_of_one_workshop_cannot_overlap(app_context):
    workshop = make_workshop(now=NOW, slots=[in_days(3)])
    with pytest.raises(CatalogueError) as error:
        services.add_sessions(workshop, [Slot(in_days(3).starts_at + timedelta(hours=1),
                                              in_days(3).ends_at + timedelta(hours=1))], now=NOW)
    assert error.value.code == "session_overlaps"


def test_publishing_needs_at_least_one_session(app_context):
    workshop = make_workshop(publish=False, now=NOW, slots=[])
    with pytest.raises(CatalogueError) as error:
        services.publish(workshop, now=NOW)
    assert error.value.code == "no_sessions"


def test_a_workshop_with_registrations_is_cancelled_not_unpublished(app_context):
    workshop = make_workshop(now=NOW, slots=[in_days(3)])
    workshop.seats_taken = 3
    with pytest.raises(CatalogueError) as error:
        services.unpublish(workshop, now=NOW)
    assert error.value.code == "has_registrations"
    with pytest.raises(CatalogueError) as error:
        services.cancel(workshop, reason="  ", now=NOW)
    assert error.value.code == "reason_required"
    services.cancel(workshop, reason="The venue is closed for works.", now=NOW)
    assert workshop.status == WorkshopStatus.CANCELLED
    assert workshop.cancel_reason == "The venue is closed for works."


def test_changes_of_time_venue_or_status_raise_the_sequence(app_context):
    workshop = make_workshop(now=NOW, slots=[in_days(3)])
    before = workshop.sequence
    services.move_session(workshop.sessions[0], in_days(4), now=NOW)
    assert workshop.sequence == before + 1
    assert workshop.first_session_starts_at == in_days(4).starts_at
    data = details(venue=make_venue(), topic=workshop.topic)
    services.update_workshop(workshop, data, now=NOW)
    assert workshop.sequence == before + 2
    services.cancel(workshop, reason="Illness", now=NOW)
    assert workshop.sequence == before + 3


def test_capacity_cannot_drop_below_the_people_registered(app_context):
    workshop = make_workshop(now=NOW, slots=[in_days(3)])
    workshop.seats_taken = 8
    with pytest.raises(CatalogueError) as error:
        services.update_workshop(workshop, details(capacity=5, venue=workshop.venue,
                                                   topic=workshop.topic), now=NOW)
    assert error.value.code == "capacity_below_taken"


def test_capacity_may_stay_as_it_is_with_walk_ins_above_it(app_context):
    workshop = make_workshop(now=NOW, slots=[in_days(3)], capacity=5)
    workshop.seats_taken = 6  # a walk-in came to a full workshop
    services.update_workshop(workshop, details(capacity=5, venue=workshop.venue,
                                               topic=workshop.topic), now=NOW)
    with pytest.raises(CatalogueError) as error:
        services.update_workshop(workshop, details(capacity=4, venue=workshop.venue,
                                                   topic=workshop.topic), now=NOW)
    assert error.value.code == "capacity_below_taken"


def test_a_duplicate_is_a_draft_copy_with_a_new_code_and_no_sessions(app_context):
    workshop = make_workshop(now=NOW, slots=[in_days(3)], audiences=["women"])
    organiser = make_user([Role.ORGANISER])
    copy = services.duplicate(workshop, organiser=organiser, now=NOW)
    assert (copy.title_texts, copy.venue, copy.audiences) == (
        workshop.title_texts, workshop.venue, workshop.audiences)
    assert copy.status == WorkshopStatus.DRAFT and copy.sessions == []
    assert copy.public_code != workshop.public_code and copy.organiser == organiser


def test_registration_is_open_from_publication_until_the_first_session(app_context):
    workshop = make_workshop(now=NOW, slots=[in_days(3), in_days(10)])
    assert workshop.registration_is_open(NOW)
    assert not workshop.registration_is_open(in_days(3).starts_at)
    workshop.registration_closes_at = in_days(9).starts_at
    assert workshop.registration_is_open(in_days(5).starts_at)
    workshop.registration_opens_at = in_days(1).starts_at
    assert not workshop.registration_is_open(NOW)


def test_only_facilitators_can_be_assigned_to_facilitate(app_context):
    organiser = make_user([Role.ORGANISER])
    with pytest.raises(CatalogueError) as error:
        make_workshop(now=NOW, slots=[in_days(3)], facilitators=[organiser])
    assert error.value.code == "not_facilitator"


# Organiser pages


def workshop_form(**overrides):
    fields = {
        "w-title_ca": "El meu primer mòbil", "w-summary_ca": "Trucar, fotos i apps.",
        "w-description_ca": "Grups petits.", "w-level": "beginner",
        "w-instruction_language": "ca", "w-capacity": "12", "w-public_code": "",
        "s-repeat": "weekly", "s-date": "2026-12-01", "s-start_time": "10:00",
        "s-end_time": "12:00", "s-count": "6", "s-skip_dates": "8/12/2026",
    }
    return fields | overrides


@pytest.fixture
def catalogue_setup(app_context, seeded):
    from workshops.catalogue.seed import seed_topics
    from workshops.places.models import Neighbourhood

    seed_topics()
    trinitat = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 53))
    venue = make_venue(neighbourhood=trinitat, name="Casal de Barri Trinitat Nova")
    db.session.commit()
    topic = db.session.scalars(select(workshops_topic())).first()
    return {"venue": venue, "topic": topic}


def workshops_topic():
    from workshops.catalogue.models import Topic

    return Topic


def test_an_organiser_publishes_a_six_session_catalan_workshop_seen_in_three_languages(
        client, auth, catalogue_setup):
    auth.login_as(Role.ORGANISER)
    venue, topic = catalogue_setup["venue"], catalogue_setup["topic"]
    response = post_form(client, "/staff/workshops/new", data=workshop_form(
        **{"w-venue": str(venue.id), "w-topic": str(topic.id)}))
    assert response.status_code == 302, response.get_data(as_text=True)
    workshop = db.session.scalar(select(Workshop))
    assert len(workshop.sessions) == 6
    assert date(2026, 12, 8) not in [s.starts_at.date() for s in workshop.sessions]
    assert workshop.sessions[0].starts_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    manage_url = f"/staff/workshops/{workshop.id}"
    assert post_form(client, manage_url, f"{manage_url}/publish").status_code == 302
    db.session.refresh(workshop)
    assert workshop.status == WorkshopStatus.PUBLISHED

    for query in ["", "?neighbourhood=53", "?district=08"]:
        assert "El meu primer mòbil" in client.get(f"/workshops{query}").get_data(
            as_text=True)
    assert "El meu primer" not in client.get("/workshops?district=01").get_data(as_text=True)

    catalan = client.get(f"/workshops/{workshop.id}?lang=ca").get_data(as_text=True)
    assert "El meu primer mòbil" in catalan and "Només disponible" not in catalan
    spanish = client.get(f"/workshops/{workshop.id}?lang=es").get_data(as_text=True)
    assert 'lang="ca">El meu primer mòbil' in spanish
    assert "Solo disponible en catalán." in spanish
    english = client.get(f"/workshops/{workshop.id}?lang=en").get_data(as_text=True)
    assert "Only available in Catalan." in english
    assert "10:00" in english

    poster = client.get(f"/workshops/{workshop.id}/poster?lang=ca").get_data(as_text=True)
    assert f"ALTA {workshop.public_code}" in poster and "<svg" in poster


def test_a_session_entered_at_ten_on_the_day_clocks_change_is_stored_and_shown_right(
        client, auth, catalogue_setup):
    auth.login_as(Role.ORGANISER)
    venue, topic = catalogue_setup["venue"], catalogue_setup["topic"]
    for day, utc_hour in [("2027-03-28", 8), ("2027-10-31", 9)]:
        response = post_form(client, "/staff/workshops/new", data=workshop_form(**{
            "w-venue": str(venue.id), "w-topic": str(topic.id), "s-repeat": "once",
            "s-date": day, "s-skip_dates": ""}))
        assert response.status_code == 302
        workshop_id = int(response.headers["Location"].rsplit("/", 1)[1])
        workshop = db.session.get(Workshop, workshop_id)
        assert workshop.sessions[0].starts_at.hour == utc_hour
        page = client.get(f"/staff/workshops/{workshop_id}").get_data(as_text=True)
        assert "10:00–12:00" in page


def test_errors_are_translated_and_keep_what_was_typed(client, auth, catalogue_setup):
    auth.login_as(Role.ORGANISER)
    venue, topic = catalogue_setup["venue"], catalogue_setup["topic"]
    response = post_form(client, "/staff/workshops/new?lang=es", data=workshop_form(**{
        "w-venue": str(venue.id), "w-topic": str(topic.id), "w-capacity": "900",
        "s-end_time": "09:00"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="El meu primer mòbil"' in html
    assert "El número de plazas debe estar entre 1 y 500." in html
    assert db.session.scalar(select(Workshop)) is None


def test_a_past_date_is_refused_with_a_clear_message(client, auth, catalogue_setup):
    auth.login_as(Role.ORGANISER)
    venue, topic = catalogue_setup["venue"], catalogue_setup["topic"]
    response = post_form(client, "/staff/workshops/new?lang=en", data=workshop_form(**{
        "w-venue": str(venue.id), "w-topic": str(topic.id), "s-repeat": "once",
        "s-date": "2020-01-07"}))
    assert response.status_code == 422
    assert "A new session cannot be in the past." in response.get_data(as_text=True)


def test_organisers_cannot_edit_someone_elses_workshop(client, auth, app_context):
    workshop = make_workshop()
    auth.login_as(Role.ORGANISER)
    assert client.get(f"/staff/workshops/{workshop.id}/edit").status_code == 403
    assert client.get(f"/staff/workshops/{workshop.id}").status_code == 403


def test_the_owner_and_coordinators_can_edit(client, auth, app_context):
    owner = make_user([Role.ORGANISER], email="owner@example.org")
    workshop = make_workshop(organiser=owner)
    auth.login("owner@example.org")
    assert client.get(f"/staff/workshops/{workshop.id}/edit").status_code == 200
    auth.logout()
    auth.login_as(Role.COORDINATOR)
    assert client.get(f"/staff/workshops/{workshop.id}/edit").status_code == 200


@pytest.mark.parametrize("who, offered", [
    ("owner", True), ("coordinator", True), ("admin", True), ("other organiser", False),
    ("facilitator on the team", False), ("facilitator and organiser on the team", False)])
def test_the_workshop_page_offers_its_management_only_to_who_may_open_it(client, auth,
                                                                       app_context, who,
                                                                       offered):
    owner = make_user([Role.ORGANISER], email="owner@example.org")
    workshop = make_workshop(organiser=owner)
    roles = {"owner": None, "coordinator": [Role.COORDINATOR], "admin": [Role.ADMIN],
             "other organiser": [Role.ORGANISER],
             "facilitator on the team": [Role.FACILITATOR],
             "facilitator and organiser on the team": [Role.FACILITATOR, Role.ORGANISER]}[who]
    if roles is None:
        auth.login("owner@example.org")
    else:
        user = auth.login_as(*roles)
        if "team" in who:
            workshop.facilitators = [user]
            db.session.commit()
    manage_url = f"/staff/workshops/{workshop.id}"
    page = client.get(f"/workshops/{workshop.id}?lang=en").get_data(as_text=True)
    assert (f'href="{manage_url}"' in page) is offered
    assert ("Manage this workshop" in page) is offered
    # The link and the page it leads to apply one rule.
    assert client.get(manage_url).status_code == (200 if offered else 403)


def test_cancelling_asks_for_a_reason_and_shows_it_publicly(client, auth, app_context):
    owner = make_user([Role.ORGANISER], email="owner@example.org")
    workshop = make_workshop(organiser=owner)
    auth.login("owner@example.org")
    url = f"/staff/workshops/{workshop.id}/cancel"
    assert post_form(client, url, reason="").status_code == 422
    assert post_form(client, url, reason="La sala està en obres.").status_code == 302
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "La sala està en obres." in page and "cancel·lat" in page


def test_drafts_are_not_public(client, app_context):
    workshop = make_workshop(publish=False)
    assert client.get(f"/workshops/{workshop.id}").status_code == 404
    assert client.get(f"/workshops/{workshop.id}/poster").status_code == 404
    assert "Taller de mòbil" not in client.get("/workshops").get_data(as_text=True)


def test_coordinators_add_a_topic_that_organisers_can_choose(client, auth, app_context):
    auth.login_as(Role.COORDINATOR)
    response = post_form(client, "/staff/topics/new", name_ca="Intel·ligència artificial",
                         name_es="Inteligencia artificial", name_en="Artificial intelligence",
                         active="1")
    assert response.status_code == 302
    assert "Intel·ligència artificial" in client.get("/staff/workshops/new").get_data(
        as_text=True)


def test_coordinators_add_a_venue_with_its_accessibility(client, auth, seeded):
    from workshops.places.models import Neighbourhood, Venue

    auth.login_as(Role.COORDINATOR)
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    response = post_form(client, "/staff/venues/new", name="Biblioteca Sant Pau",
                         address="Carrer de l'Hospital, 56", neighbourhood_id=str(raval.id),
                         directions_ca="Metro L3 Liceu", step_free_access="y", free_wifi="y")
    assert response.status_code == 302
    venue = db.session.scalar(select(Venue))
    assert (venue.neighbourhood_id, venue.step_free_access, venue.hearing_loop) == (
        raval.id, True, False)


def test_a_venue_needs_a_name_and_keeps_what_was_typed(client, auth, seeded):
    auth.login_as(Role.COORDINATOR)
    response = post_form(client, "/staff/venues/new", name="", address="Carrer Nou, 1",
                         neighbourhood_id="-1")
    assert response.status_code == 422
    assert 'value="Carrer Nou, 1"' in response.get_data(as_text=True)


def test_seeding_adds_the_default_topics_once(runner, app_context):
    from workshops.catalogue.models import Topic

    runner.invoke(args=["seed"])
    runner.invoke(args=["seed"])
    keys = db.session.scalars(select(Topic.key)).all()
    assert len(keys) == len(set(keys)) == 7


def test_duplicating_when_no_sms_code_is_free_says_so_and_copies_nothing(app, client, auth,
                                                                          app_context):
    organiser = auth.login_as(Role.ORGANISER)
    workshop = make_workshop(now=NOW, slots=[in_days(3)], organiser=organiser)
    row = {column.name: getattr(workshop, column.key)
           for column in Workshop.__table__.columns if column.name != "id"}
    # Every three- and four-digit code taken by a draft (drafts are never over).
    db.session.execute(Workshop.__table__.insert(), [
        row | {"public_code": str(code), "status": WorkshopStatus.DRAFT}
        for code in range(100, 10000) if str(code) != workshop.public_code])
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Workshop))
    manage_url = f"/staff/workshops/{workshop.id}"
    response = post_form(client, manage_url, f"{manage_url}/duplicate")
    assert response.status_code == 303 and response.location.endswith(manage_url)
    with app.test_request_context(), force_locale(organiser.preferred_language):
        refusal = gettext("There is no free SMS code left. Contact a coordinator.")
    assert refusal in client.get(manage_url).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Workshop)) == before


# The workshop page: what and for whom, when, where, then how to sign up

def test_the_workshop_page_says_when_and_where_before_the_sign_up_form(client, app_context,
                                                                         seeded):
    workshop = make_workshop()
    html = client.get(f"/workshops/{workshop.id}?lang=en").get_data(as_text=True)
    order = [html.index(marker) for marker in (
        'id="fit-heading"', 'class="session-list"', 'class="venue-address"',
        'class="form narrow registration-form"', 'id="about-heading"')]
    assert order == sorted(order)


def test_is_it_for_me_shows_level_language_what_to_bring_and_the_length_worked_out(
        client, app_context, seeded):
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    workshop = make_workshop(
        slots=[Slot(start + timedelta(weeks=week), start + timedelta(weeks=week, hours=1.5))
               for week in range(3)],
        brings={"ca": "El vostre mòbil.", "es": "Su móvil."}, instruction_language="es")
    english = client.get(f"/workshops/{workshop.id}?lang=en").get_data(as_text=True)
    fit = english.split('id="fit-heading"')[1].split("</section>")[0]
    assert "Beginners: no experience needed" in fit and "Spanish" in fit
    assert "3 sessions, 4.5 hours in all" in fit
    assert '<dd lang="ca">El vostre mòbil.</dd>' in fit  # no English text: the Catalan one
    spanish = client.get(f"/workshops/{workshop.id}?lang=es").get_data(as_text=True)
    assert "3 sesiones, 4,5 horas en total" in spanish and "Su móvil." in spanish


def test_what_to_bring_is_written_per_language_on_the_staff_form_and_copied_with_it(
        client, auth, catalogue_setup):
    auth.login_as(Role.ORGANISER)
    venue, topic = catalogue_setup["venue"], catalogue_setup["topic"]
    response = post_form(client, "/staff/workshops/new", data=workshop_form(**{
        "w-venue": str(venue.id), "w-topic": str(topic.id),
        "w-bring_ca": " El mòbil i el carregador. ", "w-bring_es": "El móvil y el cargador.",
        "w-bring_en": ""}))
    assert response.status_code == 302
    workshop = db.session.scalar(select(Workshop))
    assert workshop.bring_texts == {"ca": "El mòbil i el carregador.",
                                    "es": "El móvil y el cargador."}
    edit = client.get(f"/staff/workshops/{workshop.id}/edit").get_data(as_text=True)
    assert 'value="El móvil y el cargador."' in edit
    copy = services.duplicate(workshop, organiser=workshop.organiser, now=datetime.now(UTC))
    assert copy.bring_texts == workshop.bring_texts
