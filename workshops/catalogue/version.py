"""The catalogue's version: one counter every change to a workshop, session, venue, topic or
place raises in the same transaction, just before it commits, so cached pages and calendar
feeds keyed by it are never older than the data they show.
"""

from datetime import datetime
from threading import Lock

from flask import g, has_request_context, request
from sqlalchemy import Engine, Integer, create_engine, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from workshops.db_types import UTCDateTime, utcnow
from workshops.extensions import db


class CatalogueState(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Raised only by changes a calendar shows (not by seats being taken), so feeds are not
    # rebuilt on every sign-up; `calendar_changed_at` is their Last-Modified.
    calendar_version: Mapped[int] = mapped_column(Integer, default=0)
    calendar_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Columns that change what pages show but not what a calendar shows.
NOT_IN_CALENDARS = frozenset({"seats_taken", "closed_at", "closed_by_id"})


def _is_catalogue_object(obj) -> bool:
    from workshops.catalogue.models import RemovedSession, Topic, Workshop, WorkshopAudience
    from workshops.catalogue.models import Session as WorkshopSession
    from workshops.places.models import District, Neighbourhood, Venue

    return isinstance(obj, Workshop | WorkshopSession | WorkshopAudience | Topic | Venue
                      | Neighbourhood | District | RemovedSession)


def _changes_calendars(obj, session: Session) -> bool:
    if obj in session.new or obj in session.deleted:
        return True
    return any(attribute.history.has_changes() for attribute in inspect(obj).attrs
               if attribute.key not in NOT_IN_CALENDARS)


def _note_changes(session: Session) -> None:
    if session.info.get("calendar_changed"):
        return
    changed = [obj for obj in (*session.new, *session.dirty, *session.deleted)
               if _is_catalogue_object(obj)]
    if changed:
        session.info["catalogue_changed"] = True
    if any(_changes_calendars(obj, session) for obj in changed):
        session.info["calendar_changed"] = True


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    _note_changes(session)


@event.listens_for(Session, "before_commit")
def _bump_version_before_commit(session):
    _note_changes(session)
    values = {}
    if session.info.pop("catalogue_changed", False):
        values["version"] = CatalogueState.version + 1
    if session.info.pop("calendar_changed", False):
        values |= {"calendar_version": CatalogueState.calendar_version + 1,
                   "calendar_changed_at": utcnow()}
    if values:
        session.execute(update(CatalogueState).where(CatalogueState.id == 1).values(**values))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session):
    session.info.pop("catalogue_changed", None)
    session.info.pop("calendar_changed", None)


@event.listens_for(Session, "after_commit")
def _forget_state_read(session):
    if has_request_context():
        g.pop(_STATE_KEY, None)


_STATE_KEY = "catalogue_state"
# Plain SQL on a pooled driver connection: every page view asks it, and SQLAlchemy's own
# execution path cost several times the query itself.
_VERSIONS_SQL = "SELECT version, calendar_version FROM catalogue_state WHERE id = 1"
_versions_engines: dict[str, Engine] = {}
_versions_lock = Lock()


def _versions_engine() -> Engine:
    """What page views read the versions through. On PostgreSQL, a small pool of its own in
    autocommit, without the main pool's ping on checkout and rollback on checkin: one round
    trip instead of four. One per database and process (not per app: tests make hundreds)."""
    main = db.engine
    if main.dialect.name == "sqlite":
        return main
    name = main.url.render_as_string(hide_password=False)
    with _versions_lock:
        if name not in _versions_engines:
            _versions_engines[name] = create_engine(
                main.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                pool_reset_on_return=None, pool_size=1, max_overflow=4, hide_parameters=True)
        return _versions_engines[name]


def _read_committed_versions() -> tuple | None:
    engine = _versions_engine()
    for attempt in (1, 2):
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(_VERSIONS_SQL)
            row = cursor.fetchone()
            cursor.close()
            return row
        except engine.dialect.loaded_dbapi.OperationalError:
            # Without the ping, a connection the server dropped shows here: try a new one.
            connection.invalidate()
            if attempt == 2:
                raise
        finally:
            connection.close()
    return None


def _state() -> tuple[int, int]:
    """(version, calendar_version), read once a request: every cache keyed by them on a
    page costs one query in all, and a commit in the request reads them again. A page view
    reads what was committed on a connection of its own, so a page served from a cache
    opens no ORM session at all; anything else reads in its own transaction (on SQLite a
    second connection would wait for the write lock that transaction holds)."""
    if has_request_context() and _STATE_KEY in g:
        return g.get(_STATE_KEY)
    if has_request_context() and request.method in ("GET", "HEAD") and (
            not db.session().in_transaction()):
        row = _read_committed_versions()
    else:
        row = db.session.connection().exec_driver_sql(_VERSIONS_SQL).first()
    state = (row[0] or 0, row[1] or 0) if row is not None else (0, 0)
    if has_request_context():
        setattr(g, _STATE_KEY, state)
    return state


def catalogue_version() -> int:
    return _state()[0]


def calendar_version() -> int:
    """Raised by every change to what a calendar shows, which includes every change to a
    district, neighbourhood, venue or topic: caches of those are keyed by it."""
    return _state()[1]


def calendar_state() -> tuple[int, datetime]:
    """The calendars' version and when it last changed, in one query."""
    version, changed_at = db.session.execute(
        select(CatalogueState.calendar_version, CatalogueState.calendar_changed_at)
        .where(CatalogueState.id == 1)).one()
    return version, changed_at
