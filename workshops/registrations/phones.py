"""Phone numbers: stored in E.164, default region Spain; landlines kept but not texted."""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(ValueError):
    pass


@dataclass(frozen=True)
class Phone:
    e164: str
    takes_sms: bool


def parse_phone(text: str) -> Phone:
    """Accepts "612 34 56 78", "0034612345678", "+34 712 345 678", foreign numbers with +."""
    text = (text or "").strip()
    if not text or len(text) > 32:
        raise InvalidPhone(text)
    try:
        number = phonenumbers.parse(text, "ES")
    except phonenumbers.NumberParseException:
        raise InvalidPhone(text) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(text)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164, phonenumbers.number_type(number) in SMS_CAPABLE)


def display_phone(e164: str | None) -> str:
    """+34612345678 → "612 34 56 78"; foreign numbers keep their country code."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164)
    if number.country_code == 34:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def masked_phone(e164: str | None) -> str:
    """+34612345678 → "••• ••• 678": the last three digits only.

    Enough to tell two people of the same name apart, or to check a number someone reads
    out at the door; not enough to call or text them."""
    digits = [c for c in e164 or "" if c.isdigit()]
    return "••• ••• " + "".join(digits[-3:]) if digits else ""
