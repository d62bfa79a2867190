"""The words residents text, per language. Posters and pages show the register keyword."""

import phonenumbers
from flask import current_app

from workshops.i18n import default_language

# Words listed here say nothing about the resident's language.
ANY_LANGUAGE = "*"
# Every word residents may text, by action then language; texts and pages show the first
# of a language's words. A language with no words for an action shows the default
# language's (else the words for any language). A word listed twice means what it means
# first: for any language before a language, else the earlier action and language.
KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "register": {"ca": ("ALTA", "APUNTA"), "es": ("INSCRIBIR", "APUNTAR"), "en": ("JOIN",)},
    "cancel": {"ca": ("BAIXA",), "es": ("BAJA",), "en": ("LEAVE",)},
    "find": {"ca": ("TALLERS",), "es": ("TALLERES",), "en": ("WORKSHOPS",)},
    "mine": {"ca": ("MEVES",), "es": ("MIS",), "en": ("MINE",)},
    "help": {"ca": ("AJUDA",), "es": ("AYUDA",), "en": ("HELP",), ANY_LANGUAGE: ("INFO",)},
    "name": {"ca": ("NOM",), "es": ("NOMBRE",), "en": ("NAME",)},
    "area": {"ca": ("BARRI",), "es": ("BARRIO",), "en": ("AREA",)},
    "stop": {ANY_LANGUAGE: ("STOP",)},
    "start": {"ca": ("ALTA",), "es": ("ALTA",), "en": ("START",), ANY_LANGUAGE: ("START",)},
    "certificate": {"ca": ("CERTIFICAT",), "es": ("CERTIFICADO",), "en": ("CERTIFICATE",)},
    # Answers to the follow-up question (workshops.outcomes), besides its numbers 1, 2, 3:
    # only a whole message counts, and it never changes the resident's language.
    "answer-yes": {ANY_LANGUAGE: ("SI",), "en": ("YES",)},
    "answer-partly": {"ca": ("EN PART",), "es": ("EN PARTE",), "en": ("PARTLY",)},
    "answer-not-yet": {"ca": ("ENCARA NO",), "es": ("TODAVIA NO", "AUN NO"),
                       "en": ("NOT YET",), ANY_LANGUAGE: ("NO",)},
}


def keyword(action: str, language: str) -> str:
    """The word to show for `action` to someone reading `language`."""
    words = KEYWORDS[action]
    return (words.get(language) or words.get(default_language()) or words[ANY_LANGUAGE])[0]


def actions_by_word() -> dict[str, tuple[str, str | None]]:
    """Each word residents may text → (action, language of the word, None for any)."""
    found: dict[str, tuple[str, str | None]] = {}
    for action, by_language in KEYWORDS.items():
        for word in by_language.get(ANY_LANGUAGE, ()):
            found.setdefault(word, (action, None))
    for action, by_language in KEYWORDS.items():
        for language, words in by_language.items():
            if language != ANY_LANGUAGE:
                for word in words:
                    found.setdefault(word, (action, language))
    return found


def register_instruction(code: str, language: str) -> str:
    """What to text to sign up for the workshop with `code`, e.g. "ALTA 123"."""
    return f"{keyword('register', language)} {code}"


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
