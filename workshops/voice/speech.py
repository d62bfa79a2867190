"""Saying things aloud: the Twilio voice for each language, and days and times as people
say them ("dijous, 3 de desembre, a les sis de la tarda"; "Thursday, 3 December, at 6 pm").

Days come from Babel's full date format without the year; the clock has no spoken form in
Babel, so hours and the parts of the day are a small table translated like every other
text. Call these inside `force_locale(language)`.
"""

import re
from datetime import datetime
from functools import cache

from babel import Locale
from babel.dates import format_date
from flask_babel import lazy_pgettext, ngettext, pgettext

from workshops.clock import LOCAL_TIME_ZONE

# Twilio's <Say> language and a natural voice for it (Amazon Polly, offered by Twilio).
VOICES = {
    "ca": ("ca-ES", "Polly.Arlet-Neural"),
    "es": ("es-ES", "Polly.Lucia-Neural"),
    "en": ("en-GB", "Polly.Amy-Neural"),
}
DATE_LOCALES = {"ca": "ca_ES", "es": "es_ES", "en": "en_GB"}

# The hours of the clock as said aloud: "a les sis", "a las seis", "at 6".
HOURS = (
    lazy_pgettext("hour of the clock, said aloud", "1"),
    lazy_pgettext("hour of the clock, said aloud", "2"),
    lazy_pgettext("hour of the clock, said aloud", "3"),
    lazy_pgettext("hour of the clock, said aloud", "4"),
    lazy_pgettext("hour of the clock, said aloud", "5"),
    lazy_pgettext("hour of the clock, said aloud", "6"),
    lazy_pgettext("hour of the clock, said aloud", "7"),
    lazy_pgettext("hour of the clock, said aloud", "8"),
    lazy_pgettext("hour of the clock, said aloud", "9"),
    lazy_pgettext("hour of the clock, said aloud", "10"),
    lazy_pgettext("hour of the clock, said aloud", "11"),
    lazy_pgettext("hour of the clock, said aloud", "12"),
)


def _part_of_day(hour: int) -> str:
    if hour < 6:
        return pgettext("part of the day: small hours", "am")
    if hour < 12:
        return pgettext("part of the day: morning", "am")
    if hour < 14:
        return pgettext("part of the day: midday", "pm")
    if hour < 20:
        return pgettext("part of the day: afternoon", "pm")
    return pgettext("part of the day: evening", "pm")


@cache
def _day_pattern(language: str) -> str:
    """The language's full date format without its year: "EEEE, d 'de' MMMM"."""
    pattern = Locale.parse(DATE_LOCALES[language]).date_formats["full"].pattern
    return re.sub(r"[\s,]*('[^']*'\s*)?y+[\s,]*$", "", pattern)


def spoken_day(instant: datetime, language: str) -> str:
    """The day, to begin a sentence with: "Divendres, 4 de desembre"."""
    day = format_date(instant.astimezone(LOCAL_TIME_ZONE).date(), _day_pattern(language),
                      locale=DATE_LOCALES[language])
    return day[:1].upper() + day[1:]


def spoken_time(instant: datetime) -> str:
    local = instant.astimezone(LOCAL_TIME_ZONE)
    on_the_clock = local.hour % 12 or 12
    values = {"hour": str(HOURS[on_the_clock - 1]), "period": _part_of_day(local.hour)}
    if local.minute == 0:
        return ngettext("at %(hour)s %(period)s", "at %(hour)s %(period)s", on_the_clock,
                        **values)
    return ngettext("at %(hour)s:%(minutes)s %(period)s", "at %(hour)s:%(minutes)s %(period)s",
                    on_the_clock, minutes=str(local.minute).zfill(2), **values)


def spoken_code(code: str) -> str:
    """A workshop code digit by digit ("1 2 3"), as it is keyed or texted."""
    return " ".join(code)
