"""Sliding-window attempt limits kept in the database, so every server process shares them.

Keys (an email, an address, a phone) are stored only as salted hashes.

Counting is atomic: `hit` locks the keys, counts and records in the caller's transaction,
so of many simultaneous attempts exactly `limit` get through. The lock lasts until that
transaction ends: on PostgreSQL an advisory lock per key (`pg_advisory_xact_lock`); on
SQLite the write lock every write transaction takes when it begins (BEGIN IMMEDIATE for
requests other than GET, and inside `write_transaction()`; see workshops.database).
`check` is a quick look without locks, to refuse at once before expensive work.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Index, String, and_, bindparam, delete, func, insert, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from workshops.db_types import UTCDateTime
from workshops.extensions import db

# The first key of PostgreSQL's two-key advisory locks: rate limits ("RL") share them with
# no other use of advisory locks.
ADVISORY_LOCK_CLASS = 0x524C


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


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits for `key` in `scope` within any `window`."""

    scope: str
    key: str
    limit: int
    window: timedelta

    @property
    def key_hash(self) -> str:
        return _key_hash(self.scope, self.key)


def _key_hash(scope: str, key: str) -> str:
    salted = f"{current_app.config['SECRET_KEY']}\x00{scope}\x00{key}"
    return hashlib.sha256(salted.encode()).hexdigest()


def check(limits: Iterable[Limit], *, now: datetime) -> None:
    """Raise RateLimited when one of `limits` already has its hits within the window.

    No lock: a quick refusal before costly work, never the decision itself (see `hit`).
    """
    _raise_if_reached(list(limits), now)


def hit(limits: Iterable[Limit], *, now: datetime, record: bool = True) -> None:
    """Count one attempt against every one of `limits`, atomically.

    Raises RateLimited, and counts nothing, when one of them is already reached. With
    `record=False` the attempt is only let through or refused (a sign-in with the right
    password is not a failure, but must wait its turn like one).
    """
    limits = list(limits)
    _lock(limits)
    _raise_if_reached(limits, now)
    if record:
        _add_hits(limits, now=now)


def record(scope: str, key: str, *, now: datetime, window: timedelta) -> None:
    """Add a hit without asking: for an attempt let through earlier whose hit was lost."""
    _add_hits([Limit(scope, key, 0, window)], now=now)


def clear(scope: str, key: str) -> None:
    db.session.execute(
        delete(RateLimitHit).where(
            RateLimitHit.scope == scope, RateLimitHit.key_hash == _key_hash(scope, key)
        )
    )


def _lock(limits: list[Limit]) -> None:
    """Take each key's lock until the transaction ends, always in the same order (no
    deadlock between attempts that share some keys)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the transaction already holds the database's write lock
    # One statement: PostgreSQL computes a select list from left to right.
    object_ids = sorted({_advisory_lock_id(limit.key_hash) for limit in limits})
    if object_ids:
        db.session.execute(select(*(func.pg_advisory_xact_lock(ADVISORY_LOCK_CLASS, object_id)
                                    for object_id in object_ids)))


def _advisory_lock_id(key_hash: str) -> int:
    """32 bits of the key's hash as PostgreSQL's signed integer (a clash only shares a lock)."""
    value = int(key_hash[:8], 16)
    return value - 2**32 if value >= 2**31 else value


@cache
def _count_statement(keys: int):
    """Each of `keys` keys' hits within its window, in one statement (built once)."""
    return (
        select(RateLimitHit.scope, RateLimitHit.key_hash, func.count(),
               func.min(RateLimitHit.created_at))
        .where(or_(*(and_(RateLimitHit.scope == bindparam(f"scope_{n}"),
                          RateLimitHit.key_hash == bindparam(f"key_{n}"),
                          RateLimitHit.created_at > bindparam(f"since_{n}", type_=UTCDateTime))
                     for n in range(keys))))
        .group_by(RateLimitHit.scope, RateLimitHit.key_hash)
    )


def _raise_if_reached(limits: list[Limit], now: datetime) -> None:
    if not limits:
        return
    by_key = {(limit.scope, limit.key_hash): limit for limit in limits}
    parameters = {}
    for n, limit in enumerate(by_key.values()):
        parameters |= {f"scope_{n}": limit.scope, f"key_{n}": limit.key_hash,
                       f"since_{n}": now - limit.window}
    waits = []
    for scope, key_hash, count, oldest in db.session.execute(
            _count_statement(len(by_key)), parameters):
        limit = by_key[(scope, key_hash)]
        if count >= limit.limit:
            waits.append((oldest + limit.window - now).total_seconds() if oldest else 0)
    if waits:
        raise RateLimited(max(1, int(max(waits)) + 1))


# Hits too old to count are dropped as hits are added, at most once a minute per scope and
# process: a busy scope (every sign-up adds two hits) need not pay a DELETE each time, and
# what is left meanwhile never counts (see _count_statement). The nightly retention purge
# drops the rest (delete_hits_before).
PRUNE_EVERY = timedelta(minutes=1)
_pruned_at: dict[tuple[str, timedelta], datetime] = {}


@cache
def _prune_statement():
    too_old = (
        select(RateLimitHit.id)
        .where(RateLimitHit.scope.in_(bindparam("scopes", expanding=True)),
               RateLimitHit.created_at <= bindparam("cutoff", type_=UTCDateTime))
        .with_for_update(skip_locked=True)
    )
    return (delete(RateLimitHit).where(RateLimitHit.id.in_(too_old))
            .execution_options(synchronize_session=False))


def _add_hits(limits: list[Limit], *, now: datetime) -> None:
    """Add a hit for each limit's key (one statement), and drop these scopes' hits too old
    to matter (rows another transaction is dropping already are left to it, instead of
    waiting for it)."""
    due: dict[timedelta, list[str]] = {}
    for limit in limits:
        last = _pruned_at.get((limit.scope, limit.window))
        # Either way: the clock of tests moves back as well as forward.
        if last is None or abs(now - last) >= PRUNE_EVERY:
            due.setdefault(limit.window, []).append(limit.scope)
    for window, scopes in due.items():
        db.session.execute(_prune_statement(),
                           {"scopes": sorted(set(scopes)), "cutoff": now - window})
        for scope in scopes:
            _pruned_at[(scope, window)] = now
    db.session.execute(insert(RateLimitHit), [
        {"scope": limit.scope, "key_hash": limit.key_hash, "created_at": now}
        for limit in limits])


def hits_before(cutoff: datetime):
    """Hits older than `cutoff`, whatever their scope (a select of ids)."""
    return select(RateLimitHit.id).where(RateLimitHit.created_at < cutoff)


def delete_hits_before(cutoff: datetime) -> int:
    """Drop hits too old for any window: a quiet scope's old hits would otherwise stay for
    ever (hashes of addresses, emails and phones)."""
    return db.session.execute(
        delete(RateLimitHit).where(RateLimitHit.created_at < cutoff)).rowcount
