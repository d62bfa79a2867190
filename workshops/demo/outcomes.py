"""Demo follow-up questions and answers for the workshops that ended in the last months, so
the outcome figures on /reach have something in them.

Each resident who attended and takes texts was asked the day after the last session, at
10:00; about six in ten answered within two days, most of them yes. Repeatable: a seeded
random generator.
"""

import random
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from workshops.catalogue.local_time import local_to_utc, to_local
from workshops.catalogue.models import Workshop
from workshops.demo.attendance import Mark
from workshops.extensions import db
from workshops.outcomes.models import Answer, FollowUp
from workshops.registrations.models import Registration, RegistrationStatus

ASKED_FOR_DAYS = 120  # the question began this long ago: older workshops have none
ANSWER_SHARE = 0.6
ANSWER_WEIGHTS = [(Answer.YES, 55), (Answer.PARTLY, 30), (Answer.NOT_YET, 15)]


def add_demo_follow_ups(workshops: Iterable[Workshop], registrations: Iterable[Registration],
                        marks: Iterable[Mark], *, now: datetime) -> tuple[int, int]:
    """Questions asked and answered (after the flush: registrations have ids)."""
    rng = random.Random(21)  # noqa: S311  (repeatable demo data, not secrets)
    came = {id(m.registration) for m in marks if m.present}
    today = to_local(now).date()
    asked_workshops = {
        id(w): local_to_utc(to_local(w.last_session_ends_at).date() + timedelta(days=1),
                            time(10))
        for w in workshops
        if w.last_session_ends_at is not None
        and today - timedelta(days=ASKED_FOR_DAYS) <= to_local(w.last_session_ends_at).date()
        < today}
    asked = answered = 0
    for registration in registrations:
        sent_at = asked_workshops.get(id(registration.workshop))
        if (sent_at is None or id(registration) not in came or sent_at > now
                or registration.status != RegistrationStatus.CONFIRMED
                or not registration.can_receive_sms):
            continue
        follow_up = FollowUp(registration_id=registration.id, queued_at=sent_at,
                             sent_at=sent_at)
        asked += 1
        if rng.random() < ANSWER_SHARE:
            values, weights = zip(*ANSWER_WEIGHTS, strict=True)
            follow_up.answer = int(rng.choices(values, weights=weights)[0])
            follow_up.answered_at = min(now, sent_at + timedelta(minutes=rng.randint(5, 2880)))
            answered += 1
        db.session.add(follow_up)
    return asked, answered
