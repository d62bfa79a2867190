"""What /readyz and /metrics read from the database: the SMS worker's heartbeat and the
outbox's backlog, the same for every node."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from workshops.extensions import db
from workshops.notifications.models import OutboxMessage, OutboxStatus, WorkerHeartbeat

UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass
class Backlog:
    unsent: int
    oldest_unsent_age_seconds: float | None
    heartbeat_age_seconds: float | None


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


def backlog(*, now: datetime) -> Backlog:
    """Unsent messages that are due (a reminder queued for tomorrow is not late), the age
    of the oldest since it was due, and of the newest worker heartbeat."""
    due = (OutboxMessage.status.in_(UNSENT), OutboxMessage.send_after <= now)
    unsent, oldest_due = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.send_after)).where(*due)
    ).one()
    heartbeat = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    return Backlog(unsent=unsent, oldest_unsent_age_seconds=_age(oldest_due, now),
                   heartbeat_age_seconds=_age(heartbeat, now))
