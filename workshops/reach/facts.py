"""One row per registration that counts in the reach figures, kept up to date as people sign
up, are marked, move house or see their workshop move: the dashboard reads these rows alone,
without joining five tables and counting marks for every registration.

Counting *different people* is what makes reach figures slow: each level (neighbourhood,
district, topic, channel, month, the person) needs its own distinct count. Each row therefore
carries, per level, when the same person's previous registration at that level began
(`prev_*`). For a period that starts at S, a row is the person's first at that level in the
period exactly when its previous one began before S (or there is none), so a distinct count
becomes a plain sum. Rows are ordered by the workshop's start, then by registration.

Only what does not depend on the clock is kept: which sessions have been held is worked out
when the figures are asked for.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    bindparam,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    or_,
    select,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, aliased, mapped_column
from sqlalchemy.sql import visitors
from sqlalchemy.sql.functions import FunctionElement

from workshops.attendance.models import Attendance
from workshops.catalogue.models import Session, Workshop, WorkshopStatus
from workshops.db_types import UTCDateTime, str_enum
from workshops.extensions import db
from workshops.places.models import Neighbourhood, Venue
from workshops.registrations.models import (
    AgeBand,
    Channel,
    Gender,
    Registration,
    RegistrationStatus,
    Resident,
)


class local_month(FunctionElement):  # noqa: N801  (used like func.*)
    """The first day ("YYYY-MM-01") of the Barcelona calendar month a UTC time falls in."""

    type = String()
    inherit_cache = True


@compiles(local_month, "postgresql")
def _local_month_postgresql(element, compiler, **kw):
    return (f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Europe/Madrid',"
            " 'YYYY-MM-01')")


@compiles(local_month, "sqlite")
def _local_month_sqlite(element, compiler, **kw):
    # SQLite knows no time zones. Barcelona is UTC+2 in summer time and UTC+1 otherwise, and
    # no month begins while the clocks change: a month from April to October begins in
    # summer time (so UTC+2 decides), any other month in winter time (UTC+1 decides).
    at = compiler.process(element.clauses, **kw)
    return (f"CASE WHEN strftime('%m', {at}, '+2 hours') BETWEEN '04' AND '10'"
            f" THEN strftime('%Y-%m-01', {at}, '+2 hours')"
            f" ELSE strftime('%Y-%m-01', {at}, '+1 hours') END")


class ReachFact(db.Model):
    __tablename__ = "reach_fact"
    __table_args__ = (Index("ix_reach_fact_began_at", "began_at"),)

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    workshop_id: Mapped[int] = mapped_column(Integer)
    # The workshop: when it began and ended, how many sessions, where, about what.
    began_at: Mapped[datetime] = mapped_column(UTCDateTime)
    began_month: Mapped[str] = mapped_column(String(10))  # local, "YYYY-MM-01"
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sessions: Mapped[int] = mapped_column(Integer)
    venue_neighbourhood_id: Mapped[int] = mapped_column(Integer)
    venue_district_id: Mapped[int] = mapped_column(Integer)
    topic_id: Mapped[int] = mapped_column(Integer)
    # The registration and its marks (at any session).
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    marks: Mapped[int] = mapped_column(Integer)
    present_marks: Mapped[int] = mapped_column(Integer)
    # The person, as given for statistics (kept after erasure).
    home_neighbourhood_id: Mapped[int | None] = mapped_column(Integer)
    home_district_id: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[AgeBand | None] = mapped_column(str_enum(AgeBand))
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender))
    # When the first workshop at which the person was ever present began (any workshop,
    # cancelled ones included): they are new in a period that starts on or before it.
    first_present_began_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the person's previous registration (not cancelled) / previous attended one began:
    # anywhere, at the same venue neighbourhood, venue district, topic, channel and month.
    prev_registered: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_attended: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_registered_place: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_attended_place: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_registered_district: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_attended_district: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_registered_topic: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_attended_topic: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_registered_channel: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_attended_channel: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_registered_month: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_attended_month: Mapped[datetime | None] = mapped_column(UTCDateTime)


# (level, the partition beyond the person) for the prev_* columns.
LEVELS = {
    "": (),
    "_place": ("venue_neighbourhood_id",),
    "_district": ("venue_district_id",),
    "_topic": ("topic_id",),
    "_channel": ("channel",),
    "_month": ("began_month",),
}


@cache
def _facts_select(some_residents: bool):
    """The rows of `reach_fact`, for every resident or only for those in the expanding
    parameter `resident_ids`. Built once: building it costs more than running it for one
    person."""
    def marks(*conditions):
        return (select(func.count()).select_from(Attendance)
                .where(Attendance.registration_id == Registration.id, *conditions)
                .scalar_subquery())

    venue_place = aliased(Neighbourhood, name="venue_place")
    home = aliased(Neighbourhood, name="home")
    base = (
        select(
            Registration.id.label("registration_id"), Registration.resident_id,
            Registration.workshop_id, Workshop.first_session_starts_at.label("began_at"),
            local_month(Workshop.first_session_starts_at).label("began_month"),
            Workshop.last_session_ends_at.label("ends_at"),
            select(func.count()).where(Session.workshop_id == Workshop.id)
            .scalar_subquery().label("sessions"),
            Venue.neighbourhood_id.label("venue_neighbourhood_id"),
            venue_place.district_id.label("venue_district_id"), Workshop.topic_id,
            Registration.status, Registration.channel, marks().label("marks"),
            marks(Attendance.present.is_(True)).label("present_marks"),
            Resident.home_neighbourhood_id, home.district_id.label("home_district_id"),
            Resident.age_band, Resident.gender,
        )
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .join(Venue, Venue.id == Workshop.venue_id)
        .join(venue_place, venue_place.id == Venue.neighbourhood_id)
        .join(Resident, Resident.id == Registration.resident_id)
        .outerjoin(home, home.id == Resident.home_neighbourhood_id)
        .where(Workshop.status == WorkshopStatus.PUBLISHED,
               Workshop.first_session_starts_at.is_not(None))
    )
    first_present = (
        select(Registration.resident_id,
               func.min(Workshop.first_session_starts_at).label("began_at"))
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(exists().where(Attendance.registration_id == Registration.id,
                              Attendance.present.is_(True)))
        .group_by(Registration.resident_id)
    )
    if some_residents:
        base = base.where(Registration.resident_id.in_(_RESIDENT_IDS))
        first_present = first_present.where(Registration.resident_id.in_(_RESIDENT_IDS))
    base = base.subquery("base")
    first_present = first_present.subquery("first_present")
    # Cancelled registrations count only when someone marked them.
    counting = (select(base).where(or_(base.c.status != RegistrationStatus.CANCELLED,
                                       base.c.marks > 0))
                .subquery("counting"))
    registered = counting.c.status != RegistrationStatus.CANCELLED
    attended = counting.c.present_marks > 0

    def previous(flag, partition):
        return func.max(case((flag, counting.c.began_at))).over(
            partition_by=[counting.c.resident_id, *(counting.c[name] for name in partition)],
            order_by=[counting.c.began_at, counting.c.registration_id], rows=(None, -1))

    pointers = []
    for suffix, partition in LEVELS.items():
        pointers += [previous(registered, partition).label(f"prev_registered{suffix}"),
                     previous(attended, partition).label(f"prev_attended{suffix}")]
    return (
        select(*counting.c, first_present.c.began_at.label("first_present_began_at"), *pointers)
        .outerjoin(first_present, first_present.c.resident_id == counting.c.resident_id)
    )


_RESIDENT_IDS = bindparam("resident_ids", expanding=True)


@cache
def _write_statements(some_residents: bool, lock_people: bool) -> list:
    rows = _facts_select(some_residents)
    statements = [delete(ReachFact),
                  insert(ReachFact).from_select([c.name for c in rows.selected_columns], rows)]
    if some_residents:
        statements[0] = statements[0].where(ReachFact.resident_id.in_(_RESIDENT_IDS))
    if some_residents and lock_people:
        # Two transactions writing the same person's rows take turns (on PostgreSQL; SQLite
        # has one writer anyway, and no row locks): the second then replaces what the first
        # wrote instead of colliding with it. FOR NO KEY UPDATE, because every transaction
        # that adds one of their registrations holds FOR KEY SHARE on the person already
        # (the foreign key).
        statements.insert(0, select(Resident.id).where(Resident.id.in_(_RESIDENT_IDS))
                          .order_by(Resident.id).with_for_update(key_share=True))
    return statements


def _write_facts(connection, resident_ids=None) -> None:
    parameters = {} if resident_ids is None else {"resident_ids": resident_ids}
    lock_people = connection.dialect.name != "sqlite"
    for statement in _write_statements(resident_ids is not None, lock_people):
        connection.execute(statement, parameters)


def rebuild(connection=None) -> None:
    """Every row again from the registrations (after bulk inserts that bypass the ORM)."""
    _write_facts(connection or db.session.connection())


def refresh(resident_ids, connection=None) -> None:
    """The rows of these people again: anything that changed one of their rows changed it."""
    ids = sorted(set(resident_ids))
    for start in range(0, len(ids), 500):
        _write_facts(connection or db.session.connection(), ids[start:start + 500])


# What a change to an ORM object can alter in the rows: when these fields change (or the
# object comes or goes), the rows of the people it leads to are written again.
_WATCHED = {
    Registration: (("status", "channel", "resident_id", "workshop_id"), "resident_id",
                   "residents"),
    Attendance: (("present", "registration_id"), "registration_id", "registrations"),
    Resident: (("home_neighbourhood_id", "age_band", "gender"), "id", "residents"),
    Workshop: (("status", "first_session_starts_at", "last_session_ends_at", "venue_id",
                "topic_id"), "id", "workshops"),
    Session: (("starts_at", "ends_at", "workshop_id"), "workshop_id", "workshops"),
    Venue: (("neighbourhood_id",), "id", "venues"),
}


def _values_before_and_after(instance, field) -> set:
    history = inspect(instance).attrs[field].history
    return {value for value in (*history.deleted, *history.unchanged, *history.added)
            if value is not None}


_KINDS = ("residents", "registrations", "workshops", "venues")


def _changes_in_flush(session, found: dict[str, set]) -> None:
    """Add to `found` what this flush changed that leads to people's rows, by kind."""
    changes = [(instance, False) for instance in (*session.new, *session.deleted)]
    changes += [(instance, True) for instance in session.dirty]
    for instance, is_dirty in changes:
        watched = _WATCHED.get(type(instance))
        if watched is None:
            continue
        fields, leads_to, kind = watched
        state = inspect(instance)
        if not is_dirty or any(state.attrs[name].history.has_changes() for name in fields):
            found[kind] |= _values_before_and_after(instance, leads_to)


