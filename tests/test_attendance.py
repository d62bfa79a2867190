"""Taking attendance: marks and their sync rules, walk-ins, closing, the roster pages."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.conftest import csrf_token_from, post_form
from tests.factories import make_neighbourhood, make_user, make_venue, make_workshop, mobile
from tests.factories import register as register_resident
from workshops.accounts.models import Role
from workshops.attendance import services as attendance
from workshops.attendance.models import Attendance
from workshops.attendance.services import AttendanceError, Change
from workshops.catalogue.local_time import Slot
from workshops.catalogue.models import Session
from workshops.extensions import db
from workshops.notifications.models import OutboxMessage
from workshops.registrations import services as registrations
from workshops.registrations.disclosure import name_for_staff
from workshops.registrations.models import (
    AgeBand,
    Channel,
    Gender,
    Registration,
    RegistrationStatus,
    Resident,
)
from workshops.registrations.phones import parse_phone
from workshops.registrations.services import ResidentDetails

# Wednesday 4 March 2026, 10:00 to 12:00 in Barcelona; created two days before.
SESSION_START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
CREATED = SESSION_START - timedelta(days=2)
DURING = SESSION_START + timedelta(minutes=30)


def course(*, start=SESSION_START, created=CREATED, capacity=12, facilitators=(),
           **overrides):
    """A published workshop with one two-hour session at `start`."""
    workshop = make_workshop(now=created, slots=[Slot(start, start + timedelta(hours=2))],
                             capacity=capacity, **overrides)
    workshop.facilitators = list(facilitators)
    db.session.commit()
    return workshop


def sign_up(workshop, n, *, created=CREATED, **overrides):
    return register_resident(workshop, mobile(n), now=created,
                             **({"name": f"Person {n}"} | overrides))


def tap(session, registration, present, *, at, change_id=None, by, now=None):
    change = Change(change_id or f"c-{registration.id}-{at.timestamp()}", registration.id,
                    present, at)
    result = attendance.mark(session, change, by=by, now=now or at)
    db.session.commit()
    return result


def mark_of(session, registration) -> Attendance | None:
    return db.session.scalar(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.registration_id == registration.id))


@pytest.fixture
def facilitator(app_context):
    return make_user([Role.FACILITATOR], email="fatima@example.org")


# Marks and the sync rules


def test_a_tap_records_the_mark_who_made_it_and_when(facilitator):
    workshop = course(facilitators=[facilitator])
    registration = sign_up(workshop, 1)
    session = workshop.sessions[0]
    assert tap(session, registration, True, at=DURING, by=facilitator) == "applied"
    row = mark_of(session, registration)
    assert (row.present, row.marked_at, row.recorded_at, row.marked_by_id) == (
        True, DURING, DURING, facilitator.id)


def test_the_same_change_sent_twice_is_applied_once(facilitator):
    workshop = course(facilitators=[facilitator])
    registration = sign_up(workshop, 1)
    session = workshop.sessions[0]
    assert tap(session, registration, True, at=DURING, change_id="tap-1",
               by=facilitator) == "applied"
    resent = tap(session, registration, True, at=DURING, change_id="tap-1", by=facilitator,
                 now=DURING + timedelta(minutes=5))
    assert resent == "duplicate"
    assert mark_of(session, registration).recorded_at == DURING
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 1


def test_the_later_tap_wins_whatever_order_the_changes_arrive_in(facilitator):
    workshop = course(facilitators=[facilitator])
    registration = sign_up(workshop, 1)
    session = workshop.sessions[0]
    later = DURING + timedelta(minutes=3)
    # The later tap (absent) reaches the server first; the earlier one was queued offline.
    tap(session, registration, False, at=later, change_id="later", by=facilitator)
    assert tap(session, registration, True, at=DURING, change_id="earlier", by=facilitator,
               now=later + timedelta(minutes=10)) == "superseded"
    row = mark_of(session, registration)
    assert (row.present, row.change_id, row.marked_at) == (False, "later", later)


def test_a_tap_from_a_device_clock_in_the_future_is_clamped_to_the_server_clock(facilitator):
    workshop = course(facilitators=[facilitator])
    registration = sign_up(workshop, 1)
    session = workshop.sessions[0]
    tap(session, registration, True, at=DURING + timedelta(days=1), change_id="wrong-clock",
        by=facilitator, now=DURING)
    assert mark_of(session, registration).marked_at == DURING
    # A tap made a minute later on a correct device still wins.
    assert tap(session, registration, False, at=DURING + timedelta(minutes=1),
               by=facilitator) == "applied"
    assert mark_of(session, registration).present is False


def test_only_people_on_the_workshops_list_can_be_marked(facilitator):
    workshop = course(facilitators=[facilitator])
    other = sign_up(course(), 2)
    with pytest.raises(AttendanceError) as error:
        tap(workshop.sessions[0], other, True, at=DURING, by=facilitator)
    assert error.value.code == "not_on_roster"


def test_attendance_is_taken_from_the_day_of_the_session(facilitator):
    workshop = course(facilitators=[facilitator])
    registration = sign_up(workshop, 1)
    day_before = SESSION_START - timedelta(days=1)
    with pytest.raises(AttendanceError) as error:
        tap(workshop.sessions[0], registration, True, at=day_before, by=facilitator)
    assert error.value.code == "too_early"
    # Earlier the same day is fine (a facilitator arrives before the start).
    assert tap(workshop.sessions[0], registration, True, at=SESSION_START - timedelta(hours=2),
               by=facilitator) == "applied"


def test_after_seven_days_only_coordinators_change_attendance(facilitator):
    workshop = course(facilitators=[facilitator])
    registration = sign_up(workshop, 1)
    session = workshop.sessions[0]
    eight_days_later = session.ends_at + timedelta(days=8)
    assert attendance.is_locked(session, facilitator, now=eight_days_later)
    with pytest.raises(AttendanceError) as error:
        tap(session, registration, True, at=eight_days_later, by=facilitator)
    assert error.value.code == "locked"
    assert tap(session, registration, True, at=session.ends_at + timedelta(days=6),
               by=facilitator) == "applied"
    coordinator = make_user([Role.COORDINATOR])
    assert tap(session, registration, False, at=eight_days_later, by=coordinator) == "applied"


# Closing


def test_closing_marks_everyone_not_marked_as_absent(facilitator):
    workshop = course(capacity=3, facilitators=[facilitator])
    came, forgot, missing = (sign_up(workshop, n) for n in (1, 2, 3))
    waiting = sign_up(workshop, 4)
    session = workshop.sessions[0]
    tap(session, came, True, at=DURING, by=facilitator)
    end = session.ends_at
    assert attendance.close(session, by=facilitator, now=end) == 2
    db.session.commit()
    assert [mark_of(session, r).present for r in (came, forgot, missing)] == [True, False, False]
    assert mark_of(session, waiting) is None  # no place, not expected
    assert (session.closed_at, session.closed_by_id) == (end, facilitator.id)
    # A correction after closing is still possible, and closing again keeps the first time.
    tap(session, forgot, True, at=end + timedelta(minutes=5), by=facilitator)
    assert attendance.close(session, by=facilitator, now=end + timedelta(minutes=10)) == 0
    assert mark_of(session, forgot).present and session.closed_at == end


def test_closing_is_locked_after_seven_days_except_for_coordinators(facilitator):
    workshop = course(facilitators=[facilitator])
    sign_up(workshop, 1)
    session = workshop.sessions[0]
    late = session.ends_at + timedelta(days=7, minutes=1)
    with pytest.raises(AttendanceError):
        attendance.close(session, by=facilitator, now=late)
    assert attendance.close(session, by=make_user([Role.COORDINATOR]), now=late) == 1


# Walk-ins


def walk_in_details(phone=None, name="Walk In", **overrides):
    return ResidentDetails(phone=parse_phone(phone) if phone else None, name=name,
                           home_neighbourhood=make_neighbourhood(), **overrides)


def test_a_walk_in_at_a_full_workshop_holds_a_place_and_counts_above_capacity(facilitator):
    workshop = course(capacity=2, facilitators=[facilitator])
    first, second = sign_up(workshop, 1), sign_up(workshop, 2)
    session = workshop.sessions[0]
    tap(session, first, True, at=DURING, by=facilitator)
    tap(session, second, True, at=DURING, by=facilitator)
    walk_in = attendance.add_walk_in(session, walk_in_details(), by=facilitator, now=DURING)
    db.session.commit()
    assert walk_in.channel == Channel.WALK_IN
    # She is in the room: registered with a place and present, whatever the capacity.
    assert walk_in.status == RegistrationStatus.CONFIRMED and workshop.seats_taken == 3
    assert mark_of(session, walk_in).present
    assert attendance.roster(session).counts() == {
        "present": 3, "registered": 3, "walk_ins": 1, "capacity": 2, "above_capacity": 1}


def test_a_walk_in_above_capacity_pushes_nobody_out_and_the_waiting_list_keeps_its_order(
        facilitator):
    # A course of two sessions, a week apart: the walk-in comes to the first.
    workshop = make_workshop(now=CREATED, capacity=2, slots=[
        Slot(start, start + timedelta(hours=2))
        for start in (SESSION_START, SESSION_START + timedelta(days=7))])
    workshop.facilitators = [facilitator]
    first, second = sign_up(workshop, 1), sign_up(workshop, 2)
    waiting = [sign_up(workshop, n) for n in (3, 4)]
    early = workshop.sessions[0]
    walk_in = attendance.add_walk_in(early, walk_in_details(), by=facilitator, now=DURING)
    db.session.commit()
    assert [r.status for r in (first, second, walk_in)] == [RegistrationStatus.CONFIRMED] * 3
    assert [registrations.waitlist_position(r) for r in waiting] == [1, 2]
    # A place freed while still at capacity goes to nobody; the next one, to the first waiting.
    later = early.ends_at + timedelta(days=1)
    assert registrations.cancel(first, now=later) is None
    assert registrations.cancel(second, now=later) == waiting[0]
    db.session.commit()
    assert workshop.seats_taken == 2 == db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.workshop_id == workshop.id,
            Registration.status == RegistrationStatus.CONFIRMED))
    assert registrations.waitlist_position(waiting[1]) == 1


def test_walk_ins_are_added_for_as_long_as_attendance_can_be_changed(facilitator):
    workshop = course(capacity=1, facilitators=[facilitator])
    sign_up(workshop, 1)
    session = workshop.sessions[0]
    six_days_later = session.ends_at + timedelta(days=6)
    assert workshop.is_over(six_days_later)
    walk_in = attendance.add_walk_in(session, walk_in_details(), by=facilitator,
                                     now=six_days_later)
    db.session.commit()
    assert walk_in.status == RegistrationStatus.CONFIRMED
    assert mark_of(session, walk_in).present
    eight_days_later = session.ends_at + timedelta(days=8)
    with pytest.raises(AttendanceError) as error:
        attendance.add_walk_in(session, walk_in_details(name="Too Late"), by=facilitator,
                               now=eight_days_later)
    assert error.value.code == "locked"
    db.session.rollback()
    coordinator = make_user([Role.COORDINATOR])
    assert attendance.add_walk_in(session, walk_in_details(name="Corrected Later"),
                                  by=coordinator, now=eight_days_later).status == (
        RegistrationStatus.CONFIRMED)


def test_a_walk_in_takes_a_free_place(facilitator):
    workshop = course(capacity=2, facilitators=[facilitator])
    walk_in = attendance.add_walk_in(workshop.sessions[0], walk_in_details(), by=facilitator,
                                     now=DURING)
    assert walk_in.status == RegistrationStatus.CONFIRMED and workshop.seats_taken == 1
    assert walk_in.created_by_id == facilitator.id


def test_a_walk_in_whose_phone_is_known_attaches_to_that_resident_without_sms(facilitator):
    known = sign_up(course(), 7, preferred_language="es").resident
    workshop = course(facilitators=[facilitator])
    walk_in = attendance.add_walk_in(
        workshop.sessions[0], walk_in_details("+34 600 000 007", name="Person 7"),
        by=facilitator, now=DURING)
    db.session.commit()
    assert walk_in.resident_id == known.id
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 1
    assert known.preferred_language == "es"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.registration_id == walk_in.id)) == 0


def stored_about(resident):
    db.session.refresh(resident)
    return (resident.name, resident.email, resident.home_neighbourhood_id,
            resident.lives_outside_barcelona, resident.age_band, resident.gender,
            resident.preferred_language, resident.sms_consent, resident.sms_opted_out)


def test_a_walk_in_with_her_phone_changes_nothing_stored_about_her(facilitator):
    elsewhere = course()  # a workshop this facilitator cannot open
    hers = sign_up(elsewhere, 7, channel=Channel.SMS, name="Maria Garcia",
                   email="maria@example.org", home_neighbourhood=make_neighbourhood(),
                   age_band=AgeBand.FROM_65, gender=Gender.WOMAN, preferred_language="es")
    before = stored_about(hers.resident)
    workshop = course(facilitators=[facilitator])

    walk_in = attendance.add_walk_in(
        workshop.sessions[0], walk_in_details(mobile(7), name="Someone Else",
                                              age_band=AgeBand.UNDER_30, gender=Gender.MAN,
                                              lives_outside_barcelona=True, sms_consent=True),
        by=facilitator, now=DURING)
    db.session.commit()

    assert walk_in.resident_id == hers.resident_id
    assert stored_about(hers.resident) == before
    assert [row.registration.display_name for row in
            attendance.roster(elsewhere.sessions[0]).rows] == ["Maria Garcia"]
    assert [(row.registration.display_name, row.registration.recorded_name) for row in
            attendance.roster(workshop.sessions[0]).rows] == [("Someone Else", "Maria Garcia")]


def test_a_walk_in_who_had_registered_is_just_marked_present(facilitator):
    workshop = course(facilitators=[facilitator])
    registration = sign_up(workshop, 1)
    walk_in = attendance.add_walk_in(workshop.sessions[0], walk_in_details(mobile(1)),
                                     by=facilitator, now=DURING)
    assert walk_in.id == registration.id and walk_in.channel == Channel.WEB
    assert mark_of(workshop.sessions[0], registration).present


def test_a_walk_in_who_was_on_the_waiting_list_gets_her_place_for_the_next_sessions_too(
        facilitator):
    """Before, she was marked present but stayed on the waiting list: the roster of the
    second session did not expect her and no reminder went to her."""
    workshop = make_workshop(now=CREATED, capacity=1, slots=[
        Slot(start, start + timedelta(hours=2))
        for start in (SESSION_START, SESSION_START + timedelta(days=7))])
    workshop.facilitators = [facilitator]
    sign_up(workshop, 1)
    waiting, behind = sign_up(workshop, 2), sign_up(workshop, 3)
    outbox_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    walk_in = attendance.add_walk_in(workshop.sessions[0], walk_in_details(mobile(2)),
                                     by=facilitator, now=DURING)
    db.session.commit()
    assert walk_in.id == waiting.id and walk_in.channel == Channel.WEB
    assert waiting.status == RegistrationStatus.CONFIRMED and workshop.seats_taken == 2
    assert mark_of(workshop.sessions[0], waiting).present
    assert waiting.id in {row.registration.id
                          for row in attendance.roster(workshop.sessions[1]).expected}
    assert registrations.waitlist_position(behind) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox_before


def test_the_same_walk_in_form_sent_twice_adds_the_person_once(facilitator):
    workshop = course(facilitators=[facilitator])
    session = workshop.sessions[0]
    first = attendance.add_walk_in(session, walk_in_details(), by=facilitator, now=DURING,
                                   submission_key="form-1")
    again = attendance.add_walk_in(session, walk_in_details(), by=facilitator, now=DURING,
                                   submission_key="form-1")
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


# Today's sessions


def test_a_facilitator_sees_their_sessions_today_coming_and_recent(facilitator):
    now = SESSION_START - timedelta(hours=1)
    today = course(facilitators=[facilitator])
    tomorrow = course(start=SESSION_START + timedelta(days=1), facilitators=[facilitator])
    last_week = course(start=SESSION_START - timedelta(days=5),
                       created=SESSION_START - timedelta(days=9), facilitators=[facilitator])
    course()  # someone else's
    course(start=SESSION_START + timedelta(days=10), facilitators=[facilitator])
    listing = attendance.sessions_for(facilitator, now=now)
    assert [s.workshop_id for s in listing.today] == [today.id]
    assert [s.workshop_id for s in listing.coming] == [tomorrow.id]
    assert [s.workshop_id for s in listing.recent] == [last_week.id]


def test_coordinators_see_everyones_sessions_and_filter_by_neighbourhood(app_context):
    coordinator = make_user([Role.COORDINATOR])
    here = make_venue()
    mine = course(venue=here)
    other = course()
    now = SESSION_START - timedelta(hours=1)
    assert {s.workshop_id for s in attendance.sessions_for(coordinator, now=now).today} == {
        mine.id, other.id}
    filtered = attendance.sessions_for(coordinator, now=now,
                                       neighbourhood_id=here.neighbourhood_id)
    assert [s.workshop_id for s in filtered.today] == [mine.id]


# Pages (the real clock: a session that began a moment ago)


@pytest.fixture
def live_session(app_context, seeded):
    """A workshop in progress now, with three people registered; its facilitator."""
    facilitator = make_user([Role.FACILITATOR], email="tablet@example.org")
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    workshop = course(start=start, created=start - timedelta(days=2), capacity=3,
                      facilitators=[facilitator], titles={"ca": "Mòbil", "es": "", "en": ""})
    people = [sign_up(workshop, n, created=start - timedelta(days=2))
              for n in (1, 2, 3)]
    return workshop.sessions[0], people, facilitator


def test_a_facilitator_lands_on_their_sessions_after_signing_in(client, auth, live_session):
    session, _people, _facilitator = live_session
    response = auth.login("tablet@example.org")
    assert response.headers["Location"] == "/staff/attendance"
    html = client.get("/staff/attendance").get_data(as_text=True)
    assert f'href="/staff/sessions/{session.id}/attendance"' in html
    assert "Mòbil" in html


def test_the_staff_home_links_to_attendance(client, auth, app_context):
    auth.login_as(Role.ORGANISER)
    assert 'href="/staff/attendance"' in client.get("/staff").get_data(as_text=True)


def test_without_javascript_each_tap_is_a_form_post(client, auth, live_session):
    session, people, _facilitator = live_session
    auth.login("tablet@example.org")
    url = f"/staff/sessions/{session.id}/attendance"
    html = client.get(url).get_data(as_text=True)
    change_id = re.search(
        rf'name="registration_id" value="{people[1].id}">\s*'
        r'<input type="hidden" name="change_id" value="([^"]+)"', html).group(1)
    fields = {"csrf_token": csrf_token_from(html), "registration_id": str(people[1].id),
              "change_id": change_id, "present": "1"}
    response = client.post(f"{url}/mark", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}#person-{people[1].id}"
    client.post(f"{url}/mark", data=fields)  # the same form sent twice
    row = mark_of(session, people[1])
    assert row.present and row.change_id == change_id
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'data-count="present">1<', page)


def test_the_filter_box_narrows_the_list_without_javascript_too(client, auth, live_session):
    session, people, _facilitator = live_session
    auth.login("tablet@example.org")
    html = client.get(f"/staff/sessions/{session.id}/attendance?q=person 2").get_data(
        as_text=True)
    hidden = re.findall(r'id="person-(\d+)"[^>]*?\shidden>', html, re.S)
    assert sorted(int(i) for i in hidden) == sorted([people[0].id, people[2].id])


def sync(client, session, changes):
    url = f"/staff/sessions/{session.id}/attendance"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(f"{url}/sync", json={"changes": changes},
                       headers={"X-CSRFToken": token})


def test_the_sync_endpoint_applies_queued_changes_once_and_answers_each(client, auth,
                                                                       live_session):
    session, people, _facilitator = live_session
    auth.login("tablet@example.org")
    tapped = int(datetime.now(UTC).timestamp() * 1000)
    changes = [{"change_id": f"d-{p.id}", "registration_id": p.id, "present": True,
                "marked_at": tapped} for p in people[:2]]
    first = sync(client, session, changes)
    assert first.status_code == 200
    assert [r["status"] for r in first.json["results"]] == ["applied", "applied"]
    assert first.json["counts"]["present"] == 2 and first.json["csrf_token"]
    again = sync(client, session, changes + [{"change_id": "x", "registration_id": 999999,
                                              "present": True, "marked_at": tapped}])
    assert [r["status"] for r in again.json["results"]] == ["duplicate", "duplicate",
                                                            "rejected"]
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 2


def sync_walk_ins(client, session, walk_ins):
    url = f"/staff/sessions/{session.id}/attendance"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(f"{url}/sync", json={"changes": [], "walk_ins": walk_ins},
                       headers={"X-CSRFToken": token})


def test_walk_ins_added_offline_are_saved_once_and_checked_like_the_form(client, auth,
                                                                        live_session):
    session, _people, _facilitator = live_session
    auth.login("tablet@example.org")
    neighbourhood = session.workshop.venue.neighbourhood_id
    tapped = int(datetime.now(UTC).timestamp() * 1000)
    rosa = {"change_id": "w-1", "marked_at": tapped, "fields": {
        "name": "Rosa Serra", "phone": "", "home_neighbourhood": str(neighbourhood),
        "age_band": "", "gender": "unsaid"}}
    wrong_phone = {"change_id": "w-2", "marked_at": tapped, "fields": {
        "name": "Joan", "phone": "12 34", "home_neighbourhood": str(neighbourhood)}}
    first = sync_walk_ins(client, session, [rosa, wrong_phone])
    assert [r["status"] for r in first.json["results"]] == ["applied", "rejected"]
    assert "612 34 56 78" in first.json["results"][1]["message"]
    assert first.json["counts"]["walk_ins"] == 1
    again = sync_walk_ins(client, session, [rosa])
    assert again.json["results"][0]["registration_id"] == first.json["results"][0][
        "registration_id"]
    walk_ins = db.session.scalars(select(Registration).where(
        Registration.channel == Channel.WALK_IN)).all()
    assert [w.resident.name for w in walk_ins] == ["Rosa Serra"]
    assert mark_of(session, walk_ins[0]).present


def test_the_sync_endpoint_refuses_a_request_without_the_form_token(client, auth,
                                                                    live_session):
    session, people, _facilitator = live_session
    auth.login("tablet@example.org")
    response = client.post(f"/staff/sessions/{session.id}/attendance/sync", json={
        "changes": [{"change_id": "a", "registration_id": people[0].id, "present": True,
                     "marked_at": 0}]})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_a_walk_in_is_added_from_the_roster_and_marked_present(client, auth, live_session):
    session, _people, _facilitator = live_session
    auth.login("tablet@example.org")
    url = f"/staff/sessions/{session.id}/attendance/walk-in"
    html = client.get(url).get_data(as_text=True)
    neighbourhood = re.search(r'<option value="(\d+)">',
                              html.split('name="home_neighbourhood"')[1]).group(1)
    response = post_form(client, url, name="Rosa Serra", phone="",
                         home_neighbourhood=neighbourhood, age_band="65-74")
    assert response.status_code == 303
    walk_in = db.session.scalar(select(Registration).where(
        Registration.channel == Channel.WALK_IN))
    assert walk_in.resident.name == "Rosa Serra" and mark_of(session, walk_in).present
    # Full (three places): the fourth person is above capacity, flagged in the counts.
    roster = client.get(f"/staff/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "Rosa Serra" in roster and re.search(r'data-count="walk-ins">1<', roster)


def test_the_roster_shows_a_walk_ins_name_as_typed_and_the_name_on_record_for_the_phone(
        client, auth, live_session):
    session, _people, _facilitator = live_session
    hers = sign_up(course(), 9, channel=Channel.SMS, name="Maria Garcia")
    auth.login("tablet@example.org")
    url = f"/staff/sessions/{session.id}/attendance/walk-in"

    response = post_form(client, f"{url}?lang=en", url, name="Rosa Serra", phone=mobile(9),
                         home_neighbourhood=str(session.workshop.venue.neighbourhood_id))

    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rosa Serra is on the list and marked present." in html
    assert re.search(r'<span class="name">Rosa Serra</span>\s*(<span class="phone-hint">'
                     r'[^<]*</span>\s*)?<span class="hint">'
                     r'Name on record for this phone: Maria Garcia</span>', html)
    for query in ("rosa", "maria"):  # either name finds her; nobody else matches
        found = client.get(f"/staff/sessions/{session.id}/attendance?q={query}").get_data(
            as_text=True)
        assert 'class="no-match" hidden' in found
        assert len(re.findall(r'<li class="roster-person[^>]*\shidden>', found)) == 3
    db.session.refresh(hers)
    assert (hers.resident.name, hers.display_name) == ("Maria Garcia", "Maria Garcia")


def test_the_roster_shows_an_sms_sign_up_without_a_name_by_channel_and_last_digits(
        client, auth, live_session):
    session, _people, _facilitator = live_session
    sign_up(session.workshop, 45678, channel=Channel.SMS, name="")
    auth.login("tablet@example.org")
    html = client.get(f"/staff/sessions/{session.id}/attendance").get_data(as_text=True)
    assert '<span class="name">SMS ···678</span>' in html
    assert "(dades esborrades)" not in html


def test_staff_see_erased_residents_and_unnamed_sms_sign_ups_in_different_words(
        app_context):
    workshop = course(capacity=5)
    unnamed = sign_up(workshop, 45678, channel=Channel.SMS, name="")
    erased = sign_up(workshop, 2)
    erased.resident.name, erased.resident.phone = "", None
    erased.resident.erased_at = CREATED
    named = sign_up(workshop, 3)
    with force_locale("ca"):
        assert [name_for_staff(r) for r in (unnamed, erased, named)] == [
            "SMS ···678", "(dades esborrades)", "Person 3"]


def test_a_malformed_phone_gives_a_translated_error_and_keeps_what_was_typed(client, auth,
                                                                             live_session):
    session, _people, _facilitator = live_session
    auth.login("tablet@example.org")
    url = f"/staff/sessions/{session.id}/attendance/walk-in?lang=es"
    response = post_form(client, url, name="Núria", phone="12 34", home_neighbourhood="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Esto no parece un número de teléfono. Escríbalo así: 612 34 56 78." in html
    assert 'value="Núria"' in html and 'value="12 34"' in html
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 3


@pytest.mark.parametrize("lang, session_word", [("ca", "sessió"), ("es", "sesión"),
                                                 ("en", "session")])
def test_signing_out_is_not_worded_like_the_workshop_session_on_the_roster(
        client, auth, live_session, lang, session_word):
    session, _people, _facilitator = live_session
    auth.login("tablet@example.org")
    html = client.get(f"/staff/sessions/{session.id}/attendance?lang={lang}").get_data(
        as_text=True)
    sign_out = re.search(r'<button type="submit" class="link-button">([^<]+)</button>',
                         html).group(1)
    close = re.search(r'<section class="close-session".*?</section>', html, re.S).group(0)
    assert session_word not in sign_out.lower()
    assert sign_out not in close


def test_closing_from_the_roster_page(client, auth, live_session):
    session, people, _facilitator = live_session
    auth.login("tablet@example.org")
    url = f"/staff/sessions/{session.id}/attendance"
    response = post_form(client, url, f"{url}/close")
    assert response.status_code == 303
    assert [mark_of(session, p).present for p in people] == [False, False, False]
    assert "3 persones" in client.get(url).get_data(as_text=True)


def test_a_locked_roster_shows_why_and_its_toggles_are_disabled(client, auth, app_context,
                                                                seeded):
    facilitator = make_user([Role.FACILITATOR], email="tablet@example.org")
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=9)
    workshop = course(start=start, created=start - timedelta(days=2),
                      facilitators=[facilitator])
    sign_up(workshop, 1, created=start - timedelta(days=2))
    auth.login("tablet@example.org")
    html = client.get(f"/staff/sessions/{workshop.sessions[0].id}/attendance?lang=en"
                      ).get_data(as_text=True)
    assert "only a coordinator can change its attendance now" in html
    assert html.count(" disabled>") == 2


@pytest.mark.parametrize("who, allowed", [
    ("assigned facilitator", True), ("another facilitator", False),
    ("the workshop's organiser", True), ("another organiser", False),
    ("coordinator", True), ("admin", True)])
def test_only_the_workshops_team_opens_and_changes_a_roster(client, auth, live_session, who,
                                                           allowed):
    session, people, facilitator = live_session
    organiser = session.workshop.organiser
    email = {"assigned facilitator": facilitator.email, "the workshop's organiser":
             organiser.email}.get(who)
    if email:
        auth.login(email)
    else:
        role = {"another facilitator": Role.FACILITATOR, "another organiser": Role.ORGANISER,
                "coordinator": Role.COORDINATOR, "admin": Role.ADMIN}[who]
        auth.login_as(role)
    url = f"/staff/sessions/{session.id}/attendance"
    expected = 200 if allowed else 403
    assert client.get(url).status_code == expected
    assert client.get(f"{url}/walk-in").status_code == expected
    token = csrf_token_from(client.get("/staff").get_data(as_text=True))
    marked = client.post(f"{url}/mark", data={"csrf_token": token, "present": "1",
                                              "registration_id": str(people[0].id)})
    assert marked.status_code == (303 if allowed else 403)
    synced = client.post(f"{url}/sync", headers={"X-CSRFToken": token}, json={"changes": []})
    assert synced.status_code == expected
    closed = client.post(f"{url}/close", data={"csrf_token": token})
    assert closed.status_code == (303 if allowed else 403)
    assert (mark_of(session, people[0]) is not None) == allowed


def test_the_registrations_export_counts_sessions_attended(client, auth, live_session):
    session, people, _facilitator = live_session
    tap(session, people[0], True, at=datetime.now(UTC), by=session.workshop.organiser)
    auth.login_as(Role.COORDINATOR)
    workshop_id = session.workshop_id
    body = client.get(f"/staff/workshops/{workshop_id}/registrations.csv?lang=en").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff")), delimiter=";"))
    assert rows[0][-1] == "Sessions attended"
    assert {row[2]: row[-1] for row in rows[1:]} == {
        "Person 1": "1", "Person 2": "0", "Person 3": "0"}
    page = client.get(f"/staff/workshops/{workshop_id}/registrations?lang=en")
    assert "1 of 1" in page.get_data(as_text=True)


def test_the_service_worker_is_served_from_the_root_without_caching(client, app_context):
    response = client.get("/attendance-sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-cache"


# In the browser: a tablet at the door


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True,
                                  is_mobile=True, locale="ca-ES")
    yield context
    context.close()


def queue_is_empty(page, session_id):
    page.wait_for_function(f"() => !localStorage.getItem('attendance-queue:{session_id}')")


@pytest.mark.browser
def test_a_facilitator_takes_attendance_on_a_tablet_through_a_lost_connection(
        app, live_server, tablet):
    with app.app_context():
        facilitator = make_user([Role.FACILITATOR], email="tablet@example.org")
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        workshop = course(start=start, created=start - timedelta(days=2), capacity=6,
                          facilitators=[facilitator],
                          titles={"ca": "Primers passos amb el mòbil", "es": "", "en": ""})
        people = [sign_up(workshop, n, created=start - timedelta(days=2)).id
                  for n in range(1, 7)]
        session_id = workshop.sessions[0].id
    page = tablet.new_page()
    page.goto(live_server + "/login")
    page.fill("#email", "tablet@example.org")
    page.fill("#password", "a-long-test-password")
    page.locator("form.form button[type=submit]").tap()
    page.wait_for_url("**/staff/attendance")
    page.get_by_role("link", name=re.compile("Primers passos amb el mòbil")).tap()
    page.wait_for_url(f"**/staff/sessions/{session_id}/attendance")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    sizes = page.eval_on_selector_all(".toggle", "els => els.map(e => { "
                                      "const r = e.getBoundingClientRect(); "
                                      "return [r.width, r.height]; })")
    assert len(sizes) == 12 and min(min(w, h) for w, h in sizes) >= 44

    for registration_id in people[:3]:
        page.locator(f"#person-{registration_id} .toggle-present").tap()
    queue_is_empty(page, session_id)
    assert page.locator("[data-count=present]").inner_text() == "3"

    page.get_by_role("link", name="Afegir algú sense inscripció").tap()
    page.get_by_label("Nom").fill("Rosa Serra")
    page.get_by_label("Barri de residència").select_option(label="el Raval")
    page.get_by_role("button", name="Afegir i marcar present").tap()
    page.wait_for_url(f"**/staff/sessions/{session_id}/attendance*")
    assert page.locator("[data-count=walk-ins]").inner_text() == "1"
    # The copy kept for offline reloads is the page as it is now.
    page.wait_for_function("() => caches.open('attendance-v1').then(c => c.match("
                           f"'/staff/sessions/{session_id}/attendance')).then(r => r && r.text())"
                           ".then(t => !!t && t.includes('Rosa Serra'))")

    tablet.set_offline(True)
    for registration_id in people[3:5]:
        page.locator(f"#person-{registration_id} .toggle-present").tap()
    status = page.locator("#sync-status")
    page.wait_for_function("() => document.getElementById('sync-status').textContent"
                           ".includes('2 canvis pendents de desar')")
    reloaded = page.reload()
    assert reloaded.from_service_worker  # the kept copy: the server is not reachable
    assert "2 canvis pendents de desar" in status.inner_text()
    assert page.locator(f"#person-{people[4]} .toggle-present").get_attribute(
        "aria-pressed") == "true"
    assert page.locator("[data-count=present]").inner_text() == "6"

    tablet.set_offline(False)
    queue_is_empty(page, session_id)
    assert "Tots els canvis desats." in status.inner_text()
    with app.app_context():
        present = db.session.scalars(select(Registration.id).join(
            Attendance, Attendance.registration_id == Registration.id).where(
            Attendance.session_id == session_id, Attendance.present.is_(True))).all()
        walk_in = db.session.scalar(select(Registration).where(
            Registration.channel == Channel.WALK_IN))
        assert sorted(present) == sorted(people[:5] + [walk_in.id])
        assert walk_in.resident.name == "Rosa Serra"
    # Signing out forgets the kept copy of the roster (it holds residents' names).
    page.get_by_role("button", name="Surt", exact=True).tap()
    page.wait_for_url(live_server + "/")
    page.wait_for_function("() => caches.has('attendance-v1').then(kept => !kept)")


def test_a_workshops_page_links_to_the_attendance_of_sessions_that_have_begun(client, auth,
                                                                            live_session):
    session, _people, _facilitator = live_session
    auth.login_as(Role.COORDINATOR)
    html = client.get(f"/staff/workshops/{session.workshop_id}").get_data(as_text=True)
    assert f'href="/staff/sessions/{session.id}/attendance"' in html


@pytest.mark.browser
def test_a_walk_in_added_offline_is_saved_when_the_connection_returns(app, live_server,
                                                                      tablet):
    with app.app_context():
        facilitator = make_user([Role.FACILITATOR], email="tablet@example.org")
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        workshop = course(start=start, created=start - timedelta(days=2), capacity=1,
                          facilitators=[facilitator])
        sign_up(workshop, 1, created=start - timedelta(days=2))
        session_id = workshop.sessions[0].id
    page = tablet.new_page()
    page.goto(live_server + "/login")
    page.fill("#email", "tablet@example.org")
    page.fill("#password", "a-long-test-password")
    page.locator("form.form button[type=submit]").tap()
    page.wait_for_url("**/staff/attendance")
    page.goto(f"{live_server}/staff/sessions/{session_id}/attendance")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => caches.open('attendance-v1').then(c => c.match("
                           f"'/staff/sessions/{session_id}/attendance/walk-in')).then(r => !!r)")

    tablet.set_offline(True)
    page.get_by_role("link", name="Afegir algú sense inscripció").tap()
    page.get_by_label("Nom").fill("Rosa Serra")
    page.get_by_label("Barri de residència").select_option(label="el Raval")
    page.get_by_role("button", name="Afegir i marcar present").tap()
    page.wait_for_url(f"**/staff/sessions/{session_id}/attendance")
    assert "Rosa Serra" in page.locator(".roster-person.is-pending").inner_text()
    assert "1 canvi pendent de desar" in page.locator("#sync-status").inner_text()
    assert page.locator("[data-count=walk-ins]").inner_text() == "1"

    tablet.set_offline(False)
    page.wait_for_function("() => !localStorage.getItem('attendance-walk-ins:"
                           f"{session_id}') && !document.querySelector('.is-pending')")
    assert "Rosa Serra" in page.locator(".roster-person[data-walk-in]").inner_text()
    with app.app_context():
        walk_in = db.session.scalar(select(Registration).where(
            Registration.channel == Channel.WALK_IN))
        assert walk_in.resident.name == "Rosa Serra"
        assert mark_of(db.session.get(Session, session_id), walk_in).present


@pytest.mark.browser
def test_the_roster_fits_a_320_px_phone_and_every_target_is_at_least_44_px(app, live_server,
                                                                           browser):
    with app.app_context():
        facilitator = make_user([Role.FACILITATOR], email="phone@example.org")
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        created = start - timedelta(days=2)
        workshop = course(start=start, created=created, capacity=2, facilitators=[facilitator],
                          titles={"ca": "Tràmits en línia amb l'Ajuntament i la Generalitat",
                                  "es": "", "en": ""})
        sign_up(workshop, 1, created=created,
                name="Maria Dolors Puigdomènech i Vilanova-Castellsagué")
        sign_up(workshop, 2, created=created, channel=Channel.SMS, name="")
        sign_up(workshop, 3, created=created)  # waiting
        session_id = workshop.sessions[0].id
    context = browser.new_context(viewport={"width": 320, "height": 640}, has_touch=True,
                                  is_mobile=True, locale="ca-ES")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#email", "phone@example.org")
    page.fill("#password", "a-long-test-password")
    page.locator("form.form button[type=submit]").tap()
    page.wait_for_url("**/staff/attendance")
    page.goto(f"{live_server}/staff/sessions/{session_id}/attendance")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    small_targets = page.eval_on_selector_all(
        "main a, main button, main input:not([type=hidden]), main select",
        "els => els.filter(e => e.offsetParent).map(e => { "
        "const r = e.getBoundingClientRect(); "
        "return [e.textContent.trim() || e.name, Math.round(r.width), Math.round(r.height)]; })"
        ".filter(([, w, h]) => Math.min(w, h) < 44)")
    context.close()
    assert scroll_width == 320  # no sideways scrolling
    assert small_targets == []
