"""Erasing a resident on request (GDPR art. 17), and when her data's time is up.

Her name, phone and email go, and so does every text message to or from her: erasure
sends `residents_erased`, and the outbox, the SMS log and My workshops' codes forget her.
What remains is anonymous and keeps the statistics true: the resident row (only the coarse
home neighbourhood, age band and gender given for statistics) and her registrations and
attendance marks stay, no longer linked to anyone identifiable, so every published figure
is the same as before. Upcoming places are
cancelled, so the waiting list moves on; her personal links are deleted, so none works.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select

from workshops import ratelimit
from workshops.extensions import db
from workshops.registrations.models import (
    ManageLink,
    Registration,
    RegistrationStatus,
    Resident,
)
from workshops.registrations.services import cancel
from workshops.registrations.signals import residents_erased

# The attempt-limit scope keyed by a resident's phone (see registrations.views).
PHONE_LIMIT_SCOPE = "register-phone"


def resident_by_phone(e164: str) -> Resident | None:
    return db.session.scalar(select(Resident).where(Resident.phone == e164))


def erase_resident(resident: Resident, *, now: datetime) -> None:
    erase_residents([resident], now=now)


def erase_residents(residents: Iterable[Resident], *, now: datetime) -> int:
    """Erase each of `residents` (the retention purge erases many at once). Returns how
    many were erased."""
    residents = list(residents)
    phones = [resident.phone for resident in residents if resident.phone]
    for resident in residents:
        _cancel_upcoming(resident, now)
        for registration in db.session.scalars(select(Registration).where(
                Registration.resident_id == resident.id)):
            registration.submission_key = ""
            registration.name_given = ""  # typed with her phone: her name, or one used with it
        _delete_links(resident)  # her links stop working
    residents_erased.send(resident_ids=[resident.id for resident in residents], phones=phones)
    for phone in phones:
        ratelimit.clear(PHONE_LIMIT_SCOPE, phone)
    for resident in residents:
        resident.name = ""
        resident.phone = None
        resident.phone_takes_sms = False
        resident.email = ""
        resident.sms_consent = False
        resident.sms_consent_at = None
        resident.sms_opted_out = False  # nothing can be sent without a phone anyway
        resident.last_message_at = None
        resident.erased_at = now
    db.session.flush()
    return len(residents)


def _delete_links(resident: Resident) -> int:
    """Delete every personal link to `resident`'s registrations; returns how many."""
    return db.session.execute(delete(ManageLink).where(
        ManageLink.registration_id.in_(
            select(Registration.id).where(Registration.resident_id == resident.id)))
    ).rowcount


def _cancel_upcoming(resident: Resident, now: datetime) -> None:
    upcoming = db.session.scalars(select(Registration).where(
        Registration.resident_id == resident.id,
        Registration.status != RegistrationStatus.CANCELLED)).all()
    for registration in upcoming:
        if not registration.workshop.is_over(now):
            cancel(registration, now=now)
