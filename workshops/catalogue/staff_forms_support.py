"""Glue between the workshop forms and the catalogue services."""

from datetime import time, timedelta

from sqlalchemy import select
from wtforms import SelectChoice

from workshops.accounts.models import Role, RoleGrant, User
from workshops.catalogue.forms import SessionsForm, WorkshopForm, parse_dates
from workshops.catalogue.local_time import (
    NonexistentLocalTime,
    Slot,
    local_to_utc,
    slot,
    to_local,
    weekly_slots,
)
from workshops.catalogue.models import Topic, Workshop
from workshops.catalogue.services import CatalogueError, WorkshopDetails
from workshops.extensions import db
from workshops.forms import fill_translated, translated_data
from workshops.i18n import current_language
from workshops.places.models import District, Neighbourhood, Venue


def fill_choices(form: WorkshopForm, workshop: Workshop | None = None) -> None:
    lang = current_language()
    topics = db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)).all()
    form.topic.choices = [SelectChoice(-1, "—")] + [
        SelectChoice(t.id, t.name(lang).text) for t in topics
        if t.active or (workshop is not None and workshop.topic_id == t.id)
    ]
    venues = db.session.execute(
        select(Venue, Neighbourhood.name, District.name)
        .join(Neighbourhood, Venue.neighbourhood_id == Neighbourhood.id)
        .join(District, Neighbourhood.district_id == District.id)
        .order_by(District.code, Neighbourhood.name, Venue.name)
    ).all()
    form.venue.choices = [SelectChoice(-1, "—")] + [
        SelectChoice(venue.id, f"{venue.name} ({neighbourhood})", optgroup=district)
        for venue, neighbourhood, district in venues
    ]
    facilitators = db.session.scalars(
        select(User).join(RoleGrant)
        .where(RoleGrant.role == Role.FACILITATOR, User.active.is_(True))
        .order_by(User.name)
    ).unique().all()
    form.facilitators.choices = [SelectChoice(u.id, u.name) for u in facilitators]


def fill_from_workshop(form: WorkshopForm, workshop: Workshop) -> None:
    fill_translated(form, "title", workshop.title_texts)
    fill_translated(form, "summary", workshop.summary_texts)
    fill_translated(form, "description", workshop.description_texts)
    fill_translated(form, "bring", workshop.bring_texts)
    form.topic.data = workshop.topic_id
    form.level.data = workshop.level.value
    form.instruction_language.data = workshop.instruction_language
    form.audiences.data = [a.value for a in workshop.audiences]
    form.venue.data = workshop.venue_id
    form.capacity.data = workshop.capacity
    form.facilitators.data = [u.id for u in workshop.facilitators]
    form.public_code.data = workshop.public_code
    if workshop.registration_opens_at:
        form.registration_opens.data = to_local(workshop.registration_opens_at).date()
    if workshop.registration_closes_at:
        closes = to_local(workshop.registration_closes_at) - timedelta(days=1)
        form.registration_closes.data = closes.date()


def details_from_form(form: WorkshopForm) -> WorkshopDetails:
    opens = form.registration_opens.data
    closes = form.registration_closes.data
    return WorkshopDetails(
        titles=translated_data(form, "title"),
        summaries=translated_data(form, "summary"),
        descriptions=translated_data(form, "description"),
        brings=translated_data(form, "bring"),
        topic=db.session.get(Topic, form.topic.data) if form.topic.data else None,
        level=form.level.data,
        instruction_language=form.instruction_language.data,
        audiences=form.audiences.data or [],
        venue=db.session.get(Venue, form.venue.data) if form.venue.data else None,
        capacity=form.capacity.data,
        facilitators=[db.session.get(User, uid) for uid in form.facilitators.data or []],
        public_code=form.public_code.data or "",
        # A closing day is included: registration closes at the end of it.
        registration_opens_at=local_to_utc(opens, time.min) if opens else None,
        registration_closes_at=(
            local_to_utc(closes + timedelta(days=1), time.min) if closes else None),
    )


def slots_from_form(form: SessionsForm) -> list[Slot]:
    """The session or weekly series the form describes, in UTC."""
    try:
        if form.repeat.data == "weekly":
            return weekly_slots(form.date.data, form.start_time.data, form.end_time.data,
                                form.count.data or 1, set(parse_dates(form.skip_dates.data or "")))
        return [slot(form.date.data, form.start_time.data, form.end_time.data)]
    except NonexistentLocalTime:
        raise CatalogueError("nonexistent_time", "start_time") from None
