import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.accounts.models import User
from workshops.catalogue.models import Workshop
from workshops.db_types import UTCDateTime, str_enum
from workshops.extensions import db


class VoiceCall(db.Model):
    """One call to the voice line, once per Twilio CallSid."""

    __table_args__ = (Index("ix_voice_call_phone_time", "from_phone", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    # E.164, or "" when the number was hidden or not a phone number.
    from_phone: Mapped[str] = mapped_column(String(16), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The language she chose or was known by: the next call from her number starts in it.
    language: Mapped[str] = mapped_column(String(2), default="")
    # The workshop she heard last: a call-back request says what she was interested in.
    last_workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop.id", ondelete="SET NULL"))


class VoiceStep(db.Model):
    """A step of a call answered, with the TwiML it got: Twilio may send the same request
    again (a timeout, a retry), and it then gets the same answer, applied once."""

    __table_args__ = (UniqueConstraint("call_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("voice_call.id", ondelete="CASCADE"))
    # The path and query Twilio called, and the keys pressed.
    step: Mapped[str] = mapped_column(String(255))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    twiml: Mapped[str] = mapped_column(Text)


class CallbackStatus(enum.StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    CLOSED = "closed"


CALLBACK_STATUS_LABELS = {
    CallbackStatus.OPEN: _l("Waiting"),
    CallbackStatus.TAKEN: _l("Taken"),
    CallbackStatus.CLOSED: _l("Closed"),
}


class CallbackRequest(db.Model):
    """A caller asked the team to call her back: her number, language and what she heard."""

    __table_args__ = (Index("ix_callback_request_status_time", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop.id", ondelete="SET NULL"))
    status: Mapped[CallbackStatus] = mapped_column(str_enum(CallbackStatus),
                                                   default=CallbackStatus.OPEN)
    taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workshop: Mapped[Workshop | None] = relationship()
    taken_by: Mapped[User | None] = relationship()
