"""Reach figures, computed in SQL: a dashboard costs a fixed number of queries, whatever
the size of the data.

How each figure is counted (the page shows the same definitions to coordinators):

- The period is a range of local (Barcelona) dates. A workshop belongs to it when its first
  session starts in it. Only published workshops count: drafts and cancelled workshops are
  left out of every figure, so their sessions are never "held".
- A session is *held* when it has ended before now (and its workshop is in the period).
- *Workshops held*: workshops with at least one session held. *Seats offered*: the sum of
  their capacities. These three are always counted where the workshop took place.
- *Registrations*: sign-ups that were not cancelled (confirmed or still waiting), walk-ins
  and sign-ups made by staff included. *Waitlisted*: those still on a waiting list now —
  demand the programme did not meet.
- *Residents registered* / *residents who attended*: different people, each counted once
  per row however many workshops they joined; "attended" means marked present at least once
  at a held session.
- *Attendance rate*: present ÷ expected over held sessions. Expected at a held session: the
  registrations with an attendance row for it (present or absent, walk-ins included) plus
  the confirmed registrations without a row.
- *Completion rate*: of the participants of finished workshops (all sessions held) who came
  at least once, the share present at 75 % or more of the workshop's sessions.
- *First-time participants*: residents who attended in the period and had never been
  marked present at any session that started before the period.
- *Reached per 1,000 inhabitants*: residents who attended, living in the neighbourhood,
  per 1,000 of its 2024 population — always by where people live.
- Erased residents keep their anonymous rows (home neighbourhood, age band, gender), so
  they still count. People without a home neighbourhood (outside Barcelona, or not given)
  count in the district and city totals and in a row of their own.
- The toggle decides which neighbourhood a registration counts in: where the workshop was
  held, or where the resident lives. The district filter follows the toggle.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from workshops.attendance.models import Attendance
from workshops.catalogue.models import (
    Session,
    Topic,
    Workshop,
    WorkshopAudience,
    WorkshopStatus,
)
from workshops.catalogue.schedule import local_to_utc, to_local
from workshops.db_types import UTCDateTime
from workshops.extensions import db
from workshops.places.models import District, Neighbourhood, Venue
from workshops.registrations.models import Registration, RegistrationStatus, Resident

BY_VENUE = "venue"
BY_HOME = "home"
COMPLETION_SHARE = 0.75
MAX_MONTHS = 36


@dataclass(frozen=True)
class ReachFilters:
    date_from: date
    date_to: date  # inclusive
    by: str = BY_VENUE
    district: str = ""
    topic: str = ""
    audience: str = ""
    channel: str = ""

    @property
    def starts(self) -> datetime:
        return local_to_utc(self.date_from, time.min)

    @property
    def ends(self) -> datetime:
        return local_to_utc(self.date_to + timedelta(days=1), time.min)


def default_period(today: date) -> tuple[date, date]:
    """The last 12 months, today included."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + timedelta(days=1), today


@dataclass
class Figures:
    workshops: int = 0
    sessions: int = 0
    seats: int = 0
    registrations: int = 0
    waitlisted: int = 0
    residents_registered: int = 0
    residents_attended: int = 0
    present: int = 0
    expected: int = 0
    completed: int = 0
    completion_base: int = 0
    first_time: int = 0
    # Residents living here who attended (anywhere), for the rate per 1,000 inhabitants.
    reached_living_here: int = 0
    population: int | None = None

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.completion_base if self.completion_base else None

    @property
    def per_thousand(self) -> float | None:
        return self.reached_living_here * 1000 / self.population if self.population else None


@dataclass
class Place:
    """A row of the table: a neighbourhood, a district, the city, or people from elsewhere."""

    kind: str  # "neighbourhood" | "district" | "city" | "elsewhere"
    code: str
    name: str
    district_code: str = ""
    district_name: str = ""
    income_index: float | None = None
    priority: bool = False
    figures: Figures = field(default_factory=Figures)


@dataclass
class Breakdown:
    """Registrations and people for one value of a dimension (age band, gender, topic, channel)."""

    key: str | None
    registrations: int
    residents_registered: int
    residents_attended: int
    attended_from_priority: int

    @property
    def priority_share(self) -> float | None:
        if not self.residents_attended:
            return None
        return self.attended_from_priority / self.residents_attended


@dataclass
class Month:
    month: date
    sessions: int
    present: int
    residents_attended: int


