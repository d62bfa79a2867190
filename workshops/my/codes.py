"""One-time codes that prove a phone: minted when sent, stored only as keyed hashes."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from workshops.extensions import db
from workshops.my.models import PhoneCode
from workshops.registrations.signals import residents_erased

CODE_DIGITS = 6


def _keyed_hash(*parts: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def phone_key(e164: str) -> str:
    return _keyed_hash("phone", e164)


def _code_hash(phone_code: PhoneCode, code: str) -> str:
    return _keyed_hash("code", str(phone_code.id), code)


def mint(phone_code: PhoneCode, *, now: datetime) -> str:
    """A fresh code for `phone_code`, valid from now: the only moment it exists in clear.
    Called by the SMS worker as it sends the message (a retry sends a new code)."""
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    phone_code.code_hash = _code_hash(phone_code, code)
    phone_code.sent_at = now
    phone_code.expires_at = now + timedelta(
        minutes=current_app.config["MY_WORKSHOPS_CODE_MINUTES"])
    return code


def matches(phone_code: PhoneCode, code: str) -> bool:
    return bool(phone_code.code_hash) and hmac.compare_digest(
        phone_code.code_hash, _code_hash(phone_code, code))


def latest_code(key: str) -> PhoneCode | None:
    return db.session.scalar(select(PhoneCode).where(PhoneCode.phone_key == key)
                             .order_by(PhoneCode.requested_at.desc(), PhoneCode.id.desc())
                             .limit(1))


def codes_before(moment: datetime):
    return select(PhoneCode).where(PhoneCode.requested_at < moment)


def delete_codes_before(moment: datetime) -> int:
    return db.session.execute(delete(PhoneCode).where(PhoneCode.requested_at < moment)).rowcount


@residents_erased.connect
def _forget_codes(_sender, *, resident_ids: list[int], phones: list[str]) -> None:
    """An erased resident's codes go: their phone key is a hash of her number."""
    db.session.execute(delete(PhoneCode).where(PhoneCode.resident_id.in_(resident_ids)))
