"""Registering, cancelling and the waiting list. Plain functions: they flush, the caller commits.

Capacity holds under concurrency because every change to a workshop's places first locks
that workshop: SELECT … FOR UPDATE on PostgreSQL; on SQLite the write transaction holds
the database write lock from its first statement (see workshops.database). A unique
constraint on (workshop, resident) backs the duplicate rule.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workshops.accounts.models import User
from workshops.catalogue.models import Workshop, WorkshopStatus
from workshops.extensions import db
from workshops.i18n import default_language
from workshops.places.models import Neighbourhood
from workshops.registrations.models import (
    AgeBand,
    Channel,
    Gender,
    ManageLink,
    Registration,
    RegistrationStatus,
    Resident,
    hash_manage_token,
    new_manage_token,
)
from workshops.registrations.phones import Phone
from workshops.registrations.signals import promoted, registered, sms_consent_withdrawn
from workshops.services import DomainError


class RegistrationError(DomainError):
    messages = {
        "workshop_cancelled": _l("This workshop has been cancelled."),
        "workshop_over": _l("This workshop has already finished."),
        "not_published": _l("This workshop is not open for registration."),
        "registration_closed": _l("Registration for this workshop is closed."),
        "registration_not_open_yet": _l("Registration for this workshop has not opened yet."),
        "already_registered": _l(
            "This phone number is already registered for this workshop. Use the personal "
            "link you received to see or cancel your place."),
        "already_cancelled": _l("This registration was already cancelled."),
        "cancellation_closed": _l(
            "This workshop has finished, so this registration can no longer be cancelled."),
        "resident_erased": _l("This person's data has been erased."),
    }

    def __init__(self, code: str, registration: Registration | None = None):
        super().__init__(code)
        self.registration = registration


@dataclass
class ResidentDetails:
    """What a resident (or staff on their behalf) tells us. Phone may be absent for staff."""

    phone: Phone | None
    name: str
    home_neighbourhood: Neighbourhood | None = None
    lives_outside_barcelona: bool = False
    email: str = ""
    age_band: AgeBand | None = None
    gender: Gender = Gender.UNSAID
    preferred_language: str = field(default_factory=default_language)
    sms_consent: bool = False


class NoSuchWorkshop(LookupError):
    """The workshop asked for is not there (deleted since its page was read)."""


def _locking(workshop_id: int):
    return (select(Workshop).where(Workshop.id == workshop_id).with_for_update()
            .execution_options(populate_existing=True))


def lock_workshop(workshop_id: int) -> Workshop:
    """The workshop row, locked until commit (a no-op lock on SQLite: see module doc)."""
    return db.session.scalars(_locking(workshop_id)).one()


def signup_status(workshop_id: int) -> WorkshopStatus | None:
    """The workshop's status, or None when there is none: a quick look, without a lock,
    before a sign-up begins writing (`register` looks again under the lock)."""
    return db.session.scalar(select(Workshop.status).where(Workshop.id == workshop_id))


def _find_resident(phone: Phone | None) -> Resident | None:
    if phone is None:
        return None
    return db.session.scalar(select(Resident).where(Resident.phone == phone.e164))


# Channels on which the phone itself speaks (a text from it, a call from it): what it says
# about the resident is hers to say. A web form, a walk-in or staff typing a number prove
# nothing about whose number it is.
PROVEN_CHANNELS = frozenset({Channel.SMS, Channel.PHONE})


def resident_for(details: ResidentDetails, *, proven: bool, now: datetime) -> Resident:
    """The resident with this phone, or a new one made from what was typed.

    What is stored about an existing resident changes only when `proven` (the request came
    from her phone): anyone can type anyone's number into a form. Unproven details are
    dropped; the caller keeps the typed name with its registration (see `register`)."""
    return _resident_for(details, proven=proven, now=now)[0]


def _resident_for(details: ResidentDetails, *, proven: bool,
                  now: datetime) -> tuple[Resident, bool]:
    """The resident, and whether she was made now (so she has no registration yet)."""
    new = Resident(phone=details.phone.e164 if details.phone else None,
                   phone_takes_sms=bool(details.phone and details.phone.takes_sms),
                   created_at=now)
    _apply_details(new, details, now=now)
    if details.phone is None:  # staff, for someone without a phone: always someone new
        db.session.add(new)
        return new, True
    # Most sign-ups are by someone new: one statement makes her, unless the phone is
    # someone's already (then it changes nothing, and she is looked up).
    made = db.session.scalars(_insert_unless_phone_taken(new)).one_or_none()
    if made is not None:
        return made, True
    resident = _find_resident(details.phone)
    if proven:
        _apply_details(resident, details, now=now)
    return resident, False


def _insert_unless_phone_taken(resident: Resident):
    """INSERT … ON CONFLICT (phone) DO NOTHING RETURNING the stored resident: no row when
    the phone belongs to someone already, even one added a moment ago by a sign-up for
    another workshop that has not committed yet (PostgreSQL waits for it)."""
    state = inspect(resident)
    values = {attr.key: state.dict[attr.key] for attr in state.mapper.column_attrs
              if attr.key in state.dict}
    if "home_neighbourhood" in state.dict:
        home = state.dict["home_neighbourhood"]
        values["home_neighbourhood_id"] = home.id if home is not None else None
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (insert(Resident).values(values)
            .on_conflict_do_nothing(index_elements=[Resident.phone]).returning(Resident))


def _apply_details(resident: Resident, details: ResidentDetails, *, now: datetime) -> None:
    if details.name.strip():
        resident.name = details.name.strip()
    if details.home_neighbourhood is not None or details.lives_outside_barcelona:
        resident.home_neighbourhood = details.home_neighbourhood
        resident.lives_outside_barcelona = details.lives_outside_barcelona
    if details.email.strip():
        resident.email = details.email.strip()
    if details.age_band is not None:
        resident.age_band = details.age_band
    if details.gender != Gender.UNSAID:
        resident.gender = details.gender
    resident.preferred_language = details.preferred_language
    if details.sms_consent and not resident.sms_consent:
        resident.sms_consent = True
        resident.sms_consent_at = now


def _name_given(resident: Resident, details: ResidentDetails) -> str:
    """The typed name, when it is not what the resident's record says (see Registration)."""
    typed = details.name.strip()
    return "" if typed == resident.name else typed


