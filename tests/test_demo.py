from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workshops.accounts.models import Role, User
from workshops.attendance.models import Attendance
from workshops.catalogue.models import Session, Workshop
from workshops.db_types import utcnow
from workshops.demo import DEMO_USERS, DEMO_VENUES
from workshops.extensions import db
from workshops.places.models import Neighbourhood, Venue
from workshops.registrations.models import Channel, Registration, RegistrationStatus, Resident


def test_demo_needs_the_neighbourhoods_first(runner, app_context):
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "flask --app app seed" in result.output


def test_demo_creates_one_user_per_role_and_venues_in_priority_areas(runner, seeded):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    users = db.session.scalars(select(User)).all()
    assert {role for user in users for role in user.roles} == set(Role)
    for email, _name, password, _roles in DEMO_USERS:
        assert f"{email}" in result.output and password in result.output
    venues = db.session.scalars(select(Venue).where(
        Venue.name.in_([name for _code, name, *_rest in DEMO_VENUES]))).all()
    assert len(venues) >= 6
    assert all(venue.neighbourhood.priority for venue in venues)
    assert len({venue.neighbourhood.district_id for venue in venues}) >= 4
    upcoming = db.session.scalars(select(Workshop).where(
        Workshop.last_session_ends_at > utcnow())).all()
    assert {workshop.venue for workshop in upcoming} <= set(venues)


def test_demo_venues_made_before_venues_had_coordinates_get_them(runner, seeded):
    code, name, address, _directions, details = DEMO_VENUES[0]
    neighbourhood = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))
    db.session.add(Venue(name=name, address=address, neighbourhood=neighbourhood))
    db.session.commit()
    assert runner.invoke(args=["demo"]).exit_code == 0
    venues = db.session.scalars(select(Venue).where(Venue.name == name)).all()
    assert [(v.latitude, v.longitude) for v in venues] == [
        (details["latitude"], details["longitude"])]
    assert all(v.point is not None for v in db.session.scalars(select(Venue)))


def test_demo_runs_only_on_an_empty_database_when_asked(runner, seeded):
    runner.invoke(args=["demo", "--if-empty"])
    again = runner.invoke(args=["demo", "--if-empty"])
    assert "skipped" in again.output
    explicit = runner.invoke(args=["demo"])
    assert explicit.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)


def test_demo_users_can_sign_in_with_the_published_passwords(runner, client, auth, seeded):
    runner.invoke(args=["demo"])
    for email, _name, password, _roles in DEMO_USERS:
        assert auth.login(email, password).status_code == 302
        auth.logout()


@pytest.fixture
def demo(runner, seeded):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def past_workshops():
    return db.session.scalars(select(Workshop).where(Workshop.last_session_ends_at < utcnow())
                              ).all()


def test_demo_history_spans_six_months_in_a_spread_of_neighbourhoods(demo):
    past = past_workshops()
    assert len(past) >= 30
    starts = [workshop.first_session_starts_at for workshop in past]
    assert utcnow() - timedelta(days=190) < min(starts) < utcnow() - timedelta(days=170)
    places = Counter(workshop.venue.neighbourhood for workshop in past)
    assert len(places) >= 10
    priority = sum(count for n, count in places.items() if n.priority)
    assert priority > 2 * (len(past) - priority) > 0, "priority neighbourhoods get more"
    assert "already over" in demo and "walk-ins" in demo


def test_demo_residents_come_by_every_channel_from_near_and_far(demo):
    registrations = db.session.scalars(select(Registration)).all()
    assert {r.channel for r in registrations} == set(Channel)
    assert Counter(r.status for r in registrations)[RegistrationStatus.WAITLISTED] >= 10
    residents = db.session.scalars(select(Resident)).all()
    assert len({r.age_band for r in residents}) >= 5
    assert len({r.gender for r in residents}) >= 3
    assert any(r.lives_outside_barcelona for r in residents)
    elsewhere = [r for r in registrations
                 if r.resident.home_neighbourhood not in (None, r.workshop.venue.neighbourhood)]
    assert 0.2 < len(elsewhere) / len(registrations) < 0.6
    homes = db.session.scalar(select(func.count(func.distinct(Resident.home_neighbourhood_id))))
    assert homes >= 30
    assert db.session.scalar(select(func.count()).select_from(Neighbourhood)) == 73


