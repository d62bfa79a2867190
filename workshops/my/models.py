from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workshops.db_types import UTCDateTime
from workshops.extensions import db


class PhoneCode(db.Model):
    """A one-time code sent by SMS to prove a phone, for "My workshops".

    Nothing here works outside this server: the phone is kept as a keyed hash (so codes for
    a number can be found without storing it again), and the code too, minted and hashed by
    the SMS worker at the moment it is sent (workshops.my.codes). A copy of the database
    holds no usable code.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_key: Mapped[str] = mapped_column(String(64), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"),
                                             index=True)
    code_hash: Mapped[str] = mapped_column(String(64), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
