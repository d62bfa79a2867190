"""Publishing workshops. Plain functions: they validate, change and flush; the request commits."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from workshops.accounts.models import Role, User
from workshops.catalogue.local_time import Slot
from workshops.catalogue.models import RemovedSession, Session, Topic, Workshop, WorkshopStatus
from workshops.catalogue.signals import schedule_changed, workshop_cancelled
from workshops.extensions import db
from workshops.i18n import languages
from workshops.places.models import Venue
from workshops.places.signals import venue_changed
from workshops.services import DomainError

MIN_CAPACITY, MAX_CAPACITY = 1, 500


class CatalogueError(DomainError):
    messages = {
        "no_title": _l("Give the workshop a title in at least one language."),
        "title_without_summary": _l(
            "Write a short summary in each language that has a title."),
        "capacity": _l("The number of places must be between %(low)s and %(high)s.",
                       low=MIN_CAPACITY, high=MAX_CAPACITY),
        "capacity_below_taken": _l(
            "More people are already registered than this number of places."),
        "venue_required": _l("Choose a venue."),
        "topic_required": _l("Choose a topic."),
        "code_format": _l("The SMS code must be 3 or 4 digits."),
        "code_taken": _l("Another current workshop already uses this SMS code."),
        "end_before_start": _l("The end time must be after the start time."),
        "session_in_past": _l("A new session cannot be in the past."),
        "session_overlaps": _l("This workshop already has a session at that time."),
        "nonexistent_time": _l(
            "That time does not exist on that day because the clocks change. Choose another."),
        "past_session_locked": _l("A session that has already happened cannot be changed."),
        "registration_window": _l("Registration must open before it closes."),
        "no_sessions": _l("Add at least one session before publishing."),
        "not_draft": _l("Only a draft can be published."),
        "has_registrations": _l(
            "People have registered: cancel the workshop instead of unpublishing it."),
        "already_cancelled": _l("This workshop is already cancelled."),
        "reason_required": _l("Explain the reason: registrants will receive it."),
        "not_facilitator": _l("Only staff with the facilitator role can facilitate."),
        "no_free_code": _l("There is no free SMS code left. Contact a coordinator."),
    }


@dataclass
class WorkshopDetails:
    """What an organiser types about a workshop (everything but its sessions)."""

    titles: dict[str, str]
    summaries: dict[str, str]
    descriptions: dict[str, str]
    topic: Topic | None
    level: str
    instruction_language: str
    audiences: list[str]
    venue: Venue | None
    capacity: int
    facilitators: list[User] = field(default_factory=list)
    public_code: str = ""
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    brings: dict[str, str] = field(default_factory=dict)


def _clean(texts: dict[str, str]) -> dict[str, str]:
    """The texts in the portal's languages, stripped; empty ones left out."""
    stripped = {lang: (texts.get(lang) or "").strip() for lang in languages()}
    return {lang: text for lang, text in stripped.items() if text}


def _validate(details: WorkshopDetails, workshop: Workshop | None) -> None:
    titles, summaries = _clean(details.titles), _clean(details.summaries)
    if not titles:
        raise CatalogueError("no_title", f"title_{languages()[0]}")
    for lang in titles:
        if lang not in summaries:
            raise CatalogueError("title_without_summary", f"summary_{lang}")
    if details.topic is None:
        raise CatalogueError("topic_required", "topic")
    if details.venue is None:
        raise CatalogueError("venue_required", "venue")
    if not MIN_CAPACITY <= details.capacity <= MAX_CAPACITY:
        raise CatalogueError("capacity", "capacity")
    # Walk-ins may hold places above capacity: keeping the number of places is always fine.
    if workshop is not None and details.capacity < min(workshop.seats_taken, workshop.capacity):
        raise CatalogueError("capacity_below_taken", "capacity")
    if any(Role.FACILITATOR not in user.roles for user in details.facilitators):
        raise CatalogueError("not_facilitator", "facilitators")
    opens, closes = details.registration_opens_at, details.registration_closes_at
    if opens and closes and opens >= closes:
        raise CatalogueError("registration_window", "registration_closes")


def _apply(workshop: Workshop, details: WorkshopDetails) -> None:
    workshop.title_texts = _clean(details.titles)
    workshop.summary_texts = _clean(details.summaries)
    workshop.description_texts = _clean(details.descriptions)
    workshop.bring_texts = _clean(details.brings)
    if workshop.venue_id is not None and workshop.venue_id != details.venue.id:
        workshop.sequence += 1
    workshop.topic = details.topic
    workshop.level = details.level
    workshop.instruction_language = details.instruction_language
    workshop.set_audiences(details.audiences)
    workshop.venue = details.venue
    workshop.capacity = details.capacity
    workshop.facilitators = list(details.facilitators)
    workshop.registration_opens_at = details.registration_opens_at
    workshop.registration_closes_at = details.registration_closes_at


