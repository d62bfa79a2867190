"""Demo attendance for every session held before today, so reach statistics have visits in them.

A few people cancel before the course starts (the first on the waiting list takes the
place, as the registration service does); people waiting for a full course keep waiting.
Facilitators mark who came at the door and close the roster after the session, which
marks the rest absent; a few recent sessions were never closed, so only the people marked
present have a row. Some people never come, most miss a session now and then, courses
lose a few people as the weeks go by, and walk-ins join at the door (even when the course
is full: the facilitator does not turn them away). Repeatable: a seeded random generator.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert

from workshops.accounts.models import User
from workshops.attendance.models import Attendance
from workshops.catalogue.local_time import to_local
from workshops.catalogue.models import Session, Workshop
from workshops.demo.registrations import AGE_WEIGHTS, FIRST_NAMES, GENDER_WEIGHTS, LAST_NAMES
from workshops.extensions import db
from workshops.reach import facts as reach_facts
from workshops.registrations.models import Channel, Registration, RegistrationStatus, Resident

CANCEL_SHARE = 0.06
NEVER_CAME_SHARE = 0.08
UNCLOSED_RECENT_SHARE = 0.25
WALK_INS_PER_SESSION = [(0, 6), (1, 3), (2, 1)]


@dataclass
class Mark:
    session: Session
    registration: Registration
    present: bool
    marked_at: datetime
    recorded_at: datetime
    marked_by: User
    change_id: str


@dataclass
class DemoAttendance:
    walk_ins: list[Registration] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    closed_sessions: int = 0
    cancelled: int = 0

    @property
    def present_share(self) -> float:
        return sum(m.present for m in self.marks) / len(self.marks) if self.marks else 0.0

    def insert_attendance(self) -> None:
        """One multi-row INSERT, after the flush has given sessions and registrations ids;
        then the reach facts of the people marked, which an INSERT through Core bypasses."""
        if self.marks:
            db.session.execute(insert(Attendance), [
                {"session_id": m.session.id, "registration_id": m.registration.id,
                 "present": m.present, "marked_at": m.marked_at, "recorded_at": m.recorded_at,
                 "marked_by_id": m.marked_by.id, "change_id": m.change_id}
                for m in self.marks])
            reach_facts.refresh({m.registration.resident_id for m in self.marks})


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def build_demo_attendance(workshops: list[Workshop], registrations: list[Registration], *,
                          now: datetime, organiser: User) -> DemoAttendance:
    rng = random.Random(8)  # noqa: S311  (repeatable demo data, not secrets)
    result = DemoAttendance()
    by_workshop: dict[int, list[Registration]] = {}
    for registration in registrations:
        by_workshop.setdefault(id(registration.workshop), []).append(registration)
    walk_in_count = 0
    today = to_local(now).date()

    for workshop in workshops:
        # Today's rosters stay untouched for the tablet demo.
        held = [s for s in workshop.sessions if to_local(s.ends_at).date() < today]
        if not held:
            continue
        people = by_workshop.get(id(workshop), [])
        result.cancelled += _cancel_a_few(workshop, people, rng)
        staff = workshop.facilitators[0] if workshop.facilitators else organiser
        # How likely each person is to come: some never do, most come most weeks.
        keen = {id(r): 0.0 if rng.random() < NEVER_CAME_SHARE else rng.uniform(0.65, 0.97)
                for r in people}
        for number, session in enumerate(held):
            roster = [r for r in people if r.status == RegistrationStatus.CONFIRMED]
            for _ in range(_weighted(rng, WALK_INS_PER_SESSION)):
                walk_in_count += 1
                walk_in = _walk_in(workshop, session, staff, rng, walk_in_count)
                result.walk_ins.append(walk_in)
                people.append(walk_in)
                keen[id(walk_in)] = rng.uniform(0.4, 0.8)
                result.marks.append(_tap(session, walk_in, staff, rng))
            # A few recent rosters were never closed: only who came has a row there.
            recent = session.ends_at > now - timedelta(days=14)
            closed_at = None if recent and rng.random() < UNCLOSED_RECENT_SHARE else (
                session.ends_at + timedelta(minutes=rng.randint(0, 15)))
            fading = 0.97 ** number  # courses lose a few people week by week
            for registration in roster:
                if rng.random() < keen[id(registration)] * fading:
                    result.marks.append(_tap(session, registration, staff, rng))
                elif closed_at is not None:
                    result.marks.append(Mark(session, registration, False, closed_at,
                                             closed_at, staff, ""))
            if closed_at is not None:
                session.closed_at = closed_at
                session.closed_by_id = staff.id
                result.closed_sessions += 1
    return result


def _cancel_a_few(workshop: Workshop, people: list[Registration], rng: random.Random) -> int:
    """Cancel before the first session; the first waiting takes the place, once."""
    cancelled = 0
    starts = workshop.first_session_starts_at
    for registration in [r for r in people if r.status == RegistrationStatus.CONFIRMED]:
        if rng.random() >= CANCEL_SHARE:
            continue
        at = registration.created_at + (starts - registration.created_at) * rng.uniform(0.3, 0.9)
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = at
        workshop.seats_taken -= 1
        cancelled += 1
        waiting = sorted((r for r in people if r.status == RegistrationStatus.WAITLISTED
                          and r.queued_at < at), key=lambda r: r.queued_at)
        if waiting:
            first = waiting[0]
            first.status = RegistrationStatus.CONFIRMED
            first.confirmed_at = first.promoted_at = at
            workshop.seats_taken += 1
    return cancelled


def _walk_in(workshop: Workshop, session: Session, staff: User, rng: random.Random,
             number: int) -> Registration:
    at = session.starts_at + timedelta(minutes=rng.randint(0, 20))
    near = workshop.venue.neighbourhood
    has_phone = rng.random() < 0.7
    resident = Resident(
        phone=f"+34602{number:06d}" if has_phone else None, phone_takes_sms=has_phone,
        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        home_neighbourhood=near if rng.random() < 0.8 else None,
        age_band=_weighted(rng, AGE_WEIGHTS), gender=_weighted(rng, GENDER_WEIGHTS),
        preferred_language=rng.choice(["ca", "es", "es"]), sms_consent=has_phone,
        sms_consent_at=at if has_phone else None, created_at=at)
    # As the tablet does: nobody is turned away at the door, and whoever is there holds a
    # place, above capacity when the course is full.
    workshop.seats_taken += 1
    return Registration(
        workshop=workshop, resident=resident, status=RegistrationStatus.CONFIRMED,
        channel=Channel.WALK_IN, created_at=at, queued_at=at, confirmed_at=at,
        created_by=staff)


def _tap(session: Session, registration: Registration, staff: User,
         rng: random.Random) -> Mark:
    marked_at = max(session.starts_at + timedelta(minutes=rng.randint(-10, 25)),
                    registration.created_at)
    # The tablet was sometimes offline: the change reached the server later.
    delay = timedelta(seconds=rng.randint(0, 3)) if rng.random() < 0.9 else timedelta(
        minutes=rng.randint(5, 90))
    return Mark(session, registration, True, marked_at, marked_at + delay, staff,
                f"{rng.getrandbits(128):032x}")

