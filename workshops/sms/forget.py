"""What the log of received texts forgets: a person's messages when she is erased,
everyone's once they are older than the retention period (the messages sent are forgotten
the same way by workshops.notifications.services).

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

from sqlalchemy import delete, func, select

from workshops.database import delete_where_in
from workshops.extensions import db
from workshops.registrations.phones import InvalidPhone, parse_phone
from workshops.registrations.signals import residents_erased
from workshops.sms.models import InboundMessage


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


def forget_phones(phones: Collection[str]) -> int:
    """Delete every message from these phones: their bodies, replies, links and numbers.
    Returns how many rows went."""
    return delete_where_in(InboundMessage.from_phone, senders_matching(phones))


@residents_erased.connect
def _forget_erased(_sender, *, resident_ids: Collection[int], phones: Collection[str]) -> None:
    forget_phones(phones)


def count_received_before(cutoff: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.received_at < cutoff))


def delete_received_before(cutoff: datetime) -> int:
    return db.session.execute(
        delete(InboundMessage).where(InboundMessage.received_at < cutoff)).rowcount
