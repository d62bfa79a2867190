"""Erasing a resident on request (GDPR art. 17).

Name, phone and email go. What remains is anonymous and keeps the statistics true: the
registrations and attendance rows (with the coarse home neighbourhood, age band and
gender given for statistics) stay, no longer linked to anyone identifiable. Upcoming
places are cancelled, so the waiting list moves on.
"""

from datetime import datetime

from sqlalchemy import delete, select

from workshops.extensions import db
from workshops.registrations.models import (
    Registration,
    RegistrationStatus,
    Resident,
    new_manage_token,
)
from workshops.registrations.services import cancel
from workshops.sms.models import OutboxMessage, OutboxStatus


def resident_by_phone(e164: str) -> Resident | None:
    return db.session.scalar(select(Resident).where(Resident.phone == e164))


def erase_resident(resident: Resident, *, now: datetime) -> None:
    upcoming = db.session.scalars(select(Registration).where(
        Registration.resident_id == resident.id,
        Registration.status != RegistrationStatus.CANCELLED)).all()
    for registration in upcoming:
        if not registration.workshop.is_over(now):
            cancel(registration, now=now)
    for registration in db.session.scalars(select(Registration).where(
            Registration.resident_id == resident.id)):
        registration.submission_key = ""
        registration.name_given = ""  # typed for her phone: her name, or a name used with it
        registration.manage_token = new_manage_token()  # old links stop working
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.resident_id == resident.id,
        OutboxMessage.status == OutboxStatus.PENDING))
    resident.name = ""
    resident.phone = None
    resident.phone_takes_sms = False
    resident.email = ""
    resident.sms_consent = False
    resident.sms_consent_at = None
    resident.erased_at = now
    db.session.flush()
