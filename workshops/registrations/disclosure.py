"""What staff see of a workshop's registrants: only what their job needs.

- Age band and gender are asked for statistics only: no staff page or export shows them
  for a person, whoever looks. The reach dashboard counts them.
- The workshop's organiser, coordinators and admins (those who may edit the workshop) see
  every registration, cancelled ones included, with the full phone and email: they call
  people when a workshop moves or is cancelled, register people on their behalf, and
  answer "was I registered?".
- A facilitator of the workshop sees names and the last three digits of each phone: enough
  to tell two people of the same name apart, or to check a number someone reads out, not
  to call them. No email, no home neighbourhood. They see the registrations that hold a
  place and the waiting list, never cancelled ones: at the door the facilitator marks
  waiting-list people who came anyway present, and lets them take the places of people who
  did not come, in their waiting-list order, so the order and the names are part of the
  job. Someone who cancelled is nobody the facilitator has to expect.
- Coordinators also get a way to each resident, to correct or erase her data when she
  asks: the only way to someone registered without a phone.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workshops.accounts.models import Role, User
from workshops.catalogue.models import Workshop
from workshops.catalogue.services import can_edit
from workshops.extensions import db
from workshops.places.models import Neighbourhood
from workshops.registrations.models import (
    Channel,
    Registration,
    RegistrationStatus,
    Resident,
)
from workshops.registrations.phones import display_phone, masked_phone

_ORDER = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.WAITLISTED: 1,
          RegistrationStatus.CANCELLED: 2}


def name_for_staff(registration: Registration) -> str:
    """The name typed for this registration, else the resident's. Someone who signed up by
    SMS has no name until she texts one: staff see how she came and the last three digits
    of her phone ("SMS ···678"), never the words kept for an erased resident."""
    if registration.display_name:
        return registration.display_name
    resident = registration.resident
    if resident.erased_at is not None or not resident.phone:
        return _("(erased)")
    last_digits = "···" + masked_phone(resident.phone)[-3:]
    if registration.channel == Channel.SMS:
        return _("SMS %(digits)s", digits=last_digits)
    return _("No name given, phone %(digits)s", digits=last_digits)


def sees_contact_details(user: User, workshop: Workshop) -> bool:
    """Full phones and emails, and cancelled registrations: the organiser of `workshop`,
    coordinators and admins."""
    return can_edit(user, workshop)


@dataclass(frozen=True)
class Registrant:
    """One registration as a member of staff may see it. Fields this viewer may not see
    are None, so no template or export can show them by mistake."""

    registration_id: int
    status: RegistrationStatus
    position: int | None  # on the waiting list
    name: str  # see name_for_staff
    recorded_name: str  # the resident's own name when it differs from `name`, else ""
    phone: str  # full or masked; "" when there is none
    channel: Channel
    created_at: datetime
    email: str | None
    home_neighbourhood: Neighbourhood | None
    lives_outside_barcelona: bool | None
    # For coordinators, who correct and erase a resident's data when she asks; None for
    # anyone else, and once she is erased.
    resident_id: int | None = None


def registrants(workshop: Workshop, viewer: User) -> list[Registrant]:
    """Confirmed first (by date), then the waiting list in its order, then cancelled; each
    with what `viewer` may see of them (see the module's doc)."""
    full = sees_contact_details(viewer, workshop)
    corrects = viewer.has_role(Role.COORDINATOR)
    rows = db.session.scalars(
        select(Registration).where(Registration.workshop_id == workshop.id)
        .options(selectinload(Registration.resident).selectinload(Resident.home_neighbourhood))
    ).all()
    result = []
    position = 0
    for registration in sorted(rows, key=lambda r: (_ORDER[r.status], r.queued_at, r.id)):
        if registration.status == RegistrationStatus.WAITLISTED:
            position += 1
        if registration.status == RegistrationStatus.CANCELLED and not full:
            continue
        resident = registration.resident
        result.append(Registrant(
            registration_id=registration.id, status=registration.status,
            position=position if registration.status == RegistrationStatus.WAITLISTED
            else None,
            name=name_for_staff(registration), recorded_name=registration.recorded_name,
            phone=display_phone(resident.phone) if full else masked_phone(resident.phone),
            channel=registration.channel, created_at=registration.created_at,
            email=resident.email if full else None,
            home_neighbourhood=resident.home_neighbourhood if full else None,
            lives_outside_barcelona=resident.lives_outside_barcelona if full else None,
            resident_id=resident.id if corrects and resident.erased_at is None else None))
    return result
