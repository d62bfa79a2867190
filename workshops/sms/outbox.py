"""Writing messages to the outbox, inside the caller's transaction."""

from datetime import datetime

from workshops.extensions import db
from workshops.sms.models import MessageKind, OutboxMessage, OutboxStatus


def enqueue(kind: MessageKind, registration, *, now: datetime, params: dict | None = None,
            send_after: datetime | None = None,
            dedupe_key: str | None = None) -> OutboxMessage | None:
    """Queue a message about `registration` for its resident, if they can get SMS.

    Nobody without a mobile phone, or who has not agreed to messages, is queued; nor is
    anything about a registration whose manage link stopped its messages.
    """
    resident = registration.resident
    if not registration.can_receive_sms:
        return None
    message = OutboxMessage(kind=kind, resident_id=resident.id, registration_id=registration.id,
                            params=params or {}, status=OutboxStatus.PENDING, created_at=now,
                            send_after=send_after or now, attempts=0, dedupe_key=dedupe_key)
    db.session.add(message)
    db.session.flush()
    return message


def enqueue_for_resident(kind: MessageKind, resident, *, now: datetime,
                         params: dict | None = None) -> OutboxMessage:
    """Queue a message about the resident herself (a code she asked for), not about one
    registration. The worker checks at sending time that her phone still takes it."""
    message = OutboxMessage(kind=kind, resident_id=resident.id, registration_id=None,
                            params=params or {}, status=OutboxStatus.PENDING, created_at=now,
                            send_after=now, attempts=0)
    db.session.add(message)
    db.session.flush()
    return message
