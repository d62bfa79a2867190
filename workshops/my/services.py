"""Proving a phone with a code, and what a resident who proved it may do herself.

Plain functions: they flush, the caller commits. One domain error, MyWorkshopsError.
"""

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from workshops.extensions import db
from workshops.my import codes
from workshops.my.signals import code_requested
from workshops.registrations.corrections import Correction, apply_correction
from workshops.registrations.erasure import resident_by_phone
from workshops.registrations.models import Registration, Resident
from workshops.registrations.phones import Phone
from workshops.registrations.services import set_sms_consent
from workshops.services import DomainError


class MyWorkshopsError(DomainError):
    messages = {
        "wrong_code": _l(
            "This code is not right, or it is no longer valid. Check the last SMS we sent "
            "you, or ask for a new code."),
        "not_hers": _l("This registration is not in your list."),
        "stopped_by_sms": _l(
            "You asked us by SMS not to send you any messages. To receive them again, send "
            "START from your phone."),
    }


def request_code(phone: Phone, *, now: datetime) -> None:
    """Queue a code for `phone` when it belongs to a resident whose phone we may text.

    Returns nothing either way: whoever typed the number learns nothing about whether it
    is known. A number that texted STOP gets nothing until it texts START."""
    resident = resident_by_phone(phone.e164)
    if resident is None or not resident.phone_takes_sms or resident.sms_opted_out:
        return
    phone_code = codes.PhoneCode(phone_key=codes.phone_key(phone.e164),
                                 resident_id=resident.id, requested_at=now, attempts=0,
                                 code_hash="")
    db.session.add(phone_code)
    db.session.flush()
    code_requested.send(resident, phone_code=phone_code, now=now)


def normalised_code(typed: str) -> str | None:
    """"123 456", "１２３４５６" → "123456"; None when it cannot be a code."""
    digits = "".join(typed.split())
    if len(digits) != codes.CODE_DIGITS or not digits.isdecimal():
        return None
    return "".join(str(int(digit)) for digit in digits)


def prove_phone(phone_key: str, typed: str, *, now: datetime) -> Resident:
    """The resident whose phone received `typed` as its latest code.

    Only the latest code counts, for its validity period and a few tries. A try is counted
    even when it fails, so the caller commits after MyWorkshopsError too."""
    phone_code = codes.latest_code(phone_key)
    if (phone_code is None or phone_code.used_at is not None
            or phone_code.expires_at is None or now >= phone_code.expires_at
            or phone_code.attempts >= current_app.config["MY_WORKSHOPS_CODE_TRIES"]):
        raise MyWorkshopsError("wrong_code")
    phone_code.attempts += 1
    code = normalised_code(typed)
    if code is None or not codes.matches(phone_code, code):
        db.session.flush()
        raise MyWorkshopsError("wrong_code")
    phone_code.used_at = now
    db.session.flush()
    return db.session.get(Resident, phone_code.resident_id)


def her_registration(resident: Resident, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.resident_id != resident.id:
        raise MyWorkshopsError("not_hers")
    return registration


def change_own_details(resident: Resident, details: Correction) -> None:
    """She proved her phone: what she writes replaces what is stored, empty answers
    included (she may take back her email, age or gender)."""
    apply_correction(resident, details)


def set_own_sms_consent(resident: Resident, consent: bool, *, now: datetime) -> None:
    """Her consent, from a session she proved. STOP sent by SMS wins: only START undoes it."""
    if consent and resident.sms_opted_out:
        raise MyWorkshopsError("stopped_by_sms")
    set_sms_consent(resident, consent, now=now)
