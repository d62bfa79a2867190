"""Asking for a notification, and forgetting them: the only way other domains touch the
outbox. Everything here runs inside the caller's transaction; nothing commits.

Registrations, the catalogue and My workshops do not call in: they send signals, and the
receivers at the end of this module turn them into notifications.
"""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select

from workshops.catalogue.models import Workshop
from workshops.catalogue.signals import schedule_changed, workshop_cancelled
from workshops.database import delete_where_in
from workshops.extensions import db
from workshops.my.signals import code_requested
from workshops.notifications import quiet_hours
from workshops.notifications.models import (
    DELIVERY_ORDER,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
)
from workshops.outcomes.models import FollowUp
from workshops.outcomes.signals import question_chased, question_due
from workshops.registrations.models import Registration, RegistrationStatus, Resident
from workshops.registrations.signals import (
    manage_link_requested,
    promoted,
    registered,
    residents_erased,
    sms_consent_withdrawn,
)

# Messages the worker is done with; pending ones are still to be sent or skipped.
FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED)


def notify(kind: MessageKind, *, now: datetime, resident: Resident | None = None,
           registration: Registration | None = None, params: dict | None = None,
           send_after: datetime | None = None, dedupe_key: str | None = None,
           flush: bool = True) -> OutboxMessage | None:
    """Queue a message of `kind` about `registration` for its resident, or about `resident`
    herself (a code she asked for).

    About a registration, nobody without a mobile phone, or who has not agreed to
    messages, is queued; nor is anything about a registration whose manage link stopped
    its messages. About the resident herself, the worker checks at sending time that her
    phone still takes it. A text that may wait is not sent in the quiet hours.

    With flush=False the message is written with the caller's next flush or commit (when
    nothing can clash with it: no dedupe_key)."""
    if registration is not None:
        if not registration.can_receive_sms:
            return None
        resident = registration.resident
    message = OutboxMessage(kind=kind, resident_id=resident.id,
                            registration_id=registration.id if registration else None,
                            params=params or {}, status=OutboxStatus.PENDING, created_at=now,
                            send_after=quiet_hours.sending_time(kind, send_after or now),
                            attempts=0, dedupe_key=dedupe_key)
    db.session.add(message)
    if flush:
        db.session.flush()
    return message


def _active_registrations(workshop: Workshop) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(
        Registration.workshop_id == workshop.id,
        Registration.status != RegistrationStatus.CANCELLED)))


def notify_workshop_cancelled(workshop: Workshop, *, now: datetime) -> int:
    """Tell everyone holding a place or waiting that the workshop is cancelled."""
    to_tell = _active_registrations(workshop)
    for registration in to_tell:
        notify(MessageKind.WORKSHOP_CANCELLED, registration=registration, now=now,
               params={"reason": workshop.cancel_reason},
               dedupe_key=f"cancelled:{registration.id}")
    return len(to_tell)


def notify_schedule_changed(workshop: Workshop, *, now: datetime) -> int:
    """Tell people with a place that a session moved or the venue changed (once per change)."""
    confirmed = [r for r in _active_registrations(workshop)
                 if r.status == RegistrationStatus.CONFIRMED]
    for registration in confirmed:
        notify(MessageKind.SCHEDULE_CHANGED, registration=registration, now=now,
               dedupe_key=f"changed:{registration.id}:{workshop.sequence}")
    return len(confirmed)


def record_delivery(provider_id: str, status: str, error_code: str) -> None:
    """What the provider reports about a message it took: a status never moves backwards."""
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.provider_id == provider_id))
    if message is None or status not in DELIVERY_ORDER:
        return
    current = message.delivery_status
    if not current or DELIVERY_ORDER.index(status) > DELIVERY_ORDER.index(current):
        message.delivery_status = status
        if status in ("failed", "undelivered"):
            message.last_error = f"delivery {status}" + (
                f" (error {error_code})" if error_code else "")


def latest(limit: int, *, failed_only: bool = False) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
    if failed_only:
        query = query.where(OutboxMessage.status == OutboxStatus.FAILED)
    return list(db.session.scalars(query))


def forget_people(resident_ids: Collection[int]) -> int:
    """Delete every message to these residents: bodies, links, provider ids. Rows are
    deleted, not blanked (see workshops.sms.forget). Returns how many went."""
    return delete_where_in(OutboxMessage.resident_id, resident_ids)


def count_sent_before(cutoff: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.created_at < cutoff, OutboxMessage.status.in_(FINISHED)))


def delete_sent_before(cutoff: datetime) -> int:
    return db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.created_at < cutoff,
                                    OutboxMessage.status.in_(FINISHED))).rowcount


@registered.connect
def _announce_place(registration: Registration, *, now: datetime) -> None:
    kind = (MessageKind.REGISTRATION_CONFIRMED
            if registration.status == RegistrationStatus.CONFIRMED else MessageKind.WAITLISTED)
    # Written with the sign-up's commit, with her link: one flush fewer per sign-up.
    notify(kind, registration=registration, now=now, flush=False)


@promoted.connect
def _announce_promotion(registration: Registration, *, now: datetime) -> None:
    notify(MessageKind.PROMOTED, registration=registration, now=now)


@manage_link_requested.connect
def _send_manage_link(registration: Registration, *, now: datetime) -> None:
    notify(MessageKind.MANAGE_LINK, registration=registration, now=now)


@sms_consent_withdrawn.connect
def _drop_pending(resident: Resident, *, now: datetime) -> None:
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.resident_id == resident.id, OutboxMessage.status == OutboxStatus.PENDING))


@residents_erased.connect
def _forget_erased(_sender, *, resident_ids: Collection[int], phones: Collection[str]) -> None:
    forget_people(resident_ids)


@code_requested.connect
def _send_code(resident: Resident, *, phone_code, now: datetime) -> None:
    notify(MessageKind.PHONE_CODE, resident=resident, now=now,
           params={"phone_code_id": phone_code.id})


@workshop_cancelled.connect
def _tell_registrants(workshop: Workshop, *, now: datetime) -> None:
    notify_workshop_cancelled(workshop, now=now)


@schedule_changed.connect
def _tell_about_change(workshop: Workshop, *, now: datetime) -> None:
    notify_schedule_changed(workshop, now=now)


@question_due.connect
def _ask_follow_up(follow_up: FollowUp, *, now: datetime) -> None:
    notify(MessageKind.FOLLOW_UP, registration=follow_up.registration, now=now,
           dedupe_key=f"follow-up:{follow_up.registration_id}")


@question_chased.connect
def _ask_follow_up_again(follow_up: FollowUp, *, now: datetime) -> None:
    notify(MessageKind.FOLLOW_UP_AGAIN, registration=follow_up.registration, now=now,
           dedupe_key=f"follow-up-again:{follow_up.registration_id}")
