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
  marked present at a workshop that began before the period.
- *Reached per 1,000 inhabitants*: residents who attended, living in the neighbourhood,
  per 1,000 of its 2024 population — always by where people live.
- Erased residents keep their anonymous rows (home neighbourhood, age band, gender), so
  they still count. People without a home neighbourhood (outside Barcelona, or not given)
  count in the district and city totals and in a row of their own.
- *Month by month*: workshops that began in each month, their sessions held, and the
  residents who attended them (and how many times they were present).
- The toggle decides which neighbourhood a registration counts in: where the workshop was
  held, or where the resident lives. The district filter follows the toggle.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
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
from workshops.extensions import db
from workshops.places.models import District, Neighbourhood, Venue
from workshops.registrations.models import Registration, RegistrationStatus, Resident

BY_VENUE = "venue"
BY_HOME = "home"
COMPLETION_SHARE = 0.75
MAX_YEARS = 3
MAX_MONTHS = 12 * MAX_YEARS + 1


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


def default_period(today: date, years: int = 1) -> tuple[date, date]:
    """The last 12 months (or `years` years), today included."""
    try:
        years_ago = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        years_ago = today.replace(year=today.year - years, day=28)
    return years_ago + timedelta(days=1), today


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
    """Figures for the workshops that began in one month."""

    month: date
    workshops: int
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


def _materialized(query, name: str):
    """A CTE computed once (SQLite and PostgreSQL both honour AS MATERIALIZED)."""
    return query.cte(name).prefix_with("MATERIALIZED")


def _month_began(filters: ReachFilters):
    """The local calendar month (as "YYYY-MM-01") in which a workshop began."""
    whens = []
    for start in month_starts(filters):
        following = (start + timedelta(days=32)).replace(day=1)
        whens.append((Workshop.first_session_starts_at < local_to_utc(following, time.min),
                      start.isoformat()))
    return case(*whens, else_=None)