def _affected_residents(connection, found: dict[str, set]) -> set[int]:
    queries = []
    if found["registrations"]:
        queries.append(select(Registration.resident_id)
                       .where(Registration.id.in_(found["registrations"])))
    if found["workshops"]:
        queries.append(select(Registration.resident_id)
                       .where(Registration.workshop_id.in_(found["workshops"])))
    if found["venues"]:
        queries.append(select(Registration.resident_id)
                       .join(Workshop, Workshop.id == Registration.workshop_id)
                       .where(Workshop.venue_id.in_(found["venues"])))
    residents = set(found["residents"])
    if queries:
        residents |= set(connection.scalars(union(*queries)))
    return residents


# What the flushes of the transaction under way changed, in the session's info.
_PENDING = "reach_facts_pending"


@event.listens_for(db.session, "after_flush")
def _note_changes(session, _flush_context) -> None:
    """Remember what each flush changed; the rows are written once, at commit (a sign-up
    flushes several times: the person, her registration, its messages)."""
    if session.new or session.deleted or session.dirty:
        _changes_in_flush(session, session.info.setdefault(
            _PENDING, {kind: set() for kind in _KINDS}))


def write_pending(session=None) -> None:
    """Write the rows the transaction's changes so far call for (see `_note_changes`)."""
    session = session or db.session()
    session.flush()
    found = session.info.pop(_PENDING, None)
    if found is None:
        return
    connection = session.connection()
    residents = _affected_residents(connection, found)
    if residents:
        refresh(residents, connection)