def test_demo_attendance_is_only_for_held_sessions_and_that_workshops_people(demo):
    marks = db.session.scalars(select(Attendance)).all()
    assert len(marks) > 1000
    for mark in marks:
        assert mark.session.ends_at < utcnow()
        assert mark.registration.workshop_id == mark.session.workshop_id
        # People with a place (walk-ins included) or, present anyway, on the waiting list.
        assert (mark.registration.status == RegistrationStatus.CONFIRMED
                or mark.present)
        assert mark.marked_at >= mark.registration.created_at
        assert mark.recorded_at >= mark.marked_at
    present = sum(mark.present for mark in marks) / len(marks)
    assert 0.65 < present < 0.9


def test_demo_closed_rosters_mark_everyone_and_open_ones_only_who_came(demo):
    sessions = db.session.scalars(select(Session).where(Session.ends_at < utcnow())).all()
    closed = [s for s in sessions if s.closed_at is not None]
    still_open = [s for s in sessions if s.closed_at is None and s.ends_at < utcnow() -
                  timedelta(days=1)]
    assert len(closed) > 100 and still_open
    marks_by_session = {}
    for mark in db.session.scalars(select(Attendance)):
        marks_by_session.setdefault(mark.session_id, []).append(mark)
    for session in closed:
        assert session.closed_at >= session.ends_at and session.closed_by_id is not None
        roster = db.session.scalars(select(Registration.id).where(
            Registration.workshop_id == session.workshop_id,
            # People with a place by then (walk-ins included).
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.created_at < session.ends_at)).all()
        assert sorted(m.registration_id for m in marks_by_session[session.id]) == sorted(roster)
    for session in still_open:
        assert all(m.present for m in marks_by_session.get(session.id, []))


def test_demo_bookings_stay_within_capacity_and_walk_ins_hold_a_place_even_above_it(demo):
    above_capacity = 0
    for workshop in db.session.scalars(select(Workshop)):
        confirmed, walk_ins = db.session.execute(
            select(func.count(), func.count().filter(Registration.channel == Channel.WALK_IN))
            .where(Registration.workshop_id == workshop.id,
                   Registration.status == RegistrationStatus.CONFIRMED)).one()
        assert confirmed == workshop.seats_taken
        assert confirmed - walk_ins <= workshop.capacity
        above_capacity += confirmed > workshop.capacity
    assert above_capacity, "no demo workshop shows walk-ins above capacity"
    walk_ins = db.session.scalars(select(Registration).where(
        Registration.channel == Channel.WALK_IN)).all()
    assert len(walk_ins) >= 20
    assert {w.status for w in walk_ins} == {RegistrationStatus.CONFIRMED}
    for walk_in in walk_ins:
        first_mark = db.session.scalars(select(Attendance).join(Session).where(
            Attendance.registration_id == walk_in.id).order_by(Session.starts_at)).first()
        assert first_mark.present


def test_demo_waiting_lists_of_past_workshops_never_got_a_seat_or_a_mark(demo):
    waiting = db.session.scalars(select(Registration).join(Workshop).where(
        Registration.status == RegistrationStatus.WAITLISTED,
        Registration.channel != Channel.WALK_IN,
        Workshop.last_session_ends_at < utcnow())).all()
    assert waiting
    waiting_ids = [r.id for r in waiting]
    assert not db.session.scalar(select(func.count()).select_from(Attendance).where(
        Attendance.registration_id.in_(waiting_ids)))
    promoted = db.session.scalars(select(Registration).where(
        Registration.promoted_at.is_not(None))).all()
    cancelled = db.session.scalars(select(Registration).where(
        Registration.status == RegistrationStatus.CANCELLED)).all()
    assert promoted and cancelled
    for registration in promoted:
        assert registration.status == RegistrationStatus.CONFIRMED
        assert any(c.workshop_id == registration.workshop_id
                   and c.cancelled_at == registration.promoted_at for c in cancelled)


def test_demo_follow_up_answers_are_for_recent_past_workshops_and_people_who_came(demo):
    from workshops.outcomes.models import FollowUp

    follow_ups = db.session.scalars(select(FollowUp)).all()
    answered = [f for f in follow_ups if f.answer is not None]
    assert len(follow_ups) >= 30 and 0 < len(answered) < len(follow_ups)
    assert {f.answer for f in answered} == {1, 2, 3}
    assert "follow-up questions" in demo
    for follow_up in follow_ups:
        registration = follow_up.registration
        assert registration.workshop.last_session_ends_at < follow_up.sent_at <= utcnow()
        assert registration.can_receive_sms
        assert db.session.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.registration_id == registration.id, Attendance.present.is_(True)))