def _scope(filters: ReachFilters, now: datetime):
    """The workshops the figures are about, with their venue's neighbourhood, the month they
    began and how many of their sessions were held."""
    held = (select(func.count()).where(Session.workshop_id == Workshop.id, Session.ends_at < now)
            .scalar_subquery())
    query = (
        select(Workshop.id.label("workshop_id"), Workshop.capacity, Workshop.topic_id,
               (Workshop.last_session_ends_at < now).label("finished"), held.label("held"),
               _month_began(filters).label("month"), Venue.neighbourhood_id.label("venue_nb"))
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
    return _materialized(query, "scope")


def _marks(scope, now: datetime, *, present_only: bool):
    """A registration's marks at held sessions. Once a workshop is over every session was
    held, and the count needs only the (registration, present) index."""
    conditions = [Attendance.registration_id == Registration.id]
    if present_only:
        conditions.append(Attendance.present.is_(True))
    all_marks = select(func.count()).select_from(Attendance).where(*conditions)
    held_marks = (all_marks.join(Session, Session.id == Attendance.session_id)
                  .where(Session.ends_at < now))
    return case((scope.c.finished, all_marks.scalar_subquery()),
                else_=held_marks.scalar_subquery())


def _registrations(filters: ReachFilters, scope, now: datetime):
    """One row per registration in scope, with its marks counted: the base of every
    distinct count. Cancelled registrations stay only when someone marked them."""
    # Driven from the workshops that began before the period (an IN, not a join: with a
    # join SQLite scanned every registration, 1.4 s instead of 0.05 s on the bench data).
    earlier = _materialized(
        select(Registration.resident_id)
        .where(Registration.workshop_id.in_(
                   select(Workshop.id).where(Workshop.first_session_starts_at < filters.starts)),
               exists().where(Attendance.registration_id == Registration.id,
                              Attendance.present.is_(True)))
        .distinct(), "earlier")
    home = aliased(Neighbourhood, name="home")
    marked = _marks(scope, now, present_only=False)
    present = _marks(scope, now, present_only=True)
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    key_nb = scope.c.venue_nb if filters.by == BY_VENUE else Resident.home_neighbourhood_id
    query = (
        select(
            Registration.resident_id, Registration.status, Registration.channel,
            scope.c.topic_id, scope.c.month, key_nb.label("key_nb"),
            Resident.home_neighbourhood_id.label("home_nb"),
            Resident.age_band, Resident.gender,
            func.coalesce(home.priority, False).label("home_priority"),
            present.label("present"),
            case((confirmed, scope.c.held), else_=marked).label("expected"),
            scope.c.held, scope.c.finished,
            earlier.c.resident_id.is_(None).label("new_resident"),
        )
        .join(scope, scope.c.workshop_id == Registration.workshop_id)
        .join(Resident, Resident.id == Registration.resident_id)
        .outerjoin(home, home.id == Resident.home_neighbourhood_id)
        .outerjoin(earlier, earlier.c.resident_id == Registration.resident_id)
        .where(or_(Registration.status != RegistrationStatus.CANCELLED, marked > 0))
    )
    if filters.channel:
        query = query.where(Registration.channel == filters.channel)
    if filters.district and filters.by == BY_HOME:
        home_district = aliased(District, name="home_district")
        query = (query.join(home_district, home_district.id == home.district_id)
                 .where(home_district.code == filters.district))
    return _materialized(query, "reg")


def _distinct_when(condition, reg):
    return func.count(func.distinct(case((condition, reg.c.resident_id))))


PLACE_FIGURES = ("registrations", "waitlisted", "residents_registered", "residents_attended",
                 "present", "expected", "completed", "completion_base", "first_time",
                 "attended_from_priority")
BREAKDOWN_FIGURES = ("registrations", "residents_registered", "residents_attended",
                     "attended_from_priority")


def _figure_columns(reg, wanted=PLACE_FIGURES):
    """The aggregates by name; those not `wanted` are NULL (each distinct count costs a sort,
    so a level computes only what the page shows for it)."""
    attended = reg.c.present > 0
    active = reg.c.status != RegistrationStatus.CANCELLED
    took_part = and_(reg.c.finished, attended)
    figures = {
        "registrations": lambda: func.sum(case((active, 1), else_=0)),
        "waitlisted": lambda: func.sum(
            case((reg.c.status == RegistrationStatus.WAITLISTED, 1), else_=0)),
        "residents_registered": lambda: _distinct_when(active, reg),
        "residents_attended": lambda: _distinct_when(attended, reg),
        "present": lambda: func.coalesce(func.sum(reg.c.present), 0),
        "expected": lambda: func.coalesce(func.sum(reg.c.expected), 0),
        "completed": lambda: func.sum(
            case((and_(took_part, reg.c.present * 4 >= reg.c.held * 3), 1), else_=0)),
        "completion_base": lambda: func.sum(case((took_part, 1), else_=0)),
        "first_time": lambda: _distinct_when(and_(attended, reg.c.new_resident), reg),
        "attended_from_priority": lambda: _distinct_when(and_(attended, reg.c.home_priority),
                                                         reg),
    }
    return [(make() if name in wanted else cast(null(), Integer)).label(name)
            for name, make in figures.items()]


def _per_resident(reg):
    """One row per person: their registrations summed, and whether they registered,
    attended, were new, live in a priority neighbourhood. Levels that depend only on the
    person (city, where they live, age, gender) then add up plain numbers."""
    attended = reg.c.present > 0
    active = reg.c.status != RegistrationStatus.CANCELLED
    took_part = and_(reg.c.finished, attended)

    def any_of(condition):
        return func.max(case((condition, 1), else_=0))

    def count_of(condition):
        return func.sum(case((condition, 1), else_=0))

    return _materialized(
        select(
            reg.c.resident_id,
            func.max(reg.c.home_nb).label("home_nb"),
            func.max(reg.c.age_band).label("age_band"),
            func.max(reg.c.gender).label("gender"),
            count_of(active).label("registrations"),
            count_of(reg.c.status == RegistrationStatus.WAITLISTED).label("waitlisted"),
            any_of(active).label("residents_registered"),
            any_of(attended).label("residents_attended"),
            func.sum(reg.c.present).label("present"),
            func.sum(reg.c.expected).label("expected"),
            count_of(and_(took_part, reg.c.present * 4 >= reg.c.held * 3)).label("completed"),
            count_of(took_part).label("completion_base"),
            any_of(and_(attended, reg.c.new_resident)).label("first_time"),
            any_of(and_(attended, reg.c.home_priority)).label("attended_from_priority"),
        ).group_by(reg.c.resident_id), "per_resident")


def _summed_columns(person, wanted):
    return [(func.coalesce(func.sum(person.c[name]), 0) if name in wanted
             else cast(null(), Integer)).label(name)
            for name in PLACE_FIGURES]


def _grouped(filters: ReachFilters, reg):
    """Every distinct count at every level in one statement: people can't be summed across
    neighbourhoods (someone may attend in two), so each level counts them itself — through
    the per-person rows when the level depends only on the person."""
    person = _per_resident(reg)
    key_place = aliased(Neighbourhood, name="key_place")
    home_place = aliased(Neighbourhood, name="home_place")
    by_home = filters.by == BY_HOME
    parts = [
        select(literal("city", String).label("level"), literal("", String).label("key"),
               *_summed_columns(person, PLACE_FIGURES)),
        select(literal("home", String), cast(person.c.home_nb, String),
               *_summed_columns(person, PLACE_FIGURES)).group_by(person.c.home_nb),
        select(literal("age", String), cast(person.c.age_band, String),
               *_summed_columns(person, BREAKDOWN_FIGURES)).group_by(person.c.age_band),
        select(literal("gender", String), cast(person.c.gender, String),
               *_summed_columns(person, BREAKDOWN_FIGURES)).group_by(person.c.gender),
    ]
    if by_home:
        parts.append(
            select(literal("district", String), cast(home_place.district_id, String),
                   *_summed_columns(person, PLACE_FIGURES))
            .join(home_place, home_place.id == person.c.home_nb)
            .group_by(home_place.district_id))
    else:
        parts += [
            select(literal("neighbourhood", String), cast(reg.c.key_nb, String),
                   *_figure_columns(reg, PLACE_FIGURES)).group_by(reg.c.key_nb),
            select(literal("district", String), cast(key_place.district_id, String),
                   *_figure_columns(reg, PLACE_FIGURES))
            .join(key_place, key_place.id == reg.c.key_nb).group_by(key_place.district_id),
        ]
    for level, key, wanted in [
        ("topic", cast(reg.c.topic_id, String), BREAKDOWN_FIGURES),
        ("channel", cast(reg.c.channel, String), BREAKDOWN_FIGURES),
        ("month", reg.c.month, ("residents_attended", "present")),
    ]:
        parts.append(select(literal(level, String), key, *_figure_columns(reg, wanted))
                     .group_by(key))
    return union_all(*parts)


def _supply(scope):
    """Workshops and sessions held and seats offered, by the venue's neighbourhood and by
    the month the workshops began."""
    return union_all(*(
        select(literal(level, String).label("level"), cast(key, String).label("key"),
               func.count().label("workshops"), func.sum(scope.c.held).label("sessions"),
               func.sum(scope.c.capacity).label("seats"))
        .where(scope.c.held > 0)
        .group_by(key)
        for level, key in (("neighbourhood", scope.c.venue_nb), ("month", scope.c.month))))


def month_starts(filters: ReachFilters) -> list[date]:
    first = filters.date_from.replace(day=1)
    months = []
    while first <= filters.date_to and len(months) < MAX_MONTHS:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def _figures(row, **extra) -> Figures:
    names = ("registrations", "waitlisted", "residents_registered", "residents_attended",
             "present", "expected", "completed", "completion_base", "first_time")
    return Figures(**{name: int(getattr(row, name) or 0) for name in names}, **extra)


def statements(filters: ReachFilters, *, now: datetime) -> dict:
    """The SQL the dashboard runs, by name: the grouped figures, the supply of workshops,
    and the list of places. The bench times these bare, against the page."""
    scope = _scope(filters, now)
    return {
        "grouped": _grouped(filters, _registrations(filters, scope, now)),
        "supply": _supply(scope),
        "places": select(Neighbourhood, District)
        .join(District, District.id == Neighbourhood.district_id)
        .order_by(District.code, Neighbourhood.code),
    }


def tune_transaction() -> None:
    """On PostgreSQL, for this transaction only: no JIT (compiling the big statement took
    longer than running it: 2.6 s of 6 s measured) and memory enough to sort and hash the
    registrations without spilling to disk."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))


def reach(filters: ReachFilters, *, now: datetime) -> Reach:
    """All the figures for `filters`, in three queries."""
    tune_transaction()
    sql = statements(filters, now=now)
    grouped = db.session.execute(sql["grouped"]).all()
    supply = {(row.level, row.key): row for row in db.session.execute(sql["supply"])}
    places = db.session.execute(sql["places"]).all()

    by_level: dict[str, dict[str | None, object]] = {}
    for row in grouped:
        by_level.setdefault(row.level, {})[row.key] = row
    if filters.by == BY_HOME:
        by_level["neighbourhood"] = by_level.get("home", {})
    reached_home = {key: int(row.residents_attended)
                    for key, row in by_level.get("home", {}).items()}

    neighbourhoods, districts = [], {}
    for neighbourhood, district in places:
        if filters.district and district.code != filters.district:
            continue
        key = str(neighbourhood.id)
        row = by_level.get("neighbourhood", {}).get(key)
        figures = _figures(row) if row is not None else Figures()
        _add_supply(figures, supply.get(("neighbourhood", key)))
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
    for start in month_starts(filters):
        row = by_level.get("month", {}).get(start.isoformat())
        held = supply.get(("month", start.isoformat()))
        trend.append(Month(start, int(held.workshops) if held else 0,
                           int(held.sessions) if held else 0,
                           int(row.present or 0) if row else 0,
                           int(row.residents_attended or 0) if row else 0))
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
