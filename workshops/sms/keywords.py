"""The words residents text, per language. Posters and pages show the register keyword."""

import phonenumbers
from flask import current_app

REGISTER_KEYWORDS = {"ca": "ALTA", "es": "INSCRIBIR", "en": "JOIN"}


def register_instruction(code: str, language: str) -> str:
    """What to text to sign up for the workshop with `code`, e.g. "ALTA 123"."""
    return f"{REGISTER_KEYWORDS.get(language, REGISTER_KEYWORDS['ca'])} {code}"


def public_sms_number() -> str:
    """The programme's SMS number for people to read (+34 612 34 56 78), or "" if unset."""
    raw = current_app.config.get("TWILIO_FROM_NUMBER", "")
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "ES")
    except phonenumbers.NumberParseException:
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
