"""Participation certificates: who may have one, its verification code, and what /verify
shows of it.

A resident who attended at least CERTIFICATE_MIN_ATTENDANCE of a workshop's sessions gets
one from its last session on. The code is made the first time the certificate is printed
and is the same on every copy after. Erasure deletes her certificates: their codes then
verify nothing.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from flask import current_app
from flask_babel import format_percent
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from workshops.attendance.models import Attendance
from workshops.catalogue.models import Workshop, WorkshopStatus
from workshops.extensions import db
from workshops.outcomes.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Certificate,
    new_certificate_code,
)
from workshops.registrations.models import Registration, RegistrationStatus
from workshops.registrations.signals import residents_erased
from workshops.services import DomainError


class CertificateError(DomainError):
    messages = {
        "not_enough": _l(
            "A certificate is for people who attended at least %(share)s of the workshop's "
            "sessions. You attended %(attended)s of %(sessions)s."),
        "not_yet": _l("The certificate is ready from the workshop's last session."),
        "no_place": _l("There is no certificate for a place that was cancelled or a "
                       "workshop that did not take place."),
        "no_name": _l("A certificate needs your name, and we do not have it. Add it to your "
                      "details in My workshops, or ask the facilitator."),
    }

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.values = values

    @property
    def message(self) -> str:
        return str(self.messages[self.code]) % self.values


@dataclass(frozen=True)
class Attended:
    present: int
    sessions: int

    @property
    def share(self) -> Fraction:
        return Fraction(self.present, self.sessions) if self.sessions else Fraction(0)


def minimum_share() -> Fraction:
    return Fraction(str(current_app.config["CERTIFICATE_MIN_ATTENDANCE"]))


def attended(registration: Registration) -> Attended:
    present = db.session.scalar(select(func.count()).select_from(Attendance).where(
        Attendance.registration_id == registration.id, Attendance.present.is_(True)))
    return Attended(present, len(registration.workshop.sessions))


def check(registration: Registration, *, now: datetime) -> Attended:
    """What she attended, when it earns a certificate now; else CertificateError."""
    workshop = registration.workshop
    if (registration.status != RegistrationStatus.CONFIRMED
            or workshop.status != WorkshopStatus.PUBLISHED or not workshop.sessions):
        raise CertificateError("no_place")
    if workshop.sessions[-1].starts_at > now:
        raise CertificateError("not_yet")
    counted = attended(registration)
    if counted.share < minimum_share():
        raise CertificateError(
            "not_enough", share=format_percent(float(minimum_share())),
            attended=counted.present, sessions=counted.sessions)
    if not registration.display_name.strip():
        raise CertificateError("no_name")
    return counted


def is_available(registration: Registration, *, now: datetime) -> bool:
    try:
        check(registration, now=now)
    except CertificateError:
        return False
    return True


def certificate_for(registration: Registration, *, now: datetime) -> Certificate:
    """Her certificate for `registration`, made the first time (CertificateError when she
    may not have one)."""
    check(registration, now=now)
    existing = db.session.scalar(select(Certificate).where(
        Certificate.registration_id == registration.id))
    if existing is not None:
        return existing
    while True:
        try:
            with db.session.begin_nested():
                certificate = Certificate(registration_id=registration.id,
                                          code=new_certificate_code(), issued_at=now)
                db.session.add(certificate)
            return certificate
        except IntegrityError:  # the same code twice (1 in 2^49), or a print a moment ago
            existing = db.session.scalar(select(Certificate).where(
                Certificate.registration_id == registration.id))
            if existing is not None:
                return existing


def normalised_code(typed: str) -> str | None:
    """"abcde-23456", " ABCDE 23456 " → "ABCDE23456"; None when it cannot be a code."""
    code = "".join(c for c in typed.upper() if c not in " -")
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def by_code(typed: str) -> Certificate | None:
    code = normalised_code(typed)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def initials(name: str) -> str:
    """"Maria del Mar García" → "M. D. M. G.": what /verify shows of the name."""
    return " ".join(f"{word[0].upper()}." for word in name.split() if word[0].isalnum())


def latest_available(registrations: Collection[Registration], *,
                     now: datetime) -> Registration | None:
    """Of her registrations, the one whose workshop ended last that earns a certificate."""
    finished = sorted((r for r in registrations if r.workshop.last_session_ends_at),
                      key=lambda r: r.workshop.last_session_ends_at, reverse=True)
    return next((r for r in finished if is_available(r, now=now)), None)


def registrations_of_workshop(workshop: Workshop) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(
        Registration.workshop_id == workshop.id,
        Registration.status == RegistrationStatus.CONFIRMED).order_by(Registration.id)))


@residents_erased.connect
def _forget_certificates(_sender, *, resident_ids: Collection[int], phones) -> None:
    db.session.execute(delete(Certificate).where(Certificate.registration_id.in_(
        select(Registration.id).where(Registration.resident_id.in_(list(resident_ids))))))
