import enum
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    literal,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.accounts.models import User
from workshops.db_types import TranslatedText, UTCDateTime, str_enum, utcnow
from workshops.extensions import db
from workshops.i18n import LocalizedText, localized
from workshops.places.models import Venue


class WorkshopStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SignUp(enum.StrEnum):
    """What a resident can do about a workshop right now, and why not (cards, SMS lists)."""

    PLACES = "places"  # sign-up open, places left
    WAITING_LIST = "waiting-list"  # sign-up open, full: joining puts her on the waiting list
    NOT_OPEN_YET = "not-open-yet"
    STARTED = "started"  # sign-up closed because the course has begun
    CLOSED = "closed"  # sign-up closed before the course (organiser's closing date)
    CANCELLED = "cancelled"
    OVER = "over"


class Level(enum.StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"


class Audience(enum.StrEnum):
    OLDER_PEOPLE = "older-people"
    WOMEN = "women"
    YOUNG_PEOPLE = "young-people"
    NEWCOMERS = "newcomers"
    FAMILIES = "families"
    JOB_SEEKERS = "job-seekers"
    DISABLED_PEOPLE = "disabled-people"


STATUS_LABELS = {
    WorkshopStatus.DRAFT: _l("Draft"),
    WorkshopStatus.PUBLISHED: _l("Published"),
    WorkshopStatus.CANCELLED: _l("Cancelled"),
}
LEVEL_LABELS = {
    Level.BEGINNER: _l("Beginners: no experience needed"),
    Level.INTERMEDIATE: _l("Some experience"),
}
AUDIENCE_LABELS = {
    Audience.OLDER_PEOPLE: _l("Older people"),
    Audience.WOMEN: _l("Women"),
    Audience.YOUNG_PEOPLE: _l("Young people"),
    Audience.NEWCOMERS: _l("Newcomers to the city"),
    Audience.FAMILIES: _l("Families"),
    Audience.JOB_SEEKERS: _l("People looking for work"),
    Audience.DISABLED_PEOPLE: _l("People with disabilities"),
}
# Languages a workshop may be taught in (residents include many newcomers).
INSTRUCTION_LANGUAGES = {
    "ca": _l("Catalan"),
    "es": _l("Spanish"),
    "en": _l("English"),
    "ar": _l("Arabic"),
    "ur": _l("Urdu"),
    "zh": _l("Chinese"),
}

workshop_facilitator = Table(
    "workshop_facilitator",
    db.metadata,
    Column("workshop_id", ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name_texts: Mapped[dict[str, str]] = mapped_column(TranslatedText, default=dict)
    # The follow-up question residents get after its workshops (workshops.outcomes), per
    # language; a language left empty gets the portal's default question.
    follow_up_question_texts: Mapped[dict[str, str]] = mapped_column(TranslatedText,
                                                                    default=dict)
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, language: str) -> LocalizedText:
        return localized(self.name_texts, language)


class WorkshopAudience(db.Model):
    __table_args__ = (UniqueConstraint("workshop_id", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"),
                                             index=True)
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, 30))


class Workshop(db.Model):
    __table_args__ = (
        # What the public listing filters, sorts and shows: it reads this index alone.
        Index("ix_workshop_listing", "status", "last_session_ends_at", "first_session_starts_at",
              "seats_taken", "capacity", "venue_id", "topic_id", "instruction_language",
              "registration_opens_at", "registration_closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What residents text to register (ALTA 123): unique among workshops that are not over.
    public_code: Mapped[str] = mapped_column(String(4), index=True)
    title_texts: Mapped[dict[str, str]] = mapped_column(TranslatedText, default=dict)
    summary_texts: Mapped[dict[str, str]] = mapped_column(TranslatedText, default=dict)
    description_texts: Mapped[dict[str, str]] = mapped_column(TranslatedText, default=dict)
    # "What to bring", for the workshop page's "Is it for me?" box.
    bring_texts: Mapped[dict[str, str]] = mapped_column(TranslatedText, default=dict)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    level: Mapped[Level] = mapped_column(str_enum(Level), default=Level.BEGINNER)
    instruction_language: Mapped[str] = mapped_column(String(2), default="ca")
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    # Confirmed registrations, kept by the registration service under a row lock.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[WorkshopStatus] = mapped_column(str_enum(WorkshopStatus),
                                                   default=WorkshopStatus.DRAFT)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept by the schedule service so listings can filter and sort without aggregates.
    first_session_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_session_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised on every change of time, venue or status (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Last change to the workshop itself (texts, schedule, venue, status), not to its sign-ups:
    # calendars use it as the events' DTSTAMP.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    topic: Mapped[Topic] = relationship()
    venue: Mapped[Venue] = relationship()
    organiser: Mapped[User] = relationship(foreign_keys=[organiser_id])
    facilitators: Mapped[list[User]] = relationship(secondary=workshop_facilitator,
                                                    order_by=User.name)
    audience_rows: Mapped[list[WorkshopAudience]] = relationship(
        cascade="all, delete-orphan", order_by=WorkshopAudience.audience)
    sessions: Mapped[list["Session"]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="Session.starts_at")

    @property
    def audiences(self) -> list[Audience]:
        return [row.audience for row in self.audience_rows]

    def set_audiences(self, audiences) -> None:
        wanted = {Audience(a) for a in audiences}
        self.audience_rows = [row for row in self.audience_rows if row.audience in wanted]
        for audience in sorted(wanted - set(self.audiences)):
            self.audience_rows.append(WorkshopAudience(audience=audience))

    def title(self, language: str) -> LocalizedText:
        return localized(self.title_texts, language)

    def summary(self, language: str) -> LocalizedText:
        return localized(self.summary_texts, language)

    def description(self, language: str) -> LocalizedText:
        return localized(self.description_texts, language)

    def bring(self, language: str) -> LocalizedText:
        return localized(self.bring_texts, language)

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    def is_over(self, now: datetime) -> bool:
        return self.last_session_ends_at is not None and self.last_session_ends_at < now

    @hybrid_method
    def registration_is_open(self, now: datetime) -> bool:
        """The one rule for "can residents sign up now" (the registration service checks it);
        the SQL spelling below lets listings filter by it and must say the same."""
        if self.status != WorkshopStatus.PUBLISHED or self.first_session_starts_at is None:
            return False
        opens = self.registration_opens_at
        # By default people can sign up until the course begins.
        closes = self.registration_closes_at or self.first_session_starts_at
        return (opens is None or opens <= now) and now < closes

    @registration_is_open.expression
    def registration_is_open(cls, now: datetime):
        instant = literal(now, UTCDateTime)
        return and_(
            cls.status == WorkshopStatus.PUBLISHED,
            cls.first_session_starts_at.is_not(None),
            or_(cls.registration_opens_at.is_(None), cls.registration_opens_at <= instant),
            instant < func.coalesce(cls.registration_closes_at, cls.first_session_starts_at),
        )

    def sign_up(self, now: datetime) -> SignUp:
        """Whether a resident can join now, and if not, why (from `registration_is_open`)."""
        if self.status == WorkshopStatus.CANCELLED:
            return SignUp.CANCELLED
        if self.is_over(now):
            return SignUp.OVER
        if self.registration_is_open(now):
            return SignUp.PLACES if self.seats_left > 0 else SignUp.WAITING_LIST
        if self.registration_opens_at is not None and now < self.registration_opens_at:
            return SignUp.NOT_OPEN_YET
        if self.first_session_starts_at is not None and now >= self.first_session_starts_at:
            return SignUp.STARTED
        return SignUp.CLOSED
    @property
    def total_duration(self) -> timedelta:
        return sum((s.ends_at - s.starts_at for s in self.sessions), timedelta())

    def upcoming_sessions(self, now: datetime) -> list["Session"]:
        return [s for s in self.sessions if s.ends_at >= now]

    def __repr__(self) -> str:
        return f"<Workshop {self.id} {self.public_code}>"


class Session(db.Model):
    __tablename__ = "workshop_session"
    __table_args__ = (Index("ix_workshop_session_start", "workshop_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the facilitator closes the roster: everyone not marked is then absent.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.starts_at:%Y-%m-%d %H:%M}Z>"


class RemovedSession(db.Model):
    """A session taken out of a published workshop. Calendar feeds keep it for a while as
    cancelled, under its old id, so subscribers' calendars drop it instead of keeping a ghost."""

    id: Mapped[int] = mapped_column(primary_key=True)  # the removed session's id
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"),
                                             index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    workshop: Mapped[Workshop] = relationship()
