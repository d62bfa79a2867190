import enum
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.db_types import UTCDateTime
from workshops.extensions import db
from workshops.registrations.models import Registration


class Answer(enum.IntEnum):
    """The numbered answers to the follow-up question (residents text the number)."""

    YES = 1
    PARTLY = 2
    NOT_YET = 3


ANSWER_LABELS = {
    Answer.YES: _l("Yes"),
    Answer.PARTLY: _l("Partly"),
    Answer.NOT_YET: _l("Not yet"),
}


class FollowUp(db.Model):
    """The one follow-up question about a registration that attended, and her answer.

    Kept like attendance: after erasure it belongs to her anonymous registration, so the
    outcome figures stay the same."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the question left (the worker): only questions sent count as asked.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the one reminder was queued for a question left unanswered.
    chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[int | None] = mapped_column(SmallInteger)
    # When the answer kept was first given: a second reply replaces it within a week.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()


# Crockford's base 32 without 0 and 1 (nor I, L, O, U): nothing to mistake when typed
# from paper. Ten of them: 30^10, about 2^49 codes, and /verify is rate-limited.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


def new_certificate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """"ABCDE23456" → "ABCDE-23456", as the certificate prints it."""
    return f"{code[:5]}-{code[5:]}"


class Certificate(db.Model):
    """A participation certificate: its random verification code, kept as is.

    The code is printed on paper and must be the same on every copy (hers from My
    workshops, the one the facilitator prints), so it is stored, not only its hash. It
    opens nothing: /verify shows the initials, the workshop and the dates, which is what
    it is for. Erasure deletes the row, and the code then verifies nothing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()
