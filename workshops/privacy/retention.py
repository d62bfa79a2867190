"""Nothing personal is kept for ever: each kind of data has a period, and `purge` removes
what is past it. The periods come from the configuration (workshops.config), which the
privacy page reads too, so the page and the purge never disagree.

- Text messages, both directions (bodies, numbers, replies, links, provider ids):
  deleted SMS_RETENTION_DAYS after they were received or queued.
- Calls to the voice line (number, steps) and call-back requests: deleted
  SMS_RETENTION_DAYS after the call or the request.
- Personal links (/r/<token>) to registrations whose workshop ended more than
  RESIDENT_RETENTION_MONTHS ago: deleted, so a page about a place long past opens no more.
- Residents with no activity for RESIDENT_RETENTION_MONTHS: anonymised exactly as an
  erasure does (workshops.registrations.erasure), so every figure stays the same.
  Activity is a registration (made, moved up, cancelled, or its workshop not yet over),
  an attendance mark, or a text message from her phone (`Resident.last_message_at`, which
  outlives the SMS log).
- Attempt-limit records: deleted once older than any limit's window (at least a day).
- Codes that prove a phone for "My workshops": deleted a day after they were asked for
  (they are valid for minutes).
- The audit log: events older than AUDIT_RETENTION_DAYS are deleted.

Services take `now=`; nothing here commits. `purge(dry_run=True)` counts and changes
nothing.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select

from workshops import ratelimit
from workshops.attendance.models import Attendance
from workshops.audit.services import expired_audit_events, purge_audit_events
from workshops.catalogue.models import Workshop
from workshops.extensions import db
from workshops.my import codes
from workshops.notifications import services as notifications
from workshops.registrations.erasure import erase_residents
from workshops.registrations.models import Registration, RegistrationStatus, Resident
from workshops.registrations.services import (
    delete_links_of_workshops_ended_before,
    links_of_workshops_ended_before,
)
from workshops.sms import forget as sms
from workshops.voice import forget as voice

BATCH = 500
PURGE_EVERY = timedelta(days=1)
ATTEMPTS_KEPT_AT_LEAST = timedelta(days=1)
PHONE_CODES_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Outcome:
    kind: str
    description: str
    count: int
    action: str  # "deleted" or "anonymised"


def sms_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=current_app.config["SMS_RETENTION_DAYS"])


def resident_cutoff(now: datetime) -> datetime:
    return months_before(now, current_app.config["RESIDENT_RETENTION_MONTHS"])


def attempts_cutoff(now: datetime) -> datetime:
    config = current_app.config
    windows = [timedelta(seconds=config[key]) for key in
               ("LOGIN_LIMIT_WINDOW_SECONDS", "REGISTRATION_LIMIT_WINDOW_SECONDS")]
    return now - max(ATTEMPTS_KEPT_AT_LEAST, *windows)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    that month is shorter: 31 March minus one month is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def inactive_residents(now: datetime):
    """Residents not yet erased with no activity since the cutoff (a select of Resident)."""
    cutoff = resident_cutoff(now)
    recent_registration = exists().where(
        Registration.resident_id == Resident.id,
        or_(Registration.created_at >= cutoff, Registration.queued_at >= cutoff,
            Registration.confirmed_at >= cutoff, Registration.cancelled_at >= cutoff,
            and_(Registration.status != RegistrationStatus.CANCELLED,
                 exists().where(Workshop.id == Registration.workshop_id,
                                Workshop.last_session_ends_at >= cutoff))))
    recent_mark = exists().where(
        Attendance.registration_id == Registration.id,
        Registration.resident_id == Resident.id,
        or_(Attendance.marked_at >= cutoff, Attendance.recorded_at >= cutoff))
    return select(Resident).where(
        Resident.erased_at.is_(None),
        Resident.created_at < cutoff,
        or_(Resident.last_message_at.is_(None), Resident.last_message_at < cutoff),
        ~recent_registration, ~recent_mark,
    ).order_by(Resident.id)


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def _anonymise_inactive(now: datetime) -> int:
    erased = 0
    # SKIP LOCKED: two workers purging at once share the work instead of waiting.
    query = inactive_residents(now).limit(BATCH).with_for_update(skip_locked=True)
    while batch := db.session.scalars(query).all():
        erased += erase_residents(batch, now=now)
    return erased


@dataclass(frozen=True)
class Kind:
    """One kind of data with a retention period: how to count and how to remove what is
    past it at `now`."""

    key: str
    description: str
    action: str
    count: Callable[[datetime], int]
    remove: Callable[[datetime], int]


def kinds() -> list[Kind]:
    """In the order the purge applies them: the SMS log and the links before the residents,
    so a dry run counts the same messages and links as the purge deletes (anonymising also
    deletes messages and links)."""
    config = current_app.config
    days, months = config["SMS_RETENTION_DAYS"], config["RESIDENT_RETENTION_MONTHS"]
    audit_days = config["AUDIT_RETENTION_DAYS"]
    return [
        Kind("sms-received", f"text messages received more than {days} days ago", "deleted",
             lambda now: sms.count_received_before(sms_cutoff(now)),
             lambda now: sms.delete_received_before(sms_cutoff(now))),
        Kind("sms-sent", f"text messages sent more than {days} days ago", "deleted",
             lambda now: notifications.count_sent_before(sms_cutoff(now)),
             lambda now: notifications.delete_sent_before(sms_cutoff(now))),
        Kind("voice-calls", f"phone calls and call-back requests older than {days} days",
             "deleted",
             lambda now: voice.count_before(sms_cutoff(now)),
             lambda now: voice.delete_before(sms_cutoff(now))),
        Kind("manage-links", f"personal links to workshops over for {months} months",
             "deleted",
             lambda now: _count(links_of_workshops_ended_before(resident_cutoff(now))),
             lambda now: delete_links_of_workshops_ended_before(resident_cutoff(now))),
        Kind("residents", f"residents with no activity for {months} months", "anonymised",
             lambda now: _count(inactive_residents(now)), _anonymise_inactive),
        Kind("attempt-limits", "attempt-limit records past every window", "deleted",
             lambda now: _count(ratelimit.hits_before(attempts_cutoff(now))),
             lambda now: ratelimit.delete_hits_before(attempts_cutoff(now))),
        Kind("phone-codes", "codes for My workshops asked for more than a day ago", "deleted",
             lambda now: _count(codes.codes_before(now - PHONE_CODES_KEPT)),
             lambda now: codes.delete_codes_before(now - PHONE_CODES_KEPT)),
        Kind("audit-events", f"audit events older than {audit_days} days", "deleted",
             lambda now: expired_audit_events(now=now),
             lambda now: purge_audit_events(now=now)),
    ]


def purge(*, now: datetime, dry_run: bool = False) -> list[Outcome]:
    """Remove (or with dry_run only count) everything past its retention period."""
    outcomes = []
    for kind in kinds():
        count = kind.count(now) if dry_run else kind.remove(now)
        outcomes.append(Outcome(kind.key, kind.description, count, kind.action))
    db.session.flush()
    return outcomes


def purge_if_due(last_run: datetime | None, *, now: datetime) -> bool:
    """For a long-running loop (the SMS worker): whether a day has passed since `last_run`."""
    return last_run is None or now - last_run >= PURGE_EVERY
