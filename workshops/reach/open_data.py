"""The open data (`/open-data/reach.json` and `.csv`): the last 12 months for the whole
city, both ways of counting, protected together (`disclosure`), built once per version of
the data it is made from and shared by every server process (`built_documents`).

Its version is a key made of:
- today's date (the period ends today);
- the changes noted in `reach_data_change`: a row is added in the same transaction as any
  change that can alter the figures: a mark, a follow-up, a resident's details, a
  workshop's or session's place, time, status or capacity, a venue, a neighbourhood or
  district; and a registration whose workshop begins before the day after tomorrow.
  Sign-ups for later workshops (nearly all of them) change nothing published before those
  workshops begin, and by then the date in the key has changed. Writes that bypass the ORM
  add a row too: any to the marks or the follow-ups, and `facts.rebuild` (all the facts
  again, after bulk inserts);
- when the last session ended (a session ending makes it held: the figures move);
- the code that computes and protects the figures.

The SMS worker builds the open data for the current version on each round (`refresh`), so
the first visitor after a change usually finds it built; one who comes sooner waits for the
one build under way, or starts it. The figures are never older than the data.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import (
    Delete,
    Index,
    Insert,
    Update,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from workshops import built_documents
from workshops.attendance.models import Attendance
from workshops.catalogue.models import Session, Workshop
from workshops.database import write_transaction
from workshops.db_types import UTCDateTime, utcnow
from workshops.extensions import db
from workshops.outcomes.models import FollowUp
from workshops.places.models import District, Neighbourhood, Venue
from workshops.reach import disclosure, exports, facts, figures, queries
from workshops.reach.exports import open_records
from workshops.reach.facts import ReachFact
from workshops.reach.queries import (
    BY_HOME,
    BY_VENUE,
    ReachFilters,
    default_period,
    local_today,
    reach,
)
from workshops.registrations.models import Registration, Resident

KIND = "open-data"
# Notes of changes kept; the oldest go when there are more than `KEEP_CHANGES` * 10.
KEEP_CHANGES = 100
# A registration for a workshop that begins before this long from now can change the figures
# (the period ends at the end of today, Barcelona time; two days leave a wide margin).
SOON = timedelta(days=2)
# Raise when the open data's shape changes in a way the code fingerprint would not see.
FORMAT = "1"


class ReachDataChange(db.Model):
    """A note that the reach data changed, written in the transaction that changed it.

    A new row rather than a counter raised in one row: a counter's row would be locked by
    every transaction that raises it until it commits, making marks and sign-ups wait on
    one another (and risking deadlocks with the catalogue's version row). The version read
    is the notes' count, newest id and sum of ids: a note that commits after a newer one
    still changes the count."""

    __tablename__ = "reach_data_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


# "When did the last session end?" is read on every request for the open data.
sessions_by_end = Index("ix_workshop_session_ends_at", Session.ends_at)


# Per class: the attributes whose change matters (None: any change, creation and removal).
_WATCHED = {
    Attendance: None,
    FollowUp: None,
    Neighbourhood: None,
    District: None,
    Session: ("starts_at", "ends_at", "workshop_id"),
    Venue: ("neighbourhood_id",),
    Resident: ("home_neighbourhood_id", "age_band", "gender"),
    Workshop: ("status", "capacity", "first_session_starts_at", "last_session_ends_at",
               "venue_id", "topic_id"),
}
_REGISTRATION_FIELDS = ("status", "channel", "resident_id", "workshop_id")


def _changed(instance, fields, session) -> bool:
    if instance in session.new or instance in session.deleted:
        return True
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _registration_workshops(registrations, session) -> set[int]:
    ids = set()
    for registration in registrations:
        history = inspect(registration).attrs.workshop_id.history
        ids |= {value for value in (*history.deleted, *history.unchanged, *history.added)
                if value is not None}
    return ids


def _changes_open_data(session) -> bool:
    registrations = []
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Registration):
            if _changed(instance, _REGISTRATION_FIELDS, session):
                registrations.append(instance)
            continue
        if isinstance(instance, Resident) and instance in session.new:
            continue  # a new person counts through her registrations
        fields = next((watched for kind, watched in _WATCHED.items()
                       if isinstance(instance, kind)), False)
        if fields is False:
            continue
        if fields is None or _changed(instance, fields, session):
            return True
    if not registrations:
        return False
    workshop_ids = _registration_workshops(registrations, session)
    if not workshop_ids:
        return True
    soon = session.connection().scalar(
        select(func.count()).select_from(Workshop)
        .where(Workshop.id.in_(workshop_ids),
               (Workshop.first_session_starts_at < utcnow() + SOON)
               | Workshop.first_session_starts_at.is_(None)))
    return bool(soon)


@event.listens_for(db.session, "after_flush")
def _raise_version_after_flush(session, _flush_context) -> None:
    """In the flush's own transaction: the version and the change commit together."""
    if _changes_open_data(session):
        _raise_version(session.connection())


_MARKS_AND_ANSWERS = {Attendance.__tablename__, FollowUp.__tablename__}


@event.listens_for(Engine, "after_execute")
def _raise_version_after_bulk_write(connection, statement, *_args) -> None:
    """Writes through Core, which the ORM's events do not see: marks or follow-ups inserted
    in bulk, or every reach fact written again (`facts.rebuild`: a DELETE of them all)."""
    if not isinstance(statement, Insert | Update | Delete):
        return
    table = getattr(statement.table, "name", None)
    if table in _MARKS_AND_ANSWERS or (
            table == ReachFact.__tablename__ and isinstance(statement, Delete)
            and statement.whereclause is None):
        _raise_version(connection)


def _raise_version(connection) -> None:
    connection.execute(insert(ReachDataChange).values(changed_at=utcnow()))


def forget_old_changes(connection) -> None:
    """Keep the notes few: the newest `KEEP_CHANGES` once there are ten times as many (the
    open data is then built again once)."""
    table = ReachDataChange.__table__
    count, newest = connection.execute(select(func.count(), func.max(table.c.id))).one()
    if count > KEEP_CHANGES * 10:
        connection.execute(delete(table).where(table.c.id <= newest - KEEP_CHANGES))


@cache
def _code_fingerprint() -> str:
    """The modules that compute and protect the figures, as they are in this process."""
    digest = hashlib.sha256(FORMAT.encode())
    for module in (disclosure, exports, facts, figures, queries):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def version_key(now: datetime, today: date) -> str:
    """The open data's version now (see the module's docstring), in one statement."""
    row = db.session.execute(select(
        *(select(aggregate).select_from(ReachDataChange).scalar_subquery() for aggregate in (
            func.count(), func.max(ReachDataChange.id), func.sum(ReachDataChange.id))),
        select(func.max(Session.ends_at)).where(Session.ends_at < now).scalar_subquery(),
    )).one()
    return hashlib.sha256(repr((today.isoformat(), *row, _code_fingerprint())).encode()
                          ).hexdigest()[:40]


@dataclass(frozen=True)
class Published:
    """What `exports.as_json` reads of a result for the open data: its filters."""

    filters: ReachFilters


@dataclass(frozen=True)
class OpenTables:
    """What the open-data routes serve: the period, and the protected rows by way of
    counting ({"venue": rows, "home": rows})."""

    date_from: date
    date_to: date
    rows: dict[str, list[dict]]

    def filters(self, by: str) -> ReachFilters:
        return ReachFilters(date_from=self.date_from, date_to=self.date_to, by=by)


def _build(today: date, now: datetime) -> bytes:
    date_from, date_to = default_period(today)
    results = {by: reach(ReachFilters(date_from=date_from, date_to=date_to, by=by), now=now)
               for by in (BY_VENUE, BY_HOME)}
    return json.dumps({"date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
                       "rows": open_records(results)}).encode()


def open_tables(today: date, now: datetime, key: str | None = None) -> OpenTables:
    """Both ways of counting, the last 12 months, protected together (they share figures),
    built once per version of the data (`key`, read now if not given) for every process."""
    key = key or version_key(now, today)
    body = built_documents.shared(KIND, key, key, lambda: _build(today, now))
    document = json.loads(body)
    return OpenTables(date.fromisoformat(document["date_from"]),
                      date.fromisoformat(document["date_to"]), document["rows"])


def refresh(*, now: datetime) -> None:
    """Build the open data for the current version if nobody has (the SMS worker's round),
    after forgetting old notes of changes."""
    with write_transaction():
        forget_old_changes(db.session.connection())
        db.session.commit()
    open_tables(local_today(now), now)
