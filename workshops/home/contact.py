"""Where residents turn with questions: the programme's phone and when it is answered."""

from dataclasses import dataclass
from datetime import date

from flask import current_app

from workshops.i18n import current_language

# The accessibility statement's dates (Royal Decree 1112/2018 asks for both): when it was
# prepared, and when it was last checked against the site. Change the second on each review.
ACCESSIBILITY_STATEMENT_PREPARED = date(2026, 12, 6)
ACCESSIBILITY_STATEMENT_REVIEWED = date(2026, 12, 6)


@dataclass(frozen=True)
class Contact:
    phone: str
    hours: str
    email: str

    @property
    def phone_link(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


def site_contact() -> Contact:
    config = current_app.config
    hours = config["CONTACT_HOURS"]
    return Contact(phone=config["CONTACT_PHONE"],
                   hours=hours.get(current_language()) or hours.get(config["LANGUAGES"][0], ""),
                   email=config["PRIVACY_CONTACT_EMAIL"])
