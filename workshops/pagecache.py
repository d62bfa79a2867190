"""Whole-page caching of public catalogue pages for anonymous visitors.

Every change to a workshop, session, venue, topic or place raises one counter
(`catalogue_state.version`) in the same transaction, just before it commits. A cached page
is keyed by that counter, the language, the URL and the current minute, so it is never
older than the data it shows, and what depends on the clock (sessions that just ended)
is at most a minute old. Each server process keeps its own small LRU cache.
"""

from collections import OrderedDict
from datetime import datetime
from functools import wraps
from threading import Lock
from time import time

from flask import current_app, make_response, request, session
from flask_login import current_user
from sqlalchemy import Integer, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from workshops.db_types import UTCDateTime, utcnow
from workshops.extensions import db
from workshops.i18n import current_language

MAX_PAGES = 512
BUCKET_SECONDS = 60


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


def catalogue_version() -> int:
    return db.session.scalar(select(CatalogueState.version).where(CatalogueState.id == 1)) or 0


def calendar_state() -> tuple[int, datetime]:
    """The calendars' version and when it last changed, in one query."""
    version, changed_at = db.session.execute(
        select(CatalogueState.calendar_version, CatalogueState.calendar_changed_at)
        .where(CatalogueState.id == 1)).one()
    return version, changed_at


class PageCache:
    def __init__(self, max_pages: int = MAX_PAGES):
        self._pages: OrderedDict = OrderedDict()
        self._lock = Lock()
        self.max_pages = max_pages

    def get(self, key):
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key, body) -> None:
        with self._lock:
            self._pages[key] = body
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)


def _cache() -> PageCache:
    return current_app.extensions.setdefault("page_cache", PageCache())


def cached_for_visitors(view):
    """Serve anonymous GETs of `view` from the page cache (signed-in staff bypass it)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        key = (request.path, current_language(), tuple(sorted(request.args.items(multi=True))),
               catalogue_version(), int(time() // BUCKET_SECONDS))
        body = _cache().get(key)
        if body is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            body = response.get_data()
            _cache().put(key, body)
        response = make_response(body)
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        response.headers["Vary"] = "Cookie, Accept-Language"
        return response

    return wrapped
