"""Changes the bench makes between two requests, through the app's own services, to time
the first answer after the data behind a page changed. Run inside an app context."""

import time

from sqlalchemy import select

from workshops.accounts.models import User
from workshops.attendance.models import Attendance
from workshops.attendance.services import Change, mark, new_change_id
from workshops.catalogue.models import Session, Workshop
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.registrations.models import Registration, RegistrationStatus

FEED_WORKSHOP_ID = 1000


def edit_a_feed_workshop() -> None:
    """A coordinator's edit: a workshop of the 5,000-session feed gets a new summary."""
    workshop = db.session.get(Workshop, FEED_WORKSHOP_ID)
    workshop.summary_texts = {**workshop.summary_texts, "en": f"Changed at {time.time()}"}
    db.session.commit()


def mark_one_attendance() -> None:
    """A facilitator's tap: someone marked absent in a recent past session is now present."""
    now = utcnow()
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    session, registration_id = db.session.execute(
        select(Session, Attendance.registration_id)
        .join(Attendance, Attendance.session_id == Session.id)
        .join(Registration, Registration.id == Attendance.registration_id)
        .where(Session.ends_at < now, Attendance.present.is_(False),
               Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(Session.ends_at.desc()).limit(1)).one()
    mark(session, Change(new_change_id(), registration_id, True, now), by=coordinator, now=now)
    db.session.commit()
