"""A coordinator correcting what is stored about a resident, when she asks. Only a
proven channel changes a resident's details: her phone, a session she proved, or a
coordinator, and a coordinator's correction is audited.

Her phone and her SMS consent are not corrected here: only her phone changes those (SMS
STOP / START). Each registration keeps the name typed for it (`name_given`). The reach
facts follow a change of home on the same flush (workshops.reach.facts).
"""

import enum
from dataclasses import dataclass
from datetime import datetime

from workshops.accounts.models import User
from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.extensions import db
from workshops.places.models import Neighbourhood
from workshops.registrations.models import AgeBand, Gender, Resident
from workshops.registrations.services import RegistrationError


class Unchanged(enum.Enum):
    """What a coordinator leaves as it is without seeing it (age band, gender)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass
class Correction:
    """Her details as they should be stored."""

    name: str
    email: str
    home_neighbourhood: Neighbourhood | None
    lives_outside_barcelona: bool
    preferred_language: str
    age_band: AgeBand | None | Unchanged = UNCHANGED
    gender: Gender | Unchanged = UNCHANGED


def correct_resident(resident: Resident, correction: Correction, *, by: User,
                     now: datetime) -> list[str]:
    """Store `correction` for `resident` and record who did it (never what: the audit log
    holds no personal data). Returns the names of the fields that changed; when none did,
    nothing is recorded."""
    changed = apply_correction(resident, correction)
    if changed:
        audit.record(by, AuditAction.RESIDENT_CORRECTED, resident, now=now)
    return changed


def apply_correction(resident: Resident, correction: Correction) -> list[str]:
    """Store `correction` for `resident`, from a channel that may change her record (a
    coordinator, or a session in which she proved her phone). Returns the fields changed."""
    if resident.erased_at is not None:
        raise RegistrationError("resident_erased")
    wanted = {
        "name": correction.name.strip(),
        "email": correction.email.strip(),
        "home_neighbourhood_id": (correction.home_neighbourhood.id
                                  if correction.home_neighbourhood is not None else None),
        "lives_outside_barcelona": (correction.lives_outside_barcelona
                                    and correction.home_neighbourhood is None),
        "preferred_language": correction.preferred_language,
    }
    if correction.age_band is not UNCHANGED:
        wanted["age_band"] = correction.age_band
    if correction.gender is not UNCHANGED:
        wanted["gender"] = correction.gender
    changed = [field for field, value in wanted.items() if getattr(resident, field) != value]
    for field in changed:
        if field == "home_neighbourhood_id":
            resident.home_neighbourhood = correction.home_neighbourhood
        else:
            setattr(resident, field, wanted[field])
    db.session.flush()
    return changed
