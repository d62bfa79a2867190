"""Backups: pg_dump's custom format for PostgreSQL, SQLite's online backup API for SQLite.

Both copy a consistent snapshot while the portal keeps running. A restore goes into an
empty database (a new PostgreSQL database, or a SQLite file that does not exist yet) and
gives back every row; it refuses a database that already holds tables rather than mix two.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from workshops.config import normalise_database_url


class BackupError(Exception):
    pass


def _postgres_environment(url: URL) -> dict[str, str]:
    """libpq's variables: the password never shows in the process list."""
    variables = {"PGHOST": url.host, "PGPORT": url.port and str(url.port),
                 "PGUSER": url.username, "PGPASSWORD": url.password, "PGDATABASE": url.database}
    return {**os.environ, **{name: value for name, value in variables.items() if value}}


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("this SQLite database lives in memory: nothing to back up")
    return url.database


def _run(command: list[str], url: URL) -> None:
    finished = subprocess.run(command, env=_postgres_environment(url),  # noqa: S603
                              capture_output=True, text=True, check=False)
    if finished.returncode:
        raise BackupError(f"{command[0]} failed: {finished.stderr.strip()}")


def backup(database_url: str, destination: Path) -> None:
    url = make_url(database_url)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--file={destination}"], url)
        return
    source = sqlite3.connect(_sqlite_path(url))
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()


def _is_empty(database_url: str) -> bool:
    engine = create_engine(normalise_database_url(database_url))
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(source: Path, database_url: str) -> None:
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        if not _is_empty(database_url):
            raise BackupError("the database already holds tables: restore into an empty one")
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={url.database}", str(source)], url)
        return
    path = _sqlite_path(url)
    if Path(path).exists() and Path(path).stat().st_size and not _is_empty(database_url):
        raise BackupError("the database already holds tables: restore into an empty one")
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        with target:
            backup_file.backup(target)
    finally:
        backup_file.close()
        target.close()