@dataclass
class Reach:
    filters: ReachFilters
    neighbourhoods: list[Place]
    districts: list[Place]
    city: Place
    elsewhere: Place
    breakdowns: dict[str, list[Breakdown]]
    months: list[Month]


def _scope(filters: ReachFilters):
    """The workshops the figures are about, with their venue's neighbourhood."""
    query = (
        select(Workshop.id.label("workshop_id"), Workshop.capacity, Workshop.topic_id,
               Workshop.last_session_ends_at, Venue.neighbourhood_id.label("venue_nb"))
        .join(Venue, Venue.id == Workshop.venue_id)
        .where(Workshop.status == WorkshopStatus.PUBLISHED,
               Workshop.first_session_starts_at >= filters.starts,
               Workshop.first_session_starts_at < filters.ends)
    )
    if filters.topic:
        query = query.join(Topic, Topic.id == Workshop.topic_id).where(Topic.key == filters.topic)
    if filters.audience:
        query = query.where(exists().where(WorkshopAudience.workshop_id == Workshop.id,
                                           WorkshopAudience.audience == filters.audience))
    if filters.district and filters.by == BY_VENUE:
        query = (query.join(Neighbourhood, Neighbourhood.id == Venue.neighbourhood_id)
                 .join(District, District.id == Neighbourhood.district_id)
                 .where(District.code == filters.district))
    return query.cte("scope")


def _held_sessions(scope, now: datetime):
    return (
        select(Session.id.label("session_id"), Session.workshop_id, Session.starts_at)
        .join(scope, scope.c.workshop_id == Session.workshop_id)
        .where(Session.ends_at < now)
    ).cte("held_session")


def _registrations(filters: ReachFilters, scope, held, now: datetime):
    """One row per registration in scope, with its attendance summed: the base of every
    distinct count. Cancelled registrations stay only when someone marked them."""
    marks = (
        select(Attendance.registration_id,
               func.count().label("marked"),
               func.sum(case((Attendance.present.is_(True), 1), else_=0)).label("present"))
        .join(held, held.c.session_id == Attendance.session_id)
        .group_by(Attendance.registration_id)
    ).cte("marks")
    held_count = (
        select(held.c.workshop_id, func.count().label("held"))
        .group_by(held.c.workshop_id)
    ).cte("held_count")
    earlier = (
        select(Registration.resident_id)
        .join(Attendance, Attendance.registration_id == Registration.id)
        .join(Session, Session.id == Attendance.session_id)
        .where(Attendance.present.is_(True), Session.starts_at < filters.starts)
        .distinct()
    ).cte("earlier")
    home = aliased(Neighbourhood, name="home")
    marked = func.coalesce(marks.c.marked, 0)
    present = func.coalesce(marks.c.present, 0)
    held_sessions = func.coalesce(held_count.c.held, 0)
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    key_nb = scope.c.venue_nb if filters.by == BY_VENUE else Resident.home_neighbourhood_id
    query = (
        select(
            Registration.resident_id, Registration.status, Registration.channel,
            scope.c.topic_id, key_nb.label("key_nb"),
            Resident.home_neighbourhood_id.label("home_nb"),
            Resident.age_band, Resident.gender,
            func.coalesce(home.priority, False).label("home_priority"),
            present.label("present"),
            case((confirmed, held_sessions), else_=marked).label("expected"),
            held_sessions.label("held"),
            (scope.c.last_session_ends_at < now).label("finished"),
            earlier.c.resident_id.is_(None).label("new_resident"),
        )
        .join(scope, scope.c.workshop_id == Registration.workshop_id)
        .join(Resident, Resident.id == Registration.resident_id)
        .outerjoin(home, home.id == Resident.home_neighbourhood_id)
        .outerjoin(marks, marks.c.registration_id == Registration.id)
        .outerjoin(held_count, held_count.c.workshop_id == Registration.workshop_id)
        .outerjoin(earlier, earlier.c.resident_id == Registration.resident_id)
        .where(or_(Registration.status != RegistrationStatus.CANCELLED, marked > 0))
    )
    if filters.channel:
        query = query.where(Registration.channel == filters.channel)
    if filters.district and filters.by == BY_HOME:
        home_district = aliased(District, name="home_district")
        query = (query.join(home_district, home_district.id == home.district_id)
                 .where(home_district.code == filters.district))
    return query.cte("reg")


