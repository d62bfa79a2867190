"""What the SMS tables forget: a person's messages when she is erased, everyone's once they
are older than the retention period.

Message rows are deleted, not blanked. No figure counts them, and a row emptied of its
body, number, reply, provider id and error would still say when someone was texted about
what. Idempotency does not need them for long: Twilio redelivers a webhook within minutes,
not months.

Received messages carry no resident id, only the number as Twilio sent it, so they are
matched to a person by parsing each distinct sender number (any spelling of the same
phone is the same person).
"""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, delete, func, select

from workshops.extensions import db
from workshops.registrations.phones import InvalidPhone, parse_phone
from workshops.sms.models import InboundMessage, OutboxMessage, OutboxStatus

# Outbox messages the worker is done with; pending ones are still to be sent or skipped.
FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED)


def senders_matching(phones: Collection[str]) -> list[str]:
    """Every `from_phone` spelling in the log that is one of `phones` (E.164)."""
    wanted = set(phones)
    if not wanted:
        return []
    found = []
    for sender in db.session.scalars(select(InboundMessage.from_phone).distinct()):
        if sender in wanted:
            found.append(sender)
            continue
        try:
            if parse_phone(sender).e164 in wanted:
                found.append(sender)
        except InvalidPhone:
            continue
    return found


def forget_people(resident_ids: Collection[int], phones: Collection[str]) -> int:
    """Delete every message to these residents and every message from these phones: their
    bodies, replies, links, numbers and provider ids. Returns how many rows went."""
    deleted = 0
    resident_ids = list(resident_ids)
    for start in range(0, len(resident_ids), 500):
        deleted += db.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.resident_id.in_(resident_ids[start:start + 500]))).rowcount
    senders = senders_matching(phones)
    for start in range(0, len(senders), 500):
        deleted += db.session.execute(
            delete(InboundMessage)
            .where(InboundMessage.from_phone.in_(senders[start:start + 500]))).rowcount
    return deleted


def received_before(cutoff: datetime) -> Select:
    return select(InboundMessage.id).where(InboundMessage.received_at < cutoff)


def sent_before(cutoff: datetime) -> Select:
    return select(OutboxMessage.id).where(OutboxMessage.created_at < cutoff,
                                          OutboxMessage.status.in_(FINISHED))


def count(ids: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(ids.subquery()))


def delete_received_before(cutoff: datetime) -> int:
    return db.session.execute(
        delete(InboundMessage).where(InboundMessage.received_at < cutoff)).rowcount


def delete_sent_before(cutoff: datetime) -> int:
    return db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.created_at < cutoff,
                                    OutboxMessage.status.in_(FINISHED))).rowcount
