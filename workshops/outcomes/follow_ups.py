"""The follow-up question: queued the day after a workshop's last session for each
resident who attended it and takes texts, chased once if unanswered, and her answer.

Plain functions: they flush, the caller commits. The texts go through the outbox
(notifications reacts to `signals`), so opt-out, consent, quiet hours and retention are
those of every message.
"""

import enum
from datetime import datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from workshops.attendance.models import Attendance
from workshops.catalogue.local_time import local_to_utc, to_local
from workshops.catalogue.models import Workshop, WorkshopStatus
from workshops.extensions import db
from workshops.outcomes.models import Answer, FollowUp
from workshops.outcomes.signals import question_chased, question_due
from workshops.registrations.models import Registration, RegistrationStatus, Resident

# Workshops that ended this many days before today still get their question (a worker
# that was down catches up); older ones never do.
CATCH_UP_DAYS = 3
# An unanswered question is asked once more this long after it was sent, and no more.
CHASE_AFTER = timedelta(days=3)
# A reply counts for the latest question sent this long ago at most.
OPEN_FOR = timedelta(days=14)
# Within this long of her first answer, a new reply replaces it; after, the answer stays.
CHANGE_WITHIN = timedelta(days=7)


class Recorded(enum.StrEnum):
    RECORDED = "recorded"
    REPLACED = "replaced"
    KEPT = "kept"  # a reply after CHANGE_WITHIN: the first answer stays


def schedule(*, now: datetime) -> tuple[int, int]:
    """Queue the questions due today and the one reminder of those left unanswered;
    returns how many of each. Idempotent: one follow-up per registration, ever."""
    return _ask(now), _chase(now)


def _ask(now: datetime) -> int:
    today = to_local(now).date()
    since = local_to_utc(today - timedelta(days=CATCH_UP_DAYS), time.min)
    until = local_to_utc(today, time.min)  # the day after the last session, or later
    attended = exists().where(Attendance.registration_id == Registration.id,
                              Attendance.present.is_(True))
    asked = exists().where(FollowUp.registration_id == Registration.id)
    due = db.session.scalars(
        select(Registration).join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Workshop.status == WorkshopStatus.PUBLISHED,
               Workshop.last_session_ends_at >= since, Workshop.last_session_ends_at < until,
               Registration.status == RegistrationStatus.CONFIRMED, attended, ~asked)
        .order_by(Registration.id)).all()
    queued = 0
    for registration in due:
        if not registration.can_receive_sms:
            continue
        try:
            with db.session.begin_nested():
                follow_up = FollowUp(registration=registration, queued_at=now)
                db.session.add(follow_up)
                db.session.flush()
                question_due.send(follow_up, now=now)
        except IntegrityError:
            continue  # another worker asked a moment ago
        queued += 1
    return queued


def _chase(now: datetime) -> int:
    due = db.session.scalars(select(FollowUp).where(
        FollowUp.answer.is_(None), FollowUp.chased_at.is_(None),
        FollowUp.sent_at <= now - CHASE_AFTER, FollowUp.sent_at > now - OPEN_FOR,
    ).order_by(FollowUp.id)).all()
    for follow_up in due:
        follow_up.chased_at = now
        question_chased.send(follow_up, now=now)
    db.session.flush()
    return len(due)


def of_registration(registration_id: int | None) -> FollowUp | None:
    return db.session.scalar(select(FollowUp).where(
        FollowUp.registration_id == registration_id))


def mark_sent(registration_id: int | None, *, now: datetime) -> None:
    """The question left (the first time): from now on it counts as asked."""
    follow_up = of_registration(registration_id)
    if follow_up is not None and follow_up.sent_at is None:
        follow_up.sent_at = now


def open_question(resident: Resident, *, now: datetime) -> FollowUp | None:
    """The latest question texted to her that a reply may still answer."""
    return db.session.scalar(
        select(FollowUp).join(Registration, Registration.id == FollowUp.registration_id)
        .where(Registration.resident_id == resident.id, FollowUp.sent_at > now - OPEN_FOR)
        .order_by(FollowUp.sent_at.desc(), FollowUp.id.desc()).limit(1))


def record_answer(follow_up: FollowUp, answer: Answer, *, now: datetime) -> Recorded:
    """Her answer, once; a new reply within CHANGE_WITHIN of the first replaces it."""
    if follow_up.answer is None:
        follow_up.answer, follow_up.answered_at = int(answer), now
        outcome = Recorded.RECORDED
    elif now - follow_up.answered_at <= CHANGE_WITHIN:
        follow_up.answer = int(answer)
        outcome = Recorded.REPLACED
    else:
        outcome = Recorded.KEPT
    db.session.flush()
    return outcome