def _distinct_when(condition, reg):
    return func.count(func.distinct(case((condition, reg.c.resident_id))))


def _figure_columns(reg):
    attended = reg.c.present > 0
    active = reg.c.status != RegistrationStatus.CANCELLED
    took_part = and_(reg.c.finished, attended)
    return [
        func.sum(case((active, 1), else_=0)).label("registrations"),
        func.sum(case((reg.c.status == RegistrationStatus.WAITLISTED, 1), else_=0))
        .label("waitlisted"),
        _distinct_when(active, reg).label("residents_registered"),
        _distinct_when(attended, reg).label("residents_attended"),
        func.coalesce(func.sum(reg.c.present), 0).label("present"),
        func.coalesce(func.sum(reg.c.expected), 0).label("expected"),
        func.sum(case((and_(took_part, reg.c.present * 4 >= reg.c.held * 3), 1), else_=0))
        .label("completed"),
        func.sum(case((took_part, 1), else_=0)).label("completion_base"),
        _distinct_when(and_(attended, reg.c.new_resident), reg).label("first_time"),
        _distinct_when(and_(attended, reg.c.home_priority), reg)
        .label("attended_from_priority"),
    ]


def _grouped(reg):
    """Every distinct count at every level in one statement: people can't be summed across
    neighbourhoods (someone may attend in two), so each level counts them itself."""
    key_place = aliased(Neighbourhood, name="key_place")
    levels = [
        ("neighbourhood", cast(reg.c.key_nb, String)),
        ("district", cast(key_place.district_id, String)),
        ("city", literal("", String)),
        ("home", cast(reg.c.home_nb, String)),
        ("age", cast(reg.c.age_band, String)),
        ("gender", cast(reg.c.gender, String)),
        ("topic", cast(reg.c.topic_id, String)),
        ("channel", cast(reg.c.channel, String)),
    ]
    parts = []
    for level, key in levels:
        query = select(literal(level, String).label("level"), key.label("key"),
                       *_figure_columns(reg)).select_from(reg)
        if level == "district":
            query = query.join(key_place, key_place.id == reg.c.key_nb)
        parts.append(query.group_by(key) if level != "city" else query)
    return union_all(*parts)


def _supply(scope, held):
    """Workshops and sessions held and seats offered, by the venue's neighbourhood."""
    per_workshop = (
        select(held.c.workshop_id, func.count().label("held"))
        .group_by(held.c.workshop_id)
    ).subquery()
    return (
        select(scope.c.venue_nb, func.count().label("workshops"),
               func.sum(per_workshop.c.held).label("sessions"),
               func.sum(scope.c.capacity).label("seats"))
        .join(per_workshop, per_workshop.c.workshop_id == scope.c.workshop_id)
        .group_by(scope.c.venue_nb)
    )


def month_starts(filters: ReachFilters) -> list[date]:
    first = filters.date_from.replace(day=1)
    months = []
    while first <= filters.date_to and len(months) < MAX_MONTHS:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def _monthly(filters: ReachFilters, held, months: list[date]):
    """Held sessions, presences and people present, per local calendar month."""
    bounds = []
    for start in months:
        following = (start + timedelta(days=32)).replace(day=1)
        bounds.append((start.isoformat(), max(local_to_utc(start, time.min), filters.starts),
                       min(local_to_utc(following, time.min), filters.ends)))
    # A union of one-row selects: SQLite cannot name the columns of a VALUES list.
    buckets = union_all(*(
        select(literal(month, String).label("month"),
               literal(begins, UTCDateTime).label("begins"),
               literal(ends, UTCDateTime).label("ends"))
        for month, begins, ends in bounds)).subquery("buckets")
    presences = (
        select(Attendance.session_id, Registration.resident_id)
        .join(Registration, Registration.id == Attendance.registration_id)
        .where(Attendance.present.is_(True))
    )
    if filters.channel:
        presences = presences.where(Registration.channel == filters.channel)
    if filters.district and filters.by == BY_HOME:
        home = aliased(Neighbourhood, name="month_home")
        home_district = aliased(District, name="month_home_district")
        presences = (presences.join(Resident, Resident.id == Registration.resident_id)
                     .join(home, home.id == Resident.home_neighbourhood_id)
                     .join(home_district, home_district.id == home.district_id)
                     .where(home_district.code == filters.district))
    presences = presences.subquery("presences")
    return (
        select(buckets.c.month, func.count(func.distinct(held.c.session_id)).label("sessions"),
               func.count(presences.c.resident_id).label("present"),
               func.count(func.distinct(presences.c.resident_id)).label("residents"))
        .select_from(held)
        .join(buckets, and_(held.c.starts_at >= buckets.c.begins,
                            held.c.starts_at < buckets.c.ends))
        .outerjoin(presences, presences.c.session_id == held.c.session_id)
        .group_by(buckets.c.month)
    )