def _check_open(workshop: Workshop, channel: Channel, now: datetime) -> None:
    if workshop.status == WorkshopStatus.CANCELLED:
        raise RegistrationError("workshop_cancelled")
    if workshop.status != WorkshopStatus.PUBLISHED:
        raise RegistrationError("not_published")
    if channel == Channel.WALK_IN:
        return  # she is at the door: attendance.add_walk_in applies the marks' window
    if workshop.is_over(now):
        raise RegistrationError("workshop_over")
    if channel == Channel.STAFF:
        return  # staff may add people until the course is over
    if not workshop.registration_is_open(now):
        opens = workshop.registration_opens_at
        if opens is not None and now < opens:
            raise RegistrationError("registration_not_open_yet")
        raise RegistrationError("registration_closed")


def register(workshop_id: int, details: ResidentDetails, *, channel: Channel, now: datetime,
             submission_key: str = "", created_by: User | None = None,
             notify: bool = True) -> Registration:
    """Confirm a place if one is free (a walk-in always has one), else join the waiting
    list.

    A phone that already belongs to a resident attaches to her; only a proven channel
    (her phone: see PROVEN_CHANNELS) changes what is stored about her.

    Raises RegistrationError("already_registered", registration) when this phone already
    holds a place or a waiting-list spot: the caller decides what to show. With
    notify=False nobody is told to send a message (an SMS sign-up is answered in the reply
    itself).
    """
    workshop = db.session.scalars(_locking(workshop_id)).one_or_none()
    if workshop is None:
        raise NoSuchWorkshop(workshop_id)
    _check_open(workshop, channel, now)
    resident, new = _resident_for(details, proven=channel in PROVEN_CHANNELS, now=now)
    registration = None
    if not new:
        registration = db.session.scalar(select(Registration).where(
            Registration.workshop_id == workshop.id, Registration.resident_id == resident.id))
    if registration is not None and registration.is_active:
        raise RegistrationError("already_registered", registration)
    if registration is None:
        registration = Registration(workshop=workshop, resident=resident, created_at=now)
        db.session.add(registration)
    registration.channel = channel
    registration.queued_at = now
    registration.cancelled_at = None
    registration.promoted_at = None
    registration.submission_key = submission_key
    registration.created_by = created_by
    registration.name_given = _name_given(resident, details)
    registration.sms_muted = False
    # Someone at the door is in the room, whatever the capacity: she holds a place (above
    # capacity when the workshop is full) and nobody loses theirs. A freed place goes to
    # the waiting list only once the workshop is below capacity again (see _promote_next).
    if workshop.seats_taken < workshop.capacity or channel == Channel.WALK_IN:
        workshop.seats_taken += 1
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
    else:
        registration.status = RegistrationStatus.WAITLISTED
        registration.confirmed_at = None
    db.session.flush()
    if notify:
        registered.send(registration, now=now)
    return registration


