"""Taking attendance: marks from the tablet (online or queued offline), walk-ins, closing.

Plain functions: they flush, the caller commits. A mark carries the device's change id and
tap time: the same change sent twice is applied once, and of two changes to one person the
later tap wins, whatever order they reach the server in. Tap times from the future are
clamped to the server's clock so a wrong device clock cannot win forever.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from workshops.accounts.models import Role, User
from workshops.attendance.models import Attendance
from workshops.catalogue.local_time import to_local
from workshops.catalogue.models import Session, Workshop, WorkshopStatus
from workshops.extensions import db
from workshops.places.models import Venue
from workshops.registrations import services as registrations
from workshops.registrations.models import (
    Channel,
    Registration,
    RegistrationStatus,
)
from workshops.registrations.services import RegistrationError, ResidentDetails
from workshops.services import DomainError

LOCK_AFTER = timedelta(days=7)
MAX_CHANGE_ID_LENGTH = 64


class AttendanceError(DomainError):
    messages = {
        "locked": _l("This session ended more than 7 days ago: only a coordinator can change "
                     "its attendance now."),
        "too_early": _l("Attendance can be taken from the day of the session."),
        "not_on_roster": _l("This person is not on this session's list."),
        "workshop_cancelled": _l("This workshop has been cancelled."),
        "bad_change": _l("The change could not be read. Reload the page and try again."),
    }


def is_locked(session: Session, user: User, *, now: datetime) -> bool:
    return now > session.ends_at + LOCK_AFTER and not user.has_role(Role.COORDINATOR)


def _check_can_change(session: Session, user: User, *, now: datetime) -> None:
    """Also locks the session row (PostgreSQL) so marks for one session apply one by one."""
    db.session.execute(select(Session.id).where(Session.id == session.id).with_for_update())
    if session.workshop.status == WorkshopStatus.CANCELLED:
        raise AttendanceError("workshop_cancelled")
    if to_local(now).date() < to_local(session.starts_at).date():
        raise AttendanceError("too_early")
    if is_locked(session, user, now=now):
        raise AttendanceError("locked")


@dataclass
class RosterRow:
    registration: Registration
    attendance: Attendance | None

    @property
    def state(self) -> str:
        if self.attendance is None:
            return "unmarked"
        return "present" if self.attendance.present else "absent"

    @property
    def is_walk_in(self) -> bool:
        return self.registration.channel == Channel.WALK_IN


@dataclass
class Roster:
    session: Session
    expected: list[RosterRow] = field(default_factory=list)  # confirmed places
    waitlisted: list[RosterRow] = field(default_factory=list)  # came anyway, perhaps

    @property
    def rows(self) -> list[RosterRow]:
        return self.expected + self.waitlisted

    @property
    def present(self) -> int:
        return sum(row.state == "present" for row in self.rows)

    @property
    def registered(self) -> int:
        return len(self.expected)

    @property
    def walk_ins(self) -> int:
        return sum(row.state == "present" and row.is_walk_in for row in self.rows)

    @property
    def capacity(self) -> int:
        return self.session.workshop.capacity

    @property
    def above_capacity(self) -> int:
        return max(0, self.present - self.capacity)

    @property
    def unmarked(self) -> int:
        return sum(row.state == "unmarked" for row in self.expected)

    def counts(self) -> dict[str, int]:
        return {"present": self.present, "registered": self.registered,
                "walk_ins": self.walk_ins, "capacity": self.capacity,
                "above_capacity": self.above_capacity}


def _sort_key(row: RosterRow):
    return (row.registration.display_name or "").casefold(), row.registration.id


def roster(session: Session) -> Roster:
    """Everyone holding a place, then the waiting list; each with their mark, if any."""
    registrations_ = db.session.scalars(
        select(Registration)
        .where(Registration.workshop_id == session.workshop_id,
               Registration.status != RegistrationStatus.CANCELLED)
        .options(selectinload(Registration.resident))
    ).all()
    marks = {a.registration_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id))}
    result = Roster(session)
    for registration in registrations_:
        row = RosterRow(registration, marks.get(registration.id))
        if registration.status == RegistrationStatus.CONFIRMED:
            result.expected.append(row)
        else:
            result.waitlisted.append(row)
    result.expected.sort(key=_sort_key)
    result.waitlisted.sort(key=_sort_key)
    return result


def new_change_id() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Change:
    """One tap on the tablet."""

    change_id: str
    registration_id: int
    present: bool
    marked_at: datetime


def mark(session: Session, change: Change, *, by: User, now: datetime) -> str:
    """Apply one change. Returns "applied", "duplicate" (this change was applied already)
    or "superseded" (a later tap for this person is already recorded)."""
    if not change.change_id or len(change.change_id) > MAX_CHANGE_ID_LENGTH:
        raise AttendanceError("bad_change")
    _check_can_change(session, by, now=now)
    registration = db.session.get(Registration, change.registration_id)
    if (registration is None or registration.workshop_id != session.workshop_id
            or registration.status == RegistrationStatus.CANCELLED):
        raise AttendanceError("not_on_roster")
    marked_at = min(change.marked_at, now)
    attendance = db.session.scalar(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.registration_id == registration.id))
    if attendance is None:
        attendance = Attendance(session=session, registration=registration)
        db.session.add(attendance)
    elif attendance.change_id == change.change_id:
        return "duplicate"
    # Ties are broken by change id so the result does not depend on arrival order.
    elif (marked_at, change.change_id) < (attendance.marked_at, attendance.change_id):
        return "superseded"
    attendance.present = change.present
    attendance.marked_at = marked_at
    attendance.recorded_at = now
    attendance.marked_by = by
    attendance.change_id = change.change_id
    db.session.flush()
    return "applied"


def add_walk_in(session: Session, details: ResidentDetails, *, by: User, now: datetime,
                submission_key: str = "", marked_at: datetime | None = None) -> Registration:
    """Someone who came without registering: registered through the walk-in channel and
    marked present. She is there, so she holds a place even when the workshop is full (and
    counts above capacity); nobody else loses theirs. Walk-ins are added for as long as
    marks can be changed (`_check_can_change`), after the last session too. A phone that
    matches a resident attaches to that resident, changing nothing stored about her (the
    name typed stays with this registration); one already holding a place is just marked
    present, and one on the waiting list gets her place.
    No SMS is sent. `marked_at` is the tap time of a walk-in added offline."""
    # The workshop row first, then the session row: one locking order, no deadlock.
    registrations.lock_workshop(session.workshop_id)
    _check_can_change(session, by, now=now)
    if submission_key:
        earlier = db.session.scalar(select(Registration).where(
            Registration.workshop_id == session.workshop_id,
            Registration.submission_key == submission_key))
        if earlier is not None:
            return earlier  # the same form sent twice
    try:
        registration = registrations.register(
            session.workshop_id, details, channel=Channel.WALK_IN, now=now,
            submission_key=submission_key, created_by=by, notify=False)
    except RegistrationError as error:
        if error.code != "already_registered":
            raise
        registration = error.registration
        if registration.status == RegistrationStatus.WAITLISTED:
            registrations.seat_at_the_door(registration, now=now)
    change_id = f"walk-in:{submission_key}" if submission_key else new_change_id()
    mark(session, Change(change_id, registration.id, True, marked_at or now), by=by, now=now)
    return registration


def close(session: Session, *, by: User, now: datetime) -> int:
    """Mark everyone holding a place who is not marked yet as absent. Returns how many.

    Closing again (after a late registration) marks the newcomers; the first closing time
    is kept."""
    _check_can_change(session, by, now=now)
    current = roster(session)
    unmarked = [row.registration for row in current.expected if row.attendance is None]
    for registration in unmarked:
        db.session.add(Attendance(session=session, registration=registration, present=False,
                                  marked_at=now, recorded_at=now, marked_by=by,
                                  change_id=f"close:{session.id}"))
    if session.closed_at is None:
        session.closed_at = now
        session.closed_by_id = by.id
    db.session.flush()
    return len(unmarked)


@dataclass
class SessionListing:
    today: list[Session]
    coming: list[Session]
    recent: list[Session]


def sessions_for(user: User, *, now: datetime, neighbourhood_id: int | None = None,
                 days: int = 7) -> SessionListing:
    """The user's sessions today, in the coming days and in the last days (still open to
    corrections). Coordinators see everyone's, optionally in one neighbourhood."""
    today = to_local(now).date()
    window_start = now - timedelta(days=days + 1)
    window_end = now + timedelta(days=days + 1)
    query = (select(Session).join(Session.workshop).join(Workshop.venue)
             .where(Workshop.status == WorkshopStatus.PUBLISHED,
                    Session.starts_at >= window_start, Session.starts_at < window_end)
             .options(selectinload(Session.workshop).selectinload(Workshop.venue)
                      .selectinload(Venue.neighbourhood))
             .order_by(Session.starts_at, Session.id))
    if user.has_role(Role.COORDINATOR):
        if neighbourhood_id is not None:
            query = query.where(Venue.neighbourhood_id == neighbourhood_id)
    else:
        query = query.where(
            (Workshop.organiser_id == user.id) | Workshop.facilitators.any(User.id == user.id))
    listing = SessionListing([], [], [])
    for session in db.session.scalars(query):
        day = to_local(session.starts_at).date()
        if day == today:
            listing.today.append(session)
        elif today < day <= today + timedelta(days=days - 1):
            listing.coming.append(session)
        elif today - timedelta(days=days) <= day < today:
            listing.recent.append(session)
    listing.recent.reverse()  # the most recent first
    return listing


def present_counts(session_ids: list[int]) -> dict[int, int]:
    """How many people were marked present, per session."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Attendance.session_id, func.count())
        .where(Attendance.session_id.in_(session_ids), Attendance.present.is_(True))
        .group_by(Attendance.session_id))
    return {key: count for key, count in rows}


def sessions_attended(workshop: Workshop) -> dict[int, int]:
    """Sessions each registration was present at, for the registrations export."""
    rows = db.session.execute(
        select(Attendance.registration_id, func.count())
        .join(Attendance.registration)
        .where(Registration.workshop_id == workshop.id, Attendance.present.is_(True))
        .group_by(Attendance.registration_id))
    return {key: count for key, count in rows}


def sessions_held(workshop: Workshop, now: datetime) -> int:
    return sum(session.starts_at <= now for session in workshop.sessions)
