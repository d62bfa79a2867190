"""The outbox: messages written in the same transaction as the change they announce.

The worker sends them after commit, so a crash never loses one and a rolled-back change
never sends one.
"""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workshops.db_types import UTCDateTime, str_enum
from workshops.extensions import db


class MessageKind(enum.StrEnum):
    REGISTRATION_CONFIRMED = "registration-confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    WORKSHOP_CANCELLED = "workshop-cancelled"
    MANAGE_LINK = "manage-link"
    REMINDER = "reminder"
    SCHEDULE_CHANGED = "schedule-changed"
    FOLLOW_UP = "follow-up"  # the question the day after the workshop (workshops.outcomes)
    FOLLOW_UP_AGAIN = "follow-up-again"  # the one reminder of an unanswered question
    # About the resident, not one registration (no registration_id):
    PHONE_CODE = "phone-code"  # the code that opens "My workshops" (workshops.my)
    INTRODUCTION = "introduction"  # who we are, before the first text to a new number


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


KIND_LABELS = {
    MessageKind.REGISTRATION_CONFIRMED: _l("Place confirmed"),
    MessageKind.WAITLISTED: _l("Waiting list"),
    MessageKind.PROMOTED: _l("Promoted from the waiting list"),
    MessageKind.WORKSHOP_CANCELLED: _l("Workshop cancelled"),
    MessageKind.MANAGE_LINK: _l("Personal link"),
    MessageKind.REMINDER: _l("Reminder"),
    MessageKind.SCHEDULE_CHANGED: _l("Time or venue changed"),
    MessageKind.FOLLOW_UP: _l("Follow-up question"),
    MessageKind.FOLLOW_UP_AGAIN: _l("Follow-up question, reminder"),
    MessageKind.PHONE_CODE: _l("Code for My workshops"),
    MessageKind.INTRODUCTION: _l("Introduction to the programme"),
}
STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting to be sent"),
    OutboxStatus.SENDING: _l("Sending"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
    OutboxStatus.SKIPPED: _l("Not sent: no longer applies"),
}
DELIVERY_LABELS = {
    "accepted": _l("Accepted"), "queued": _l("Queued by the operator"),
    "sending": _l("Sending"), "sent": _l("Sent"), "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"), "failed": _l("Failed"), "read": _l("Read"),
}

# Twilio's delivery statuses in the order they happen; a status never moves backwards.
DELIVERY_ORDER = ["accepted", "queued", "sending", "sent", "delivered", "undelivered",
                  "failed", "read"]


class OutboxMessage(db.Model):
    __table_args__ = (Index("ix_outbox_message_due", "status", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, 30))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"),
                                             index=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    # What the text needs besides the registration (e.g. a cancellation reason).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, 30),
                                                 default=OutboxStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Nothing with the same key is queued twice (e.g. one reminder per person per session).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    delivery_status: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")



class WorkerHeartbeat(db.Model):
    """When each SMS worker (host:pid) last finished a round: /readyz reports the newest."""

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