def _figures(row, **extra) -> Figures:
    names = ("registrations", "waitlisted", "residents_registered", "residents_attended",
             "present", "expected", "completed", "completion_base", "first_time")
    return Figures(**{name: int(getattr(row, name) or 0) for name in names}, **extra)


def reach(filters: ReachFilters, *, now: datetime) -> Reach:
    """All the figures for `filters`, in five queries."""
    scope = _scope(filters)
    held = _held_sessions(scope, now)
    reg = _registrations(filters, scope, held, now)
    grouped = db.session.execute(_grouped(reg)).all()
    supply = {row.venue_nb: row for row in db.session.execute(_supply(scope, held))}
    months = month_starts(filters)
    monthly = {row.month: row for row in db.session.execute(
        _monthly(filters, held, months))}
    places = db.session.execute(
        select(Neighbourhood, District).join(District, District.id == Neighbourhood.district_id)
        .order_by(District.code, Neighbourhood.code)).all()

    by_level: dict[str, dict[str | None, object]] = {}
    for row in grouped:
        by_level.setdefault(row.level, {})[row.key] = row
    reached_home = {key: int(row.residents_attended)
                    for key, row in by_level.get("home", {}).items()}

    neighbourhoods, districts = [], {}
    for neighbourhood, district in places:
        if filters.district and district.code != filters.district:
            continue
        key = str(neighbourhood.id)
        row = by_level.get("neighbourhood", {}).get(key)
        figures = _figures(row) if row is not None else Figures()
        _add_supply(figures, supply.get(neighbourhood.id))
        figures.population = neighbourhood.population
        figures.reached_living_here = reached_home.get(key, 0)
        neighbourhoods.append(Place(
            "neighbourhood", str(neighbourhood.code), neighbourhood.name, district.code,
            district.name, neighbourhood.income_index, neighbourhood.priority, figures))
        if district.code not in districts:
            district_row = by_level.get("district", {}).get(str(district.id))
            districts[district.code] = Place(
                "district", district.code, district.name, district.code, district.name,
                district.income_index, False,
                _figures(district_row) if district_row is not None else Figures(population=0))
            districts[district.code].figures.population = 0
        _add_up(districts[district.code].figures, figures)

    city_row = by_level.get("city", {}).get("")
    city = Place("city", "", "", figures=_figures(city_row) if city_row else Figures())
    city.figures.population = 0
    for place in districts.values():
        _add_up(city.figures, place.figures)
    elsewhere_row = by_level.get("neighbourhood", {}).get(None)
    elsewhere = Place("elsewhere", "", "",
                      figures=_figures(elsewhere_row) if elsewhere_row else Figures())

    breakdowns = {
        dimension: sorted(
            (Breakdown(key, int(row.registrations), int(row.residents_registered),
                       int(row.residents_attended), int(row.attended_from_priority))
             for key, row in by_level.get(dimension, {}).items()),
            key=lambda b: (b.key is None, b.key or ""))
        for dimension in ("age", "gender", "topic", "channel")
    }
    trend = []
    for start in months:
        row = monthly.get(start.isoformat())
        trend.append(Month(start, int(row.sessions) if row else 0,
                           int(row.present) if row else 0, int(row.residents) if row else 0))
    return Reach(filters, neighbourhoods, list(districts.values()), city, elsewhere,
                 breakdowns, trend)


def _add_supply(figures: Figures, row) -> None:
    if row is not None:
        figures.workshops = int(row.workshops)
        figures.sessions = int(row.sessions)
        figures.seats = int(row.seats)


def _add_up(total: Figures, part: Figures) -> None:
    """Supply, population and people reached living here add up; the rest is counted in SQL."""
    total.workshops += part.workshops
    total.sessions += part.sessions
    total.seats += part.seats
    total.population = (total.population or 0) + (part.population or 0)
    total.reached_living_here += part.reached_living_here


def local_today(now: datetime) -> date:
    return to_local(now).date()
