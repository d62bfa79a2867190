"""Engine set-up shared by every process: SQLite pragmas and write transactions.

On SQLite a transaction that reads first and writes later can fail at once with
"database is locked" when another process wrote in between: the busy timeout does not
help there. So a transaction meant to write takes the write lock when it begins
(BEGIN IMMEDIATE) and waits for it instead. Requests other than GET/HEAD/OPTIONS are
write transactions; commands and the SMS worker say so with `write_transaction()`.
Read-only requests run in autocommit (no BEGIN), like pysqlite's own default.
A request that writes can read first without the write lock (see `reading()`), so that
writers queue only for their writes.
On PostgreSQL services lock the rows they change (SELECT … FOR UPDATE).
"""

from collections.abc import Collection
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import delete, event
from sqlalchemy.engine import Engine

from workshops.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_reading: ContextVar[bool] = ContextVar("reading", default=False)


def delete_where_in(column, values: Collection, batch: int = 500) -> int:
    """DELETE the rows whose `column` is one of `values`, a batch of values per statement
    (a statement's parameters are limited). Returns how many rows went."""
    values, deleted = list(values), 0
    for start in range(0, len(values), batch):
        deleted += db.session.execute(
            delete(column.table).where(column.in_(values[start:start + batch]))).rowcount
    return deleted


@contextmanager
def write_transaction():
    """Outside a request: transactions begun inside take the SQLite write lock up front."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def reading():
    """Inside, a request that writes only reads: on SQLite its statements run like a GET's
    (autocommit, no write lock), so other writers do not wait for them. On leaving, a
    read begun inside is ended, and the next statement begins the write transaction
    (BEGIN IMMEDIATE): writers hold the lock for their writes only, and nothing read
    inside is trusted by them unless they read it again under the lock. Objects loaded
    inside are not expired. On PostgreSQL nothing changes."""
    token = _reading.set(True)
    try:
        yield
    except BaseException:
        _reading.reset(token)
        raise  # (an error page or a redirect: the request's end closes the session)
    _reading.reset(token)
    session = db.session()
    if session.get_bind().dialect.name == "sqlite" and session.in_transaction():
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()  # nothing to write: ends SQLAlchemy's idea of a transaction
        finally:
            session.expire_on_commit = expire


def _wants_write_lock() -> bool:
    if _reading.get():
        return False
    if _write_intent.get():
        return True
    return has_request_context() and request.method not in READ_ONLY_METHODS


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs the log at checkpoints, not at every commit: the database
    # stays consistent whatever happens, and a commit survives the process dying; only a
    # power cut or an operating-system crash can lose the last commits before it. The
    # write lock is then held without waiting for the disk (a sign-up held it about a third
    # longer with FULL, SQLite's default).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection):
    if connection.dialect.name != "sqlite":
        return
    if _wants_write_lock():
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif not has_request_context():
        connection.exec_driver_sql("BEGIN")
    # A read-only request runs its SELECTs in autocommit: no BEGIN/ROLLBACK round trips
    # on every page view (what pysqlite did by default before).
