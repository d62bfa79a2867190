"""Documents that are costly to build (the calendar feeds, the open data), built once per
version of their data and shared by every server process through the database.

Each document is stored under a key that names the version of the data it was built from
(the calendars' version and the day, say), so a stored body is never older than the data:
once the data changes, the key changes and the next request builds a new body. The same
table works on SQLite (one machine) and PostgreSQL (several gunicorn nodes).

One build per key, whatever the number of processes: the first request inserts the key's
row without a body (its claim; the key is the primary key, so only one insert wins), builds,
and stores the body. The others wait for the body, reading the row a few times a second; if
it has not come after `WAIT_SECONDS` (a slow build, or a builder that died) they build it
themselves rather than fail, and a claim older than `STALE_AFTER` is taken over.

Old rows go as new ones come: after each build, bodies of another generation of the same
kind claimed more than `KEEP_OTHER_GENERATIONS` ago, and, of the rest, those beyond the
newest `MAX_PER_KIND` or `MAX_BYTES_PER_KIND`. Each process also keeps the bodies it served
last (`LOCAL_BYTES` in all), keyed the same way.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from threading import Lock

from flask import current_app
from prometheus_client import Counter
from sqlalchemy import Integer, LargeBinary, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from workshops.db_types import UTCDateTime, utcnow
from workshops.extensions import db

WAIT_SECONDS = 20.0
POLL_SECONDS = 0.05
STALE_AFTER = timedelta(seconds=60)
KEEP_OTHER_GENERATIONS = timedelta(minutes=5)
MAX_PER_KIND = 64
MAX_BYTES_PER_KIND = 64_000_000
LOCAL_BYTES = 7_000_000

BUILDS = Counter("workshops_documents_built_total",
                 "Shared documents (calendar feeds, open data) built by this process, per kind.",
                 ["kind"])
SERVED = Counter("workshops_documents_served_total",
                 "Shared documents served, per kind and where the body came from: memory (this "
                 "process), database (built by another process), built (here), waited (for "
                 "another process's build), fallback (built here after waiting too long).",
                 ["kind", "source"])


class BuiltDocument(db.Model):
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # The version of the data, without what tells documents of one kind apart (language,
    # filters): rows of another generation are of no more use.
    generation: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)


class _LocalCopies:
    """The bodies this process served last, up to `LOCAL_BYTES`."""

    def __init__(self, max_bytes: int):
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = Lock()
        self.max_bytes = max_bytes
        self.size = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._bodies.pop(key, None)
            self.size -= len(old) if old is not None else 0
            self._bodies[key] = body
            self.size += len(body)
            while self.size > self.max_bytes:
                _key, dropped = self._bodies.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._bodies.clear()
            self.size = 0


_table = BuiltDocument.__table__


def local_copies() -> _LocalCopies:
    return current_app.extensions.setdefault("built_documents", _LocalCopies(LOCAL_BYTES))


def _row(connection, key: str):
    with connection.begin():
        return connection.execute(select(_table.c.built_at, _table.c.claimed_at)
                                  .where(_table.c.key == key)).one_or_none()


def _body(connection, key: str) -> bytes | None:
    with connection.begin():
        return connection.scalar(select(_table.c.body).where(_table.c.key == key))


def _claim(connection, key: str, kind: str, generation: str, now: datetime) -> bool:
    try:
        with connection.begin():
            connection.execute(insert(_table).values(key=key, kind=kind, generation=generation,
                                                     claimed_at=now))
        return True
    except IntegrityError:
        return False


def _take_over(connection, key: str, claimed_at: datetime, now: datetime) -> bool:
    """A claim nobody finished (its process died): the first to replace it builds."""
    with connection.begin():
        return connection.execute(
            update(_table).where(_table.c.key == key, _table.c.claimed_at == claimed_at,
                                 _table.c.built_at.is_(None))
            .values(claimed_at=now)).rowcount == 1


def _store(connection, key: str, kind: str, generation: str, body: bytes) -> None:
    now = utcnow()
    with connection.begin():
        stored = connection.execute(update(_table).where(_table.c.key == key)
                                    .values(body=body, built_at=now, size=len(body))).rowcount
        if not stored:  # cleared meanwhile (by another generation's clean-up)
            connection.execute(insert(_table).values(
                key=key, kind=kind, generation=generation, claimed_at=now, built_at=now,
                size=len(body), body=body))
    _clean_up(connection, kind, generation, now)


def _clean_up(connection, kind: str, generation: str, now: datetime) -> None:
    with connection.begin():
        connection.execute(delete(_table).where(
            _table.c.kind == kind, _table.c.generation != generation,
            _table.c.claimed_at < now - KEEP_OTHER_GENERATIONS))
        kept = connection.execute(select(_table.c.key, _table.c.size)
                                  .where(_table.c.kind == kind)
                                  .order_by(_table.c.claimed_at.desc(), _table.c.key)).all()
        total, beyond = 0, []
        for number, (key, size) in enumerate(kept):
            total += size or 0
            if number >= MAX_PER_KIND or total > MAX_BYTES_PER_KIND:
                beyond.append(key)
        for start in range(0, len(beyond), 500):
            connection.execute(delete(_table).where(_table.c.key.in_(beyond[start:start + 500])))


def _forget_claim(connection, key: str) -> None:
    with connection.begin():
        connection.execute(delete(_table).where(_table.c.key == key,
                                                _table.c.built_at.is_(None)))


def shared(kind: str, key: str, generation: str, build: Callable[[], bytes]) -> bytes:
    """The body stored under `key`, built by `build()` once for every process.

    `key` must change whenever the data the body shows does (see the module's docstring).
    The body is built with the caller's database session; the claim and the stored body go
    through a connection of their own, committed at once, so other processes see them."""
    local = local_copies()
    body = local.get(key)
    if body is not None:
        SERVED.labels(kind, "memory").inc()
        return body
    with db.engine.connect() as connection:
        body, source = _fetch_or_build(connection, kind, key, generation, build)
    SERVED.labels(kind, source).inc()
    local.put(key, body)
    return body


def forget(kind: str | None = None) -> None:
    """Every stored body (of `kind`), here and in the database: the next request builds."""
    local_copies().clear()
    with db.engine.begin() as connection:
        connection.execute(delete(_table).where(_table.c.kind == kind) if kind
                           else delete(_table))


def _fetch_or_build(connection, kind, key, generation, build) -> tuple[bytes, str]:
    body = _body(connection, key)
    if body is not None:
        return body, "database"
    if _claim(connection, key, kind, generation, utcnow()):
        return _build_and_store(connection, kind, key, generation, build), "built"
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        row = _row(connection, key)
        if row is None:  # the builder failed and let go, or the row was cleaned up
            if _claim(connection, key, kind, generation, utcnow()):
                return _build_and_store(connection, kind, key, generation, build), "built"
            continue
        if row.built_at is not None:
            body = _body(connection, key)
            if body is not None:
                return body, "waited"
        elif row.claimed_at < utcnow() - STALE_AFTER and _take_over(
                connection, key, row.claimed_at, utcnow()):
            return _build_and_store(connection, kind, key, generation, build), "built"
    body = build()
    BUILDS.labels(kind).inc()
    _store(connection, key, kind, generation, body)
    return body, "fallback"


def _build_and_store(connection, kind, key, generation, build) -> bytes:
    try:
        body = build()
    except BaseException:
        _forget_claim(connection, key)
        raise
    BUILDS.labels(kind).inc()
    _store(connection, key, kind, generation, body)
    return body
