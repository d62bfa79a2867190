"""Turning dates and times entered in Barcelona into UTC instants, weekly series, and
showing them in the page's language."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    format_time,
    get_datetime_format,
)
from flask_babel import get_locale

MADRID = ZoneInfo("Europe/Madrid")
MAX_SERIES_LENGTH = 52


class NonexistentLocalTime(ValueError):
    """The wall-clock time is skipped when clocks go forward (e.g. 02:30 on 29 March)."""


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


def local_to_utc(day: date, clock: time) -> datetime:
    local = datetime.combine(day, clock, tzinfo=MADRID)
    # A time that does not exist locally does not survive a round trip through UTC.
    round_trip = local.astimezone(UTC).astimezone(MADRID)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(f"{day} {clock}")
    return local.astimezone(UTC)


def to_local(instant: datetime) -> datetime:
    return instant.astimezone(MADRID)


def slot(day: date, start: time, end: time) -> Slot:
    return Slot(local_to_utc(day, start), local_to_utc(day, end))


def weekly_dates(first_day: date, count: int, skip: set[date]) -> list[date]:
    """`count` dates a week apart from `first_day`; skipped dates push the series on."""
    days, day = [], first_day
    while len(days) < count:
        if day not in skip:
            days.append(day)
        day += timedelta(weeks=1)
    return days


def weekly_slots(first_day: date, start: time, end: time, count: int,
                 skip: set[date]) -> list[Slot]:
    return [slot(day, start, end) for day in weekly_dates(first_day, count, skip)]


# Dates as people read them, in the page's language, from Babel's (CLDR) patterns rather
# than hand-built ones: "dijous, 17 de desembre del 2026", "jueves, 17 de diciembre de
# 2026", "Thursday, December 17, 2026" (Catalan's "d’octubre" included).


def long_date(instant: datetime | date) -> str:
    """The full date: weekday, day, month and year."""
    return format_date(to_local(instant) if isinstance(instant, datetime) else instant,
                       "full", locale=get_locale())


def weekday_and_day(instant: datetime) -> str:
    """The full date without the year ("dijous, 17 de desembre"): CLDR's day-and-month
    pattern with the weekday written out, as its full date writes it."""
    locale = get_locale()
    pattern = re.sub(r"E+", "EEEE", locale.datetime_skeletons["MMMMEd"].pattern)
    return format_datetime(to_local(instant), pattern, locale=locale)


def weekday_day_and_time(instant: datetime) -> str:
    """"dijous, 17 de desembre, 18:00": the locale's way of joining a date and a time."""
    locale = get_locale()
    local = to_local(instant)
    joined = get_datetime_format("medium", locale=locale).replace("'", "")
    return (joined.replace("{0}", format_time(local, "short", locale=locale))
            .replace("{1}", weekday_and_day(instant)))


def month_and_year(day: date) -> str:
    """"desembre del 2026", "diciembre de 2026", "December 2026"."""
    return format_skeleton("yMMMM", day, locale=get_locale())
