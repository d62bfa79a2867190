import enum
import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.accounts.models import User
from workshops.catalogue.models import Workshop
from workshops.db_types import UTCDateTime, str_enum
from workshops.extensions import db
from workshops.i18n import default_language
from workshops.places.models import Neighbourhood


class AgeBand(enum.StrEnum):
    UNDER_30 = "16-29"
    FROM_30 = "30-44"
    FROM_45 = "45-64"
    FROM_65 = "65-74"
    FROM_75 = "75+"


class Gender(enum.StrEnum):
    UNSAID = "unsaid"
    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non-binary"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Channel(enum.StrEnum):
    WEB = "web"
    SMS = "sms"
    STAFF = "staff"
    WALK_IN = "walk-in"
    PHONE = "phone"


AGE_BAND_LABELS = {
    AgeBand.UNDER_30: _l("16 to 29"),
    AgeBand.FROM_30: _l("30 to 44"),
    AgeBand.FROM_45: _l("45 to 64"),
    AgeBand.FROM_65: _l("65 to 74"),
    AgeBand.FROM_75: _l("75 or over"),
}
GENDER_LABELS = {
    Gender.UNSAID: _l("Prefer not to say"),
    Gender.WOMAN: _l("Woman"),
    Gender.MAN: _l("Man"),
    Gender.NON_BINARY: _l("Non-binary"),
}
STATUS_LABELS = {
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.WAITLISTED: _l("Waiting list"),
    RegistrationStatus.CANCELLED: lazy_pgettext("registration status", "Cancelled"),
}
CHANNEL_LABELS = {
    Channel.WEB: _l("Web"),
    Channel.SMS: _l("SMS"),
    Channel.STAFF: _l("Staff"),
    Channel.WALK_IN: _l("Walk-in"),
    Channel.PHONE: _l("Phone call"),
}


# No 0/O, 1/I/L or U/V pairs (no U): read aloud or copied from paper, it cannot be misread.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """Eight random characters (30^8, about 6.6e11), shown as two groups of four."""
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


class Resident(db.Model):
    """One person, known by one phone number (E.164). No account, no password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty for people registered by staff who have no phone, and after erasure.
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    phone_takes_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    home_neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id"), index=True)
    lives_outside_barcelona: Mapped[bool] = mapped_column(Boolean, default=False)
    age_band: Mapped[AgeBand | None] = mapped_column(str_enum(AgeBand))
    gender: Mapped[Gender] = mapped_column(str_enum(Gender), default=Gender.UNSAID)
    preferred_language: Mapped[str] = mapped_column(String(2), default=default_language)
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sent STOP / BAIXA / BAJA: nothing at all is sent to this phone until it sends START.
    sms_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When this phone last texted us: activity that outlives the SMS log's retention, so a
    # resident is not anonymised while still in touch (workshops.privacy.retention).
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When we first texted who we are (workshops.notifications.worker): someone else may
    # have given the number on the web or at the door, so the first text says how to stop
    # them all.
    introduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home_neighbourhood: Mapped[Neighbourhood | None] = relationship()

    @property
    def can_receive_sms(self) -> bool:
        return (bool(self.phone) and self.phone_takes_sms and self.sms_consent
                and not self.sms_opted_out)


class Registration(db.Model):
    __table_args__ = (
        UniqueConstraint("workshop_id", "resident_id"),
        Index("ix_registration_queue", "workshop_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Place in the waiting list: earlier first. Reset when someone signs up again.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The random key of the form that created it: a double submit finds the same registration.
    submission_key: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # The name typed for this registration when it differs from the resident's and could
    # not change it: a web form, a walk-in or staff gave a phone that already belongs to a
    # resident, and only her phone (or a coordinator) may change what is stored about her.
    # Shown with this registration alone, so the person at the door can be found.
    name_given: Mapped[str] = mapped_column(String(120), default="")
    # "Stop SMS messages" on this registration's manage link: nothing about this
    # registration is sent. Her consent, and messages about her other places, are untouched.
    sms_muted: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the resident quotes on the phone or at the door ("K7PM-4QXD"). A label, not a
    # key: it opens nothing, so knowing one gives no access to anyone's data.
    reference: Mapped[str] = mapped_column(String(9), unique=True, default=new_reference)

    workshop: Mapped[Workshop] = relationship()
    resident: Mapped[Resident] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED

    @property
    def display_name(self) -> str:
        """The name staff see for this registration: as typed for it, else the resident's."""
        return self.name_given or self.resident.name

    @property
    def recorded_name(self) -> str:
        """The resident's own name when it differs from the one typed for this registration
        (staff see both), else ""."""
        if self.name_given and self.resident.name and self.resident.name != self.name_given:
            return self.resident.name
        return ""

    @property
    def can_receive_sms(self) -> bool:
        """Messages about this registration may be sent: the resident takes SMS and nobody
        stopped them on this registration's manage link."""
        return self.resident.can_receive_sms and not self.sms_muted


def new_manage_token() -> str:
    return secrets.token_urlsafe(16)  # 128 bits, 22 characters: short enough for an SMS


def hash_manage_token(token: str) -> str:
    """The hex SHA-256 of a token. A token is 128 random bits, so a plain hash cannot be
    searched backwards: no salt or slow hash is needed (those protect guessable secrets)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ManageLink(db.Model):
    """One personal link to a registration's page, /r/<token>: whoever holds it can see and
    cancel the place. Only the token's hash is stored, so a copy of the database (a backup,
    an export) holds no working link; the token itself exists once, in the page or text
    message it was made for (registrations.services.issue_manage_link). A registration
    has as many links as were shown or sent, and each keeps working until the resident
    is erased (registrations.erasure) or the workshop is long over (privacy.retention)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
