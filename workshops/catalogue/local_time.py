"""Turning dates and times entered in Barcelona into UTC instants, and weekly series."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
