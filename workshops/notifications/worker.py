"""The outbox worker: renders due messages in each resident's language and sends them
through a transport.

Messages are claimed in one short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
two workers never take the same one), sent outside any transaction, and marked sent or
failed in another. A worker that dies mid-send leaves the claim to expire and the message
is sent later: never lost. Transient failures retry with exponential backoff; permanent
ones are marked failed with the reason.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from workshops import metrics
from workshops.catalogue.local_time import local_to_utc, to_local
from workshops.catalogue.models import Session, Workshop, WorkshopStatus
from workshops.database import write_transaction
from workshops.extensions import db
from workshops.my import codes
from workshops.my.models import PhoneCode
from workshops.notifications import quiet_hours, redaction, services, texts
from workshops.notifications.models import (
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    WorkerHeartbeat,
)
from workshops.notifications.transport import SendError, Transport
from workshops.outcomes import follow_ups
from workshops.registrations.models import Registration, RegistrationStatus, Resident
from workshops.registrations.services import waitlist_position

CLAIM_EXPIRES = timedelta(minutes=10)
MAX_ATTEMPTS = 8
# What the log keeps of a code: whoever reads it cannot use it.
HIDDEN_CODE = "••••••"
# A worker silent this long is gone (restarted under another pid): its heartbeat row goes.
HEARTBEAT_FORGOTTEN_AFTER = timedelta(days=1)

logger = logging.getLogger(__name__)


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    waiting: int = 0  # due in the quiet hours: put off to the morning


def _still_on(workshop: Workshop, now: datetime) -> bool:
    return workshop.status == WorkshopStatus.PUBLISHED and not workshop.is_over(now)


def render(message: OutboxMessage, now: datetime) -> str | None:
    """The text for `message`, or None when it no longer applies. A text that carries the
    personal link gets a new one, made now (see texts.manage_link)."""
    registration = db.session.get(Registration, message.registration_id)
    if registration is None:
        return None
    kind = message.kind
    if kind in (MessageKind.REGISTRATION_CONFIRMED, MessageKind.WAITLISTED,
                MessageKind.PROMOTED) and not _still_on(registration.workshop, now):
        return None  # cancelled or over since: its own message says so, or nothing
    if kind == MessageKind.REGISTRATION_CONFIRMED:
        if registration.status != RegistrationStatus.CONFIRMED:
            return None
        return texts.confirmed(registration, now)
    if kind == MessageKind.WAITLISTED:
        position = waitlist_position(registration)
        return texts.waitlisted(registration, now, position) if position else None
    if kind == MessageKind.PROMOTED:
        if registration.status != RegistrationStatus.CONFIRMED:
            return None
        return texts.promoted(registration, now)
    if kind == MessageKind.REMINDER:
        session = db.session.get(Session, message.params.get("session_id"))
        if (session is None or registration.status != RegistrationStatus.CONFIRMED
                or registration.workshop.status != WorkshopStatus.PUBLISHED
                or session.starts_at < now):
            return None
        return texts.reminder(registration, session, now)
    if kind == MessageKind.SCHEDULE_CHANGED:
        if registration.status == RegistrationStatus.CANCELLED or registration.workshop.is_over(
                now):
            return None
        return texts.schedule_changed(registration, now)
    if kind == MessageKind.WORKSHOP_CANCELLED:
        return texts.workshop_cancelled(registration, now, message.params.get("reason", ""))
    if kind == MessageKind.MANAGE_LINK:
        return texts.manage_link_text(registration, now)
    if kind in (MessageKind.FOLLOW_UP, MessageKind.FOLLOW_UP_AGAIN):
        follow_up = follow_ups.of_registration(registration.id)
        if follow_up is not None and follow_up.answer is not None:
            return None  # answered since
        return texts.follow_up_question(registration,
                                        again=kind == MessageKind.FOLLOW_UP_AGAIN)
    return None


def claim(now: datetime, batch: int = 20) -> list[int]:
    with write_transaction():
        due = or_(
            (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.send_after <= now),
            (OutboxMessage.status == OutboxStatus.SENDING)
            & (OutboxMessage.claimed_at < now - CLAIM_EXPIRES),
        )
        messages = db.session.scalars(
            select(OutboxMessage).where(due).order_by(OutboxMessage.send_after,
                                                      OutboxMessage.id)
            .limit(batch).with_for_update(skip_locked=True)).all()
        for message in messages:
            message.status = OutboxStatus.SENDING
            message.claimed_at = now
        ids = [m.id for m in messages]
        db.session.commit()
    return ids


def send_due(sender: Transport, *, now: datetime, batch: int = 20) -> Sent:
    result = Sent()
    for message_id in claim(now, batch):
        with write_transaction():
            # Locked while it is sent: an erasure deleting it waits, then deletes it sent.
            message = db.session.get(OutboxMessage, message_id, with_for_update=True,
                                     populate_existing=True)
            if message is not None:  # None: erased since it was claimed
                _send_one(sender, message, now, result)
            db.session.commit()
    return result


def _send_one(sender: Transport, message: OutboxMessage, now: datetime, result: Sent) -> None:
    if quiet_hours.sending_time(message.kind, now) > now:  # a retry that fell in the night
        message.status = OutboxStatus.PENDING
        message.send_after = quiet_hours.sending_time(message.kind, now)
        result.waiting += 1
        return
    resident = db.session.get(Resident, message.resident_id)
    text = _text(message, resident, now)
    if text is None:
        message.status = OutboxStatus.SKIPPED
        result.skipped += 1
        _record(message, "skipped")
        return
    body, stored = text
    # The text goes out with its link; what is kept of it has the token (and a code) cut
    # out. A send that fails keeps the link it made (a retry makes another): a timeout can
    # hide a text that did go out, and deleting its link would break it.
    message.body = redaction.without_link_tokens(stored)
    message.attempts += 1
    try:
        if _needs_introduction(resident):
            _introduce(sender, resident, now)
        message.provider_id = sender.send(resident.phone, body)
    except SendError as error:
        message.last_error = error.reason
        if error.permanent or message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED
            result.failed += 1
            _record(message, "failed")
        else:
            message.status = OutboxStatus.PENDING
            message.send_after = now + timedelta(minutes=2 ** message.attempts)
            result.retried += 1
            _record(message, "retried")
        return
    message.status = OutboxStatus.SENT
    message.sent_at = now
    if message.kind == MessageKind.FOLLOW_UP:
        follow_ups.mark_sent(message.registration_id, now=now)
    result.sent += 1
    _record(message, "sent")


def _record(message: OutboxMessage, result: str) -> None:
    """One log line and one count per message handled: its id and kind, never its text
    or number."""
    metrics.SMS_SENDS.labels(result=result).inc()
    logger.info("outbox message %s", result, extra={
        "outbox_id": message.id, "kind": str(message.kind), "attempts": message.attempts})


def beat(worker_name: str, *, now: datetime) -> None:
    """Record that this worker is alive (read by /readyz); forget long-silent workers."""
    db.session.execute(delete(WorkerHeartbeat).where(
        WorkerHeartbeat.beat_at < now - HEARTBEAT_FORGOTTEN_AFTER))
    heartbeat = db.session.get(WorkerHeartbeat, worker_name)
    if heartbeat is None:
        db.session.add(WorkerHeartbeat(worker=worker_name, beat_at=now))
    else:
        heartbeat.beat_at = now


def _text(message: OutboxMessage, resident: Resident | None,
          now: datetime) -> tuple[str, str] | None:
    """What to send and what to keep of it, checked again at sending time (consent
    withdrawn, registration muted, code superseded), or None when it no longer applies."""
    if message.kind == MessageKind.PHONE_CODE:
        return _phone_code_text(message, resident, now)
    registration = db.session.get(Registration, message.registration_id)
    if registration is None or not registration.can_receive_sms:
        return None
    body = render(message, now)
    return None if body is None else (body, body)


def _phone_code_text(message: OutboxMessage, resident: Resident | None,
                     now: datetime) -> tuple[str, str] | None:
    """The code is minted now, so it is valid from when it leaves; the log keeps the text
    without it."""
    phone_code = db.session.get(PhoneCode, message.params.get("phone_code_id"))
    if (resident is None or phone_code is None or phone_code.used_at is not None
            or not resident.phone or not resident.phone_takes_sms or resident.sms_opted_out):
        return None
    code = codes.mint(phone_code, now=now)
    return texts.phone_code(resident, code), texts.phone_code(resident, HIDDEN_CODE)


def _needs_introduction(resident: Resident) -> bool:
    """Her first text from us, and she has never texted us: someone else gave the number."""
    return resident.introduced_at is None and resident.last_message_at is None


def _introduce(sender: Transport, resident: Resident, now: datetime) -> None:
    body = texts.introduction(resident)
    provider_id = sender.send(resident.phone, body)
    db.session.add(OutboxMessage(
        kind=MessageKind.INTRODUCTION, resident_id=resident.id, registration_id=None,
        params={}, status=OutboxStatus.SENT, created_at=now, send_after=now, sent_at=now,
        attempts=1, provider_id=provider_id, body=body))
    resident.introduced_at = now


def schedule_reminders(*, now: datetime) -> int:
    """Queue a reminder for every confirmed place in a session that starts tomorrow.

    Idempotent: each reminder has a dedupe key (registration, session)."""
    tomorrow = to_local(now).date() + timedelta(days=1)
    start = local_to_utc(tomorrow, time.min)
    end = local_to_utc(tomorrow + timedelta(days=1), time.min)
    rows = db.session.execute(
        select(Registration, Session)
        .join(Workshop, Registration.workshop_id == Workshop.id)
        .join(Session, Session.workshop_id == Workshop.id)
        .where(Session.starts_at >= start, Session.starts_at < end,
               Workshop.status == WorkshopStatus.PUBLISHED,
               Registration.status == RegistrationStatus.CONFIRMED)
    ).all()
    queued = 0
    for registration, session in rows:
        key = f"reminder:{registration.id}:{session.id}"
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        try:
            with db.session.begin_nested():
                if services.notify(MessageKind.REMINDER, registration=registration, now=now,
                          dedupe_key=key, params={"session_id": session.id}):
                    queued += 1
        except IntegrityError:
            continue  # another worker queued it a moment ago
    return queued
