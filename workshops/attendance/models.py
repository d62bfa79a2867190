from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.accounts.models import User
from workshops.catalogue.models import Session
from workshops.db_types import UTCDateTime
from workshops.extensions import db
from workshops.registrations.models import Registration


class Attendance(db.Model):
    """Whether one registered person was at one session. No row means not marked yet."""

    __table_args__ = (UniqueConstraint("session_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool] = mapped_column(Boolean)
    # When the facilitator tapped, as the device saw it: of two changes, the later one wins
    # even when a queued offline change reaches the server after a newer one.
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    # The device's id for the last change applied: the same change sent twice is applied once.
    change_id: Mapped[str] = mapped_column(String(64), default="")

    session: Mapped[Session] = relationship()
    registration: Mapped[Registration] = relationship()
    marked_by: Mapped[User | None] = relationship()