@event.listens_for(db.session, "before_commit")
def _keep_facts_current(session) -> None:
    """Within the transaction, just before it commits: the figures never see half a
    change, and each person's rows are written once however many flushes changed them.
    (A savepoint's release is not the end: its changes are written with the rest.)"""
    if not session.in_nested_transaction():
        write_pending(session)


@event.listens_for(db.session, "do_orm_execute")
def _current_for_readers(orm_execute_state) -> None:
    """A transaction that reads the rows after changing what they count reads them
    current: the pending rows are written first."""
    session = orm_execute_state.session
    if (_PENDING in session.info and orm_execute_state.is_select
            and _reads_facts(orm_execute_state.statement)):
        write_pending(session)


def _reads_facts(statement) -> bool:
    return any(element is ReachFact.__table__ for element in visitors.iterate(statement))


@event.listens_for(db.session, "after_transaction_end")
def _forget_changes(session, transaction) -> None:
    """A transaction rolled back (or closed) takes its changes with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@cache
def _differences() -> tuple:
    fresh = _facts_select(False).subquery("fresh")
    stored = select(*(ReachFact.__table__.c[c.name] for c in fresh.c))
    expected = select(*fresh.c)
    return stored.except_(expected), expected.except_(stored)


def stale_rows(connection=None) -> list:
    """Kept rows that a rebuild would not write, and rows it would write that are not kept:
    the tests' check that every change kept the facts current."""
    if connection is None:
        write_pending()
        connection = db.session.connection()
    return [row for statement in _differences() for row in connection.execute(statement)]
