"""Read-side queries for the public catalogue. A page costs a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager, selectinload

from workshops.catalogue.local_time import local_to_utc
from workshops.catalogue.models import (
    Session,
    Topic,
    Workshop,
    WorkshopAudience,
    WorkshopStatus,
)
from workshops.extensions import db
from workshops.places.models import District, Neighbourhood, Venue

PER_PAGE = 20


@dataclass
class ListingFilters:
    district: str = ""
    neighbourhood: int | None = None
    topic: str = ""
    language: str = ""
    audience: str = ""
    date_from: date | None = None
    date_to: date | None = None
    step_free: bool = False
    free_seats: bool = False
    page: int = 1

    @property
    def active(self) -> bool:
        return any([self.district, self.neighbourhood, self.topic, self.language,
                    self.audience, self.date_from, self.date_to, self.step_free,
                    self.free_seats])


@dataclass
class ListingPage:
    workshops: list[Workshop]
    total: int
    page: int
    pages: int


def where_place_topic_audience(query, filters):
    """Apply `filters.district`, `.neighbourhood`, `.topic` and `.audience` (each optional) to
    a query of workshops already joined to their venue, neighbourhood, district and topic."""
    if filters.district:
        query = query.where(District.code == filters.district)
    if filters.neighbourhood:
        query = query.where(Neighbourhood.code == filters.neighbourhood)
    if filters.topic:
        query = query.where(Topic.key == filters.topic)
    if filters.audience:
        query = query.where(exists().where(WorkshopAudience.workshop_id == Workshop.id,
                                           WorkshopAudience.audience == filters.audience))
    return query


def _listing_query(filters: ListingFilters, now: datetime):
    query = (
        select(Workshop)
        .join(Workshop.venue)
        .join(Venue.neighbourhood)
        .join(Neighbourhood.district)
        .join(Workshop.topic)
        .where(Workshop.status == WorkshopStatus.PUBLISHED, Workshop.last_session_ends_at >= now)
    )
    query = where_place_topic_audience(query, filters)
    if filters.language:
        query = query.where(Workshop.instruction_language == filters.language)
    if filters.date_from or filters.date_to:
        in_range = [Session.workshop_id == Workshop.id, Session.ends_at >= now]
        if filters.date_from:
            in_range.append(Session.starts_at >= local_to_utc(filters.date_from, time.min))
        if filters.date_to:
            in_range.append(Session.starts_at < local_to_utc(filters.date_to + timedelta(days=1),
                                                             time.min))
        query = query.where(exists().where(*in_range))
    if filters.step_free:
        query = query.where(Venue.step_free_access.is_(True))
    if filters.free_seats:
        query = query.where(Workshop.seats_taken < Workshop.capacity)
    return query


def upcoming_workshops(filters: ListingFilters, *, now: datetime,
                       per_page: int = PER_PAGE) -> ListingPage:
    query = _listing_query(filters, now)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, filters.page), pages)
    workshops = db.session.scalars(
        query.options(
            contains_eager(Workshop.venue).contains_eager(Venue.neighbourhood)
            .contains_eager(Neighbourhood.district),
            contains_eager(Workshop.topic),
            selectinload(Workshop.sessions),
            selectinload(Workshop.audience_rows),
        )
        .order_by(Workshop.first_session_starts_at, Workshop.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ListingPage(workshops=list(workshops), total=total, page=page, pages=pages)


def active_topics() -> list[Topic]:
    return list(db.session.scalars(
        select(Topic).where(Topic.active.is_(True)).order_by(Topic.position, Topic.id)))


def public_workshop(workshop_id: int) -> Workshop | None:
    return db.session.scalar(
        select(Workshop)
        .where(Workshop.id == workshop_id)
        .options(selectinload(Workshop.sessions), selectinload(Workshop.audience_rows),
                 selectinload(Workshop.venue).selectinload(Venue.neighbourhood)
                 .selectinload(Neighbourhood.district),
                 selectinload(Workshop.topic))
    )
