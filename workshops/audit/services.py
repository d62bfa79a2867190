"""Recording staff actions on personal data, listing them, and forgetting old ones.

Plain functions: they flush, the caller commits (with the action itself, so an action
that rolls back leaves no event, and one that commits always has its event).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from workshops.accounts.models import User
from workshops.audit.models import AuditAction, AuditEvent
from workshops.extensions import db

PER_PAGE = 50


def record(actor: User | None, action: AuditAction, subject, *, now: datetime) -> AuditEvent:
    """Note that `actor` did `action` to `subject` (any model instance with an id)."""
    event = AuditEvent(at=now, actor_id=actor.id if actor is not None else None,
                       action=AuditAction(action), subject_type=subject.__tablename__,
                       subject_id=subject.id)
    db.session.add(event)
    db.session.flush()
    return event


@dataclass
class EventsPage:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int


def events_page(page: int = 1, per_page: int = PER_PAGE) -> EventsPage:
    """The newest events first; a page past the last shows the last."""
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events = db.session.scalars(
        select(AuditEvent).options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return EventsPage(list(events), total, page, pages)


def _past_retention(now: datetime, days: int | None):
    days = current_app.config["AUDIT_RETENTION_DAYS"] if days is None else days
    return AuditEvent.at < now - timedelta(days=days)


def expired_audit_events(*, now: datetime) -> int:
    """How many events `purge_audit_events` would delete at `now`."""
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(_past_retention(now, None)))


def purge_audit_events(*, now: datetime, days: int | None = None) -> int:
    """Delete events older than AUDIT_RETENTION_DAYS (or `days`); returns how many."""
    result = db.session.execute(delete(AuditEvent).where(_past_retention(now, days)))
    db.session.flush()
    return result.rowcount