def code_in_use(code: str, *, now: datetime, exclude: Workshop | None = None) -> bool:
    """Whether a workshop that is not over (nor cancelled) already uses `code`."""
    query = select(Workshop.id).where(
        Workshop.public_code == code,
        Workshop.status != WorkshopStatus.CANCELLED,
        or_(Workshop.last_session_ends_at.is_(None), Workshop.last_session_ends_at >= now),
    )
    if exclude is not None and exclude.id is not None:
        query = query.where(Workshop.id != exclude.id)
    return db.session.scalar(query.limit(1)) is not None


def _free_code(now: datetime) -> str:
    """A random free code: three digits while there are any, else four."""
    for low, high in ((100, 999), (1000, 9999)):
        for _ in range(50):
            code = str(secrets.randbelow(high - low + 1) + low)
            if not code_in_use(code, now=now):
                return code
    raise CatalogueError("no_free_code", "public_code")


def _assign_code(workshop: Workshop, wanted: str, now: datetime) -> None:
    wanted = (wanted or "").strip()
    if not wanted:
        if not workshop.public_code:
            workshop.public_code = _free_code(now)
        return
    if not (wanted.isascii() and wanted.isdigit() and 3 <= len(wanted) <= 4):
        raise CatalogueError("code_format", "public_code")
    if wanted.startswith("0"):
        raise CatalogueError("code_format", "public_code")
    if code_in_use(wanted, now=now, exclude=workshop):
        raise CatalogueError("code_taken", "public_code")
    workshop.public_code = wanted


def create_workshop(details: WorkshopDetails, *, organiser: User, slots: list[Slot],
                    now: datetime) -> Workshop:
    _validate(details, None)
    workshop = Workshop(organiser=organiser, status=WorkshopStatus.DRAFT, created_at=now,
                        updated_at=now, seats_taken=0, sequence=0)
    _apply(workshop, details)
    _assign_code(workshop, details.public_code, now)
    db.session.add(workshop)
    add_sessions(workshop, slots, now=now)
    db.session.flush()
    return workshop


def update_workshop(workshop: Workshop, details: WorkshopDetails, *, now: datetime) -> Workshop:
    _validate(details, workshop)
    _assign_code(workshop, details.public_code, now)
    venue_before = workshop.venue_id
    _apply(workshop, details)
    workshop.updated_at = now
    db.session.flush()
    if venue_before != workshop.venue_id:
        _announce_schedule_change(workshop, now)
    return workshop


def _announce_schedule_change(workshop: Workshop, now: datetime) -> None:
    if workshop.status == WorkshopStatus.PUBLISHED:
        schedule_changed.send(workshop, now=now)


def _refresh_schedule(workshop: Workshop) -> None:
    live = sorted(workshop.sessions, key=lambda s: s.starts_at)
    workshop.first_session_starts_at = live[0].starts_at if live else None
    workshop.last_session_ends_at = max((s.ends_at for s in live), default=None)


def _check_slot(workshop: Workshop, new: Slot, now: datetime, ignore: Session | None = None):
    if new.ends_at <= new.starts_at:
        raise CatalogueError("end_before_start", "end_time")
    if new.starts_at < now:
        raise CatalogueError("session_in_past", "date")
    for other in workshop.sessions:
        if other is ignore:
            continue
        if other.starts_at < new.ends_at and new.starts_at < other.ends_at:
            raise CatalogueError("session_overlaps", "date")


def add_sessions(workshop: Workshop, slots: list[Slot], *, now: datetime) -> list[Session]:
    added = []
    for new in slots:
        _check_slot(workshop, new, now)
        session = Session(starts_at=new.starts_at, ends_at=new.ends_at)
        workshop.sessions.append(session)
        added.append(session)
    _refresh_schedule(workshop)
    if added and workshop.status != WorkshopStatus.DRAFT:
        workshop.sequence += 1
    workshop.updated_at = now
    db.session.flush()
    return added


