"""Sliding-window attempt limits kept in the database, so every server process shares them.

Keys (an email, an address, a phone) are stored only as salted hashes.
"""

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from workshops.db_types import UTCDateTime
from workshops.extensions import db


class RateLimitHit(db.Model):
    __table_args__ = (Index("ix_rate_limit_hit_lookup", "scope", "key_hash", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateLimited(Exception):
    def __init__(self, retry_after_seconds: int):
        super().__init__(retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


def _key_hash(scope: str, key: str) -> str:
    salted = f"{current_app.config['SECRET_KEY']}\x00{scope}\x00{key}"
    return hashlib.sha256(salted.encode()).hexdigest()


def check(scope: str, key: str, *, limit: int, window: timedelta, now: datetime) -> None:
    """Raise RateLimited when `key` already has `limit` hits within `window` before `now`."""
    since = now - window
    where = (
        RateLimitHit.scope == scope,
        RateLimitHit.key_hash == _key_hash(scope, key),
        RateLimitHit.created_at > since,
    )
    count, oldest = db.session.execute(
        select(func.count(), func.min(RateLimitHit.created_at)).where(*where)
    ).one()
    if count >= limit:
        retry_after = (oldest + window - now).total_seconds()
        raise RateLimited(max(1, int(retry_after) + 1))


def record(scope: str, key: str, *, now: datetime, window: timedelta) -> None:
    """Add a hit, and drop this scope's hits too old to matter."""
    db.session.execute(
        delete(RateLimitHit).where(
            RateLimitHit.scope == scope, RateLimitHit.created_at <= now - window
        )
    )
    db.session.add(RateLimitHit(scope=scope, key_hash=_key_hash(scope, key), created_at=now))


def clear(scope: str, key: str) -> None:
    db.session.execute(
        delete(RateLimitHit).where(
            RateLimitHit.scope == scope, RateLimitHit.key_hash == _key_hash(scope, key)
        )
    )
