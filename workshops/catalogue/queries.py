"""Read-side queries for the public catalogue. A page costs a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, exists, func, literal, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from workshops.catalogue.local_time import local_to_utc
from workshops.catalogue.models import (
    Session,
    Topic,
    Workshop,
    WorkshopAudience,
    WorkshopStatus,
)
from workshops.db_types import UTCDateTime
from workshops.extensions import db
from workshops.places.geo import Point, distance_metres
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
    # Sort by distance from here (a place the resident gave, or her neighbourhood's centre).
    near: Point | None = None

    @property
    def active(self) -> bool:
        return self.active_count > 0

    @property
    def active_count(self) -> int:
        return sum(1 for value in (self.district, self.neighbourhood, self.topic, self.language,
                                   self.audience, self.date_from, self.date_to, self.step_free,
                                   self.free_seats) if value)


@dataclass
class ListingPage:
    workshops: list[Workshop]
    total: int
    page: int
    pages: int
    # Workshop id → metres from `filters.near`, for venues with coordinates.
    distances: dict[int, float] = field(default_factory=dict)


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
    """Upcoming published workshops matching `filters`, joined only to the tables a filter
    reads: the whole catalogue is read for every listing, so each join costs."""
    query = select(Workshop).where(Workshop.status == WorkshopStatus.PUBLISHED,
                                   Workshop.last_session_ends_at >= now)
    if filters.district or filters.neighbourhood or filters.step_free or filters.near:
        query = query.join(Workshop.venue)
    if filters.district or filters.neighbourhood:
        query = query.join(Venue.neighbourhood)
    if filters.district:
        query = query.join(Neighbourhood.district)
    if filters.topic:
        query = query.join(Workshop.topic)
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
        query = query.where(Workshop.seats_taken < Workshop.capacity,
                            Workshop.registration_is_open(now))
    return query


def next_session_starts(now: datetime):
    """When the workshop's next session still to come (or under way) starts: its first
    session's start until that begins (no session to look up), then the sessions'."""
    under_way = (select(func.min(Session.starts_at))
                 .where(Session.workshop_id == Workshop.id, Session.ends_at >= now)
                 .correlate(Workshop).scalar_subquery())
    return case((Workshop.first_session_starts_at >= literal(now, UTCDateTime),
                 Workshop.first_session_starts_at), else_=under_way)


def _by_distance(query, near: Point, now: datetime) -> list[tuple[int, float | None]]:
    """Every matching workshop id with its distance, nearest first; venues without
    coordinates last, by date. Computed in Python: the same on every database engine."""
    rows = db.session.execute(
        query.with_only_columns(Workshop.id, Venue.latitude, Venue.longitude,
                                next_session_starts(now))).all()

    def distance(row) -> float | None:
        if row.latitude is None or row.longitude is None:
            return None
        return distance_metres(near, Point(row.latitude, row.longitude))

    measured = [(row.id, distance(row), row[3]) for row in rows]
    measured.sort(key=lambda r: (r[1] is None, r[1] or 0.0, r[2], r[0]))
    return [(workshop_id, metres) for workshop_id, metres, _starts in measured]


@dataclass(frozen=True)
class WorkshopRef:
    """A workshop on a listing page, by what tells whether its card changed (see cards)."""

    id: int
    seats_taken: int


@dataclass
class ListingRefs:
    workshops: list[WorkshopRef]
    total: int
    page: int
    pages: int
    distances: dict[int, float] = field(default_factory=dict)


def upcoming_refs(filters: ListingFilters, *, now: datetime, per_page: int = PER_PAGE,
                  counted: bool = True) -> ListingRefs:
    """The page of workshops `filters` asks for, in order, without loading them: a page
    whose cards are kept costs these two queries. Not `counted`, the first page only, and
    its total is just what it holds (the home page's next workshops)."""
    query = _listing_query(filters, now)
    if filters.near is not None:
        ranked = _by_distance(query, filters.near, now)
        total = len(ranked)
        pages = max(1, -(-total // per_page))
        page = min(max(1, filters.page), pages)
        on_page = dict(ranked[(page - 1) * per_page:page * per_page])
        seats = dict(db.session.execute(select(Workshop.id, Workshop.seats_taken)
                                        .where(Workshop.id.in_(on_page))).all())
        return ListingRefs([WorkshopRef(i, seats[i]) for i in on_page if i in seats],
                           total=total, page=page, pages=pages,
                           distances={i: m for i, m in on_page.items() if m is not None})

    def page_of(number: int) -> list[WorkshopRef]:
        # Two queries, not one with count(*) OVER (): that sorts every match in full, where
        # LIMIT alone keeps just the first rows (half the time on SQLite).
        return [WorkshopRef(*row) for row in db.session.execute(
            query.with_only_columns(Workshop.id, Workshop.seats_taken)
            .order_by(next_session_starts(now), Workshop.id)
            .limit(per_page)
            .offset((number - 1) * per_page))]

    if not counted:
        refs = page_of(1)
        return ListingRefs(refs, total=len(refs), page=1, pages=1)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, filters.page), pages)
    return ListingRefs(page_of(page), total=total, page=page, pages=pages)


def workshops_with_everything(ids) -> dict[int, Workshop]:
    """The workshops with everything a card or a listing shows, by id."""
    if not ids:
        return {}
    return {w.id: w for w in db.session.scalars(
        select(Workshop)
        .join(Workshop.venue).join(Venue.neighbourhood).join(Neighbourhood.district)
        .join(Workshop.topic)
        .where(Workshop.id.in_(ids))
        .options(contains_eager(Workshop.venue).contains_eager(Venue.neighbourhood)
                 .contains_eager(Neighbourhood.district),
                 contains_eager(Workshop.topic),
                 selectinload(Workshop.sessions),
                 selectinload(Workshop.audience_rows)))}


def upcoming_workshops(filters: ListingFilters, *, now: datetime,
                       per_page: int = PER_PAGE) -> ListingPage:
    refs = upcoming_refs(filters, now=now, per_page=per_page)
    found = workshops_with_everything([ref.id for ref in refs.workshops])
    return ListingPage(workshops=[found[ref.id] for ref in refs.workshops if ref.id in found],
                       total=refs.total, page=refs.page, pages=refs.pages,
                       distances=refs.distances)


def public_workshop(workshop_id: int) -> Workshop | None:
    """One workshop with everything its page shows: its venue, neighbourhood, district and
    topic in the same query (one row each), then its sessions and audiences."""
    return db.session.scalar(
        select(Workshop)
        .where(Workshop.id == workshop_id)
        .options(selectinload(Workshop.sessions), selectinload(Workshop.audience_rows),
                 joinedload(Workshop.venue, innerjoin=True)
                 .joinedload(Venue.neighbourhood, innerjoin=True)
                 .joinedload(Neighbourhood.district, innerjoin=True),
                 joinedload(Workshop.topic, innerjoin=True))
    )