def move_session(session: Session, new: Slot, *, now: datetime) -> Session:
    if session.ends_at < now:
        raise CatalogueError("past_session_locked", "date")
    _check_slot(session.workshop, new, now, ignore=session)
    session.starts_at, session.ends_at = new.starts_at, new.ends_at
    workshop = session.workshop
    _refresh_schedule(workshop)
    workshop.sequence += 1
    workshop.updated_at = now
    db.session.flush()
    _announce_schedule_change(workshop, now)
    return session


def remove_session(session: Session, *, now: datetime) -> None:
    if session.ends_at < now:
        raise CatalogueError("past_session_locked")
    workshop = session.workshop
    if workshop.status != WorkshopStatus.DRAFT:
        # Calendars that already hold this session must learn it is off.
        db.session.add(RemovedSession(id=session.id, workshop=workshop,
                                      starts_at=session.starts_at, ends_at=session.ends_at,
                                      removed_at=now))
    workshop.sessions.remove(session)
    _refresh_schedule(workshop)
    workshop.sequence += 1
    workshop.updated_at = now
    db.session.flush()
    _announce_schedule_change(workshop, now)


@venue_changed.connect
def _raise_sequence_at_venue(venue: Venue, *, now: datetime) -> None:
    """A venue's name or address changed: calendars must update the workshops held there."""
    db.session.execute(
        update(Workshop)
        .where(Workshop.venue_id == venue.id, Workshop.status != WorkshopStatus.DRAFT,
               or_(Workshop.last_session_ends_at.is_(None), Workshop.last_session_ends_at >= now))
        .values(sequence=Workshop.sequence + 1, updated_at=now))


def publish(workshop: Workshop, *, now: datetime) -> None:
    if workshop.status != WorkshopStatus.DRAFT:
        raise CatalogueError("not_draft")
    if not workshop.sessions:
        raise CatalogueError("no_sessions")
    if code_in_use(workshop.public_code, now=now, exclude=workshop):
        raise CatalogueError("code_taken", "public_code")
    workshop.status = WorkshopStatus.PUBLISHED
    workshop.published_at = now
    workshop.updated_at = now
    workshop.sequence += 1
    db.session.flush()


def unpublish(workshop: Workshop, *, now: datetime) -> None:
    if workshop.status != WorkshopStatus.PUBLISHED:
        raise CatalogueError("not_draft")
    if workshop.seats_taken:
        raise CatalogueError("has_registrations")
    workshop.status = WorkshopStatus.DRAFT
    workshop.updated_at = now
    workshop.sequence += 1
    db.session.flush()


def cancel(workshop: Workshop, *, reason: str, now: datetime) -> None:
    """Cancel for good. The workshop stays visible (marked cancelled), and everyone
    registered is told through the `workshop_cancelled` signal (registrations domain)."""
    if workshop.status == WorkshopStatus.CANCELLED:
        raise CatalogueError("already_cancelled")
    if not reason.strip():
        raise CatalogueError("reason_required", "reason")
    workshop.status = WorkshopStatus.CANCELLED
    workshop.cancel_reason = reason.strip()
    workshop.cancelled_at = now
    workshop.updated_at = now
    workshop.sequence += 1
    db.session.flush()
    workshop_cancelled.send(workshop, now=now)


def duplicate(workshop: Workshop, *, organiser: User, now: datetime) -> Workshop:
    """A draft copy with the same texts, venue and team, a new code and no sessions."""
    copy = Workshop(organiser=organiser, status=WorkshopStatus.DRAFT, created_at=now,
                    updated_at=now, seats_taken=0, sequence=0)
    copy.title_texts = dict(workshop.title_texts)
    copy.summary_texts = dict(workshop.summary_texts)
    copy.description_texts = dict(workshop.description_texts)
    copy.bring_texts = dict(workshop.bring_texts)
    copy.topic = workshop.topic
    copy.level = workshop.level
    copy.instruction_language = workshop.instruction_language
    copy.set_audiences(workshop.audiences)
    copy.venue = workshop.venue
    copy.capacity = workshop.capacity
    copy.facilitators = list(workshop.facilitators)
    copy.public_code = _free_code(now)
    db.session.add(copy)
    db.session.flush()
    return copy


def can_edit(user: User, workshop: Workshop) -> bool:
    if user.has_role(Role.COORDINATOR):
        return True
    return user.has_role(Role.ORGANISER) and workshop.organiser_id == user.id


def is_on_team(user: User, workshop: Workshop) -> bool:
    """Whoever may edit the workshop, and its facilitators: they see its registrations and
    take its sessions' attendance."""
    return can_edit(user, workshop) or any(f.id == user.id for f in workshop.facilitators)
