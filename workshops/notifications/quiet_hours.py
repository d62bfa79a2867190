"""Quiet hours: a text nobody is waiting for is not sent at night.

Only between SMS_SENDING_HOURS (9:00 to 21:00 by default) in Barcelona. A text the
resident is waiting for, because she has just done or asked for something (a code, the
confirmation of her sign-up, her personal link), goes at once, whatever the hour."""

from datetime import UTC, datetime, time, timedelta

from flask import current_app

from workshops.clock import LOCAL_TIME_ZONE
from workshops.notifications.models import MessageKind

SENT_AT_ONCE = frozenset({MessageKind.PHONE_CODE, MessageKind.REGISTRATION_CONFIRMED,
                          MessageKind.WAITLISTED, MessageKind.MANAGE_LINK,
                          MessageKind.INTRODUCTION})


def may_wait(kind: MessageKind) -> bool:
    return kind not in SENT_AT_ONCE


def is_quiet(instant: datetime) -> bool:
    first, last = current_app.config["SMS_SENDING_HOURS"]
    return not first <= instant.astimezone(LOCAL_TIME_ZONE).hour < last


def sending_time(kind: MessageKind, instant: datetime) -> datetime:
    """`instant`, or for a text that may wait, the next opening when `instant` is in the
    quiet hours (9:00 local, today or tomorrow)."""
    if not may_wait(kind) or not is_quiet(instant):
        return instant
    first, _last = current_app.config["SMS_SENDING_HOURS"]
    local = instant.astimezone(LOCAL_TIME_ZONE)
    day = local.date() if local.hour < first else local.date() + timedelta(days=1)
    return datetime.combine(day, time(first), tzinfo=LOCAL_TIME_ZONE).astimezone(UTC)
