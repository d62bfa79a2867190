"""The coordinators' schedule export: every session in a date range, one row each."""

from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from workshops.catalogue.local_time import local_to_utc, to_local
from workshops.catalogue.models import STATUS_LABELS, Session, Workshop
from workshops.extensions import db
from workshops.places.models import Neighbourhood, Venue
from workshops.registrations.models import Registration, RegistrationStatus


def waiting_counts(workshop_ids) -> dict[int, int]:
    """How many people wait for a place, per workshop, in one query."""
    if not workshop_ids:
        return {}
    return dict(db.session.execute(
        select(Registration.workshop_id, func.count())
        .where(Registration.workshop_id.in_(workshop_ids),
               Registration.status == RegistrationStatus.WAITLISTED)
        .group_by(Registration.workshop_id)).all())


def schedule_rows(first_day: date, last_day: date, language: str) -> list[list]:
    sessions = db.session.scalars(
        select(Session)
        .join(Session.workshop).join(Workshop.venue).join(Venue.neighbourhood)
        .where(Session.starts_at >= local_to_utc(first_day, time.min),
               Session.starts_at < local_to_utc(last_day + timedelta(days=1), time.min))
        .options(contains_eager(Session.workshop).contains_eager(Workshop.venue)
                 .contains_eager(Venue.neighbourhood).selectinload(Neighbourhood.district),
                 contains_eager(Session.workshop).selectinload(Workshop.topic),
                 contains_eager(Session.workshop).selectinload(Workshop.facilitators))
        .order_by(Session.starts_at, Session.id)).unique().all()
    waiting = waiting_counts({session.workshop_id for session in sessions})
    rows = []
    for session in sessions:
        workshop = session.workshop
        venue = workshop.venue
        starts, ends = to_local(session.starts_at), to_local(session.ends_at)
        rows.append([
            starts.strftime("%d/%m/%Y"), starts.strftime("%H:%M"), ends.strftime("%H:%M"),
            workshop.title(language).text, workshop.public_code, STATUS_LABELS[workshop.status],
            workshop.topic.name(language).text, venue.name, venue.neighbourhood.name,
            venue.neighbourhood.district.name,
            ", ".join(user.name for user in workshop.facilitators),
            workshop.seats_taken, workshop.capacity, waiting.get(workshop.id, 0),
        ])
    return rows