def seat_at_the_door(registration: Registration, *, now: datetime) -> None:
    """Someone on the waiting list came to the door and was added as a walk-in: she is in
    the room, so, like any walk-in, she holds a place (above capacity if need be) and is
    expected at the next sessions. No message: she is there. The caller holds the
    workshop's lock (`lock_workshop`)."""
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.workshop.seats_taken += 1
    db.session.flush()


def cancellation_open(workshop: Workshop, now: datetime) -> bool:
    """A place can be given up until the workshop's last session has ended, by any channel
    (an SMS finds the places it may cancel with this rule, in SQL). After that the
    registration is history: attendance and reach figures count it."""
    return not workshop.is_over(now)


def cancel(registration: Registration, *, now: datetime) -> Registration | None:
    """Cancel a place. A freed place goes to the first person waiting, exactly once.

    Returns the promoted registration, if any. Raises RegistrationError("cancellation_closed")
    once the workshop is over (see `cancellation_open`).
    """
    workshop = lock_workshop(registration.workshop_id)
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationError("already_cancelled")
    if not cancellation_open(workshop, now):
        raise RegistrationError("cancellation_closed")
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    promoted = None
    if was_confirmed:
        workshop.seats_taken -= 1
        promoted = _promote_next(workshop, now=now)
    db.session.flush()
    return promoted


def _promote_next(workshop: Workshop, *, now: datetime) -> Registration | None:
    """Only `cancel` calls this, so the workshop is not over."""
    if workshop.status != WorkshopStatus.PUBLISHED:
        return None
    if workshop.seats_taken >= workshop.capacity:
        return None
    first = db.session.scalar(
        select(Registration)
        .where(Registration.workshop_id == workshop.id,
               Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.queued_at, Registration.id)
        .limit(1)
    )
    if first is None:
        return None
    first.status = RegistrationStatus.CONFIRMED
    first.confirmed_at = first.promoted_at = now
    workshop.seats_taken += 1
    db.session.flush()
    promoted.send(first, now=now)
    return first


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.workshop_id == registration.workshop_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            (Registration.queued_at < registration.queued_at)
            | ((Registration.queued_at == registration.queued_at)
               & (Registration.id < registration.id)),
        )
    )
    return ahead + 1


def issue_manage_link(registration: Registration, *, now: datetime) -> str:
    """A new personal link's token for `registration`, to show or send at once.

    Only its hash is stored (see ManageLink): this is the one moment the token exists, so
    each page or text message that carries a link gets its own. Earlier links keep
    working. The link is written with the caller's next flush or commit (a sign-up commits
    at once: one flush fewer)."""
    token = new_manage_token()
    db.session.add(ManageLink(registration_id=registration.id,
                              token_hash=hash_manage_token(token), created_at=now))
    return token


def links_of_workshops_ended_before(cutoff: datetime) -> Select:
    """The ids of personal links to registrations whose workshop ended before `cutoff`."""
    return select(ManageLink.id).where(ManageLink.registration_id.in_(
        select(Registration.id).join(Workshop, Registration.workshop_id == Workshop.id)
        .where(Workshop.last_session_ends_at < cutoff)))


def delete_links_of_workshops_ended_before(cutoff: datetime) -> int:
    return db.session.execute(delete(ManageLink).where(
        ManageLink.id.in_(links_of_workshops_ended_before(cutoff)))).rowcount


def registration_by_token(token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Registration).join(ManageLink, ManageLink.registration_id == Registration.id)
        .where(ManageLink.token_hash == hash_manage_token(token)))


def set_sms_consent(resident: Resident, consent: bool, *, now: datetime) -> None:
    """Consent is separate from registering and can be withdrawn at any time. Only her
    phone may change it (SMS STOP / START): see PROVEN_CHANNELS. Withdrawn, nothing
    already queued for her is sent."""
    resident.sms_consent = consent
    resident.sms_consent_at = now if consent else None
    if not consent:
        sms_consent_withdrawn.send(resident, now=now)
    db.session.flush()


def set_registration_sms(registration: Registration, wanted: bool) -> None:
    """The manage link's switch: messages about this one registration, or none.

    A manage link is a bearer token held by whoever made the registration, perhaps not
    the phone's owner: it neither gives nor withdraws her consent, and leaves messages
    about her other places alone. Messages already queued for this registration are
    skipped by the worker while it is muted."""
    registration.sms_muted = not wanted
    db.session.flush()
