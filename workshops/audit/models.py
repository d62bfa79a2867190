import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.accounts.models import User
from workshops.db_types import UTCDateTime, str_enum
from workshops.extensions import db


class AuditAction(enum.StrEnum):
    REGISTRATIONS_VIEWED = "registrations-viewed"
    REGISTRATIONS_EXPORTED = "registrations-exported"
    PHONE_REVEALED = "phone-revealed"
    RESIDENT_FOUND = "resident-found"
    RESIDENT_VIEWED = "resident-viewed"
    RESIDENT_ERASED = "resident-erased"
    RESIDENT_OPENED = "resident-opened"
    RESIDENT_CORRECTED = "resident-corrected"
    PHONE_ERASED = "phone-erased"


ACTION_LABELS = {
    AuditAction.REGISTRATIONS_VIEWED: _l("Viewed a workshop's registrations"),
    AuditAction.REGISTRATIONS_EXPORTED: _l("Downloaded a workshop's registrations"),
    AuditAction.PHONE_REVEALED: _l("Revealed a phone number in the SMS log"),
    AuditAction.RESIDENT_FOUND: _l("Looked up a resident by phone"),
    AuditAction.RESIDENT_VIEWED: _l("Opened a resident from a workshop's registrations"),
    AuditAction.RESIDENT_ERASED: _l("Erased a resident's data"),
    AuditAction.RESIDENT_OPENED: _l("Opened a resident's details to correct them"),
    AuditAction.RESIDENT_CORRECTED: _l("Corrected a resident's details"),
    AuditAction.PHONE_ERASED: _l("Erased the texts and calls of a number with no resident"),
}


class AuditEvent(db.Model):
    """One staff action on residents' personal data.

    It says who, what and which record (a table name and an id), never anything about the
    person: no name, phone, email or free text. So the log itself needs no erasure, and
    erasing a resident leaves only an id that no longer leads to anyone.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Staff accounts are deactivated, never deleted; SET NULL only keeps a delete possible.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, 40))
    # The record acted on, e.g. ("workshop", 12): no foreign key, so the event outlives it.
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)

    actor: Mapped[User | None] = relationship()
