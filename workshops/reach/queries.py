"""Reach figures, computed in SQL: a dashboard costs a fixed number of queries, whatever
the size of the data. They read the kept facts (`facts.ReachFact`, one row per registration
that counts), not the registrations themselves. For the whole city, different people are
counted from the facts' `prev_*` times as plain sums; once a filter leaves registrations
out, by distinct counts over the (fewer) rows left.

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
  per row however many workshops they joined; "attended" means marked present at least once.
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

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.functions import FunctionElement

from workshops.attendance.models import Attendance
from workshops.catalogue.local_time import local_to_utc, to_local
from workshops.catalogue.models import (
    Session,
    Topic,
    Workshop,
    WorkshopAudience,
    WorkshopStatus,
)
from workshops.extensions import db
from workshops.outcomes.models import FollowUp
from workshops.places.models import District, Neighbourhood, Venue
from workshops.reach import figures as declared
from workshops.reach.facts import ReachFact, local_month
from workshops.reach.figures import Given, People, Rate
from workshops.registrations.models import RegistrationStatus

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


def _no_counts() -> dict[str, int]:
    return dict.fromkeys(declared.count_names(), 0)


@dataclass
class Figures:
    """A place's figures (`figures.FIGURES`): its counts by name, its population, and the
    rates worked out from them. `figures.first_time` reads one by its name."""

    counts: dict[str, int] = field(default_factory=_no_counts)
    population: int | None = None

    def value(self, name: str) -> int | float | None:
        counted = declared.by_name(name).counted
        if isinstance(counted, Given):
            return self.population
        if isinstance(counted, Rate):
            denominator = self.value(counted.denominator)
            return (self.value(counted.numerator) * counted.scale / denominator
                    if denominator else None)
        return self.counts[name]

    def __getattr__(self, name: str):
        if name not in {figure.name for figure in declared.FIGURES}:
            raise AttributeError(name)
        return self.value(name)

    @property
    def per_thousand(self) -> float | None:
        return self.value("reached_per_1000")


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
    # The follow-up figures by topic and by channel: (key, figures), as the breakdowns.
    outcomes: dict[str, list[tuple[str | None, Figures]]] = field(default_factory=dict)


def _materialized(query, name: str):
    """A CTE computed once (SQLite and PostgreSQL both honour AS MATERIALIZED)."""
    return query.cte(name).prefix_with("MATERIALIZED")


def _scope(filters: ReachFilters, now: datetime):
    """The workshops the figures are about that held a session, with their venue's
    neighbourhood, the month they began and how many of their sessions were held: the
    supply side.

    The sessions held are counted once, by workshop (from `indexes.sessions_held` alone),
    and joined: a count for each workshop took twice as long on PostgreSQL (65 ms)."""
    held = (select(Session.workshop_id, func.count().label("held"))
            .where(Session.ends_at < now).group_by(Session.workshop_id).subquery("held"))
    query = (
        select(Workshop.id.label("workshop_id"), Workshop.capacity, held.c.held,
               local_month(Workshop.first_session_starts_at).label("month"),
               Venue.neighbourhood_id.label("venue_nb"))
        .join(Venue, Venue.id == Workshop.venue_id)
        .join(held, held.c.workshop_id == Workshop.id)
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


def is_filtered(filters: ReachFilters) -> bool:
    return bool(filters.district or filters.topic or filters.audience or filters.channel)


class _UnderWay:
    """The workshops of the period that are not over yet, the sessions of theirs held so far
    and their marks at those, each computed once for a statement and shared by every part of
    it that counts the workshops under way.

    Found from the workshops (an index on their status and last session), and the kept rows
    by their workshop (SQLite) or by when it ends (PostgreSQL, which knows how few end after
    now): asked of the kept rows by the period, both engines read every row of the period
    to keep the few under way (80 ms for each part, three parts)."""

    def __init__(self, filters: ReachFilters, now: datetime):
        self.workshops = _materialized(
            select(Workshop.id).where(Workshop.status == WorkshopStatus.PUBLISHED,
                                      Workshop.last_session_ends_at >= now,
                                      Workshop.first_session_starts_at >= filters.starts,
                                      Workshop.first_session_starts_at < filters.ends),
            "under_way")
        held_sessions = _materialized(
            select(Session.id, Session.workshop_id)
            .where(Session.workshop_id.in_(select(self.workshops.c.id)), Session.ends_at < now),
            "held_sessions")
        self.held = _materialized(
            select(held_sessions.c.workshop_id, func.count().label("held"))
            .group_by(held_sessions.c.workshop_id),
            "held_so_far")
        self.marks = _materialized(
            select(Attendance.registration_id, func.count().label("marks"),
                   func.count().filter(Attendance.present.is_(True)).label("present"))
            .where(Attendance.session_id.in_(select(held_sessions.c.id)))
            .group_by(Attendance.registration_id),
            "marks_so_far")


class _Rows:
    """What each figure asks of a kept row (`facts.ReachFact`), for a period and a moment,
    for the workshops that are over (`finished`) or for those still under way.

    Once a workshop is over every session was held, and the kept counts are the answer:
    those rows, nearly all of them, are read alone. Only for the few workshops under way
    (`_UnderWay`) are the sessions held so far and their marks counted."""

    def __init__(self, filters: ReachFilters, now: datetime, *, finished: bool,
                 under_way: _UnderWay, in_index_order: bool = False):
        fact = ReachFact
        self.filters, self.now, self.finished = filters, now, finished
        self.in_index_order = in_index_order
        self.under_way = under_way
        self.joins = []
        if finished:
            held, self.present, marked = fact.sessions, fact.present_marks, fact.marks
        else:
            held_so_far, marks_so_far = under_way.held, under_way.marks
            self.joins = [(held_so_far, held_so_far.c.workshop_id == fact.workshop_id),
                          (marks_so_far, marks_so_far.c.registration_id == fact.registration_id)]
            held = func.coalesce(held_so_far.c.held, 0)
            self.present = func.coalesce(marks_so_far.c.present, 0)
            marked = func.coalesce(marks_so_far.c.marks, 0)
        self.expected = case((fact.status == RegistrationStatus.CONFIRMED, held), else_=marked)
        self.active = fact.status != RegistrationStatus.CANCELLED
        self.waitlisted = fact.status == RegistrationStatus.WAITLISTED
        self.attended = fact.present_marks > 0
        # Completion is counted over finished workshops only.
        self.took_part = self.attended if finished else false()
        self.completed = and_(self.took_part, self.present * 4 >= held * 3)
        self.new = fact.first_present_began_at >= filters.starts
        self.from_priority = fact.home_neighbourhood_id.in_(_priority_ids())

    def first_registered(self, level: str):
        """The person's first registration in the period at `level` (see `facts`)."""
        previous = getattr(ReachFact, f"prev_registered{level}")
        return and_(self.active, or_(previous.is_(None), previous < self.filters.starts))

    def first_attended(self, level: str):
        previous = getattr(ReachFact, f"prev_attended{level}")
        return and_(self.attended, or_(previous.is_(None), previous < self.filters.starts))

    def in_scope(self, query):
        filters, fact = self.filters, ReachFact
        query = query.select_from(fact)
        for joined, condition in self.joins:
            query = query.outerjoin(joined, condition)
        if self.finished:
            # In index order (`indexes.facts_by_person`): the period is not looked up by when
            # the workshops began, so that SQLite reads that index from end to end, already
            # in the cube's order, instead of sorting the rows it finds by `began_at`.
            began = _unindexed(fact.began_at) if self.in_index_order else fact.began_at
            query = query.where(began >= filters.starts, began < filters.ends,
                                fact.ends_at < self.now)
        else:
            # The period is the under-way workshops' own (`_UnderWay`): asked here again,
            # SQLite would read the rows by it instead of by their workshop.
            query = query.where(fact.workshop_id.in_(select(self.under_way.workshops.c.id)),
                                fact.ends_at >= self.now)
        if filters.topic:
            query = query.where(fact.topic_id.in_(select(Topic.id)
                                                  .where(Topic.key == filters.topic)))
        if filters.audience:
            query = query.where(exists().where(WorkshopAudience.workshop_id == fact.workshop_id,
                                               WorkshopAudience.audience == filters.audience))
        if filters.channel:
            query = query.where(fact.channel == filters.channel)
        if filters.district:
            district = (fact.venue_district_id if filters.by == BY_VENUE
                        else fact.home_district_id)
            query = query.where(district.in_(select(District.id)
                                             .where(District.code == filters.district)))
        return query


def _both(filters: ReachFilters, now: datetime, build, under_way: _UnderWay | None = None,
          in_index_order: bool = False):
    """`build(rows)` for the finished workshops and for those under way, as one."""
    under_way = under_way or _UnderWay(filters, now)
    return union_all(*(build(_Rows(filters, now, finished=finished, under_way=under_way,
                                   in_index_order=in_index_order))
                       for finished in (True, False)))


class _unindexed(FunctionElement):  # noqa: N801  (used like func.*)
    """A column as a value that SQLite uses no index for (a unary plus: "+col"); elsewhere
    the column itself."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_unindexed)
def _unindexed_anywhere(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


def _priority_ids():
    return select(Neighbourhood.id).where(Neighbourhood.priority.is_(True))


def _registrations(filters: ReachFilters, now: datetime):
    """One row per registration in scope with its conditions as 0/1 columns: the base of
    the distinct counts."""
    return _materialized(_both(filters, now, _registration_rows), "reg")


def _registration_rows(rows: _Rows):
    fact = ReachFact
    by_venue = rows.filters.by == BY_VENUE

    def flag(*conditions):
        return case((and_(*conditions), 1), else_=0)

    def per_registration(counted):
        """A figure's part in one registration: a 0/1 flag, or the number summed."""
        if isinstance(counted, People):
            return flag(rows.attended if counted.attended else rows.active,
                        *counted.where(rows))
        return counted.of(rows) if counted.summed else flag(counted.of(rows))

    query = select(
        fact.resident_id, fact.channel, fact.topic_id, fact.began_month.label("month"),
        (fact.venue_neighbourhood_id if by_venue else fact.home_neighbourhood_id)
        .label("key_nb"),
        (fact.venue_district_id if by_venue else fact.home_district_id).label("key_district"),
        fact.home_neighbourhood_id.label("home_nb"), fact.age_band, fact.gender,
        *(per_registration(figure.counted).label(figure.name)
          for figure in declared.counted_in_sql()),
    )
    return rows.in_scope(query)


BREAKDOWN_FIGURES = ("registrations", "residents_registered", "residents_attended",
                     "attended_from_priority")
MONTH_FIGURES = ("residents_attended", "present")


def _figure_columns(reg, wanted):
    """The aggregates by name, people counted with distinct counts (right for any subset of
    the registrations, but each one costs a sort); those not `wanted` are NULL."""
    def aggregate(figure):
        column = reg.c[figure.name]
        if isinstance(figure.counted, People):
            return func.count(func.distinct(case((column == 1, reg.c.resident_id))))
        return func.sum(column)

    return [(func.coalesce(aggregate(figure), 0) if figure.name in wanted
             else cast(null(), Integer)).label(figure.name)
            for figure in declared.counted_in_sql()]


def _level(name: str, key, figures):
    """One level's rows: its name, its key as text (grouped by it) and its figures."""
    if key is None:
        return select(literal(name, String).label("level"), literal("", String).label("key"),
                      *figures)
    return (select(literal(name, String).label("level"), cast(key, String).label("key"),
                   *figures).group_by(key))


def _place_figures() -> tuple[str, ...]:
    return tuple(figure.name for figure in declared.counted_in_sql())


def _people() -> tuple[str, ...]:
    return tuple(figure.name for figure in declared.counted_in_sql()
                 if isinstance(figure.counted, People))


def _distinct_levels(filters: ReachFilters, reg):
    """Every level counted with distinct counts: for a filtered set of registrations."""
    place_figures = _place_figures()

    def level(name, key, wanted):
        return _level(name, key, _figure_columns(reg, wanted))

    by_home = filters.by == BY_HOME
    return [
        level("city", None, place_figures),
        level("home", reg.c.home_nb, place_figures if by_home else ("residents_attended",)),
        level("age", reg.c.age_band, BREAKDOWN_FIGURES),
        level("gender", reg.c.gender, BREAKDOWN_FIGURES),
        *([] if by_home else [level("neighbourhood", reg.c.key_nb, place_figures)]),
        level("district", reg.c.key_district, place_figures),
        level("topic", reg.c.topic_id, BREAKDOWN_FIGURES),
        level("channel", reg.c.channel, BREAKDOWN_FIGURES),
        level("month", reg.c.month, MONTH_FIGURES),
    ]


def _cube(filters: ReachFilters, now: datetime, keys, sums, people, name, under_way,
          in_index_order: bool = False):
    """Sums of the registrations in scope by `keys`: the counts named in `sums` and, for each
    level in `people` ({suffix: names}), those people counted as the rows that are their
    first at that level in the period. A few thousand rows, read straight from the kept
    facts, from which the levels are then added up.

    Each count asked of a cube costs a test of every row (the most of a cube's time), so a
    cube counts only what its levels show (`_first_levels`)."""
    def build(rows: _Rows):
        grouped_by = keys
        if in_index_order and not rows.finished:
            # The few rows under way, looked up by workshop and then sorted: kept from
            # reading the whole index in order to skip a sort of a handful of rows.
            grouped_by = [_unindexed(key.element if isinstance(key, Label) else key)
                          .label(key.key) for key in keys]
        return rows.in_scope(select(*grouped_by, *_cube_columns(rows, sums, people))
                             .group_by(*grouped_by))

    return _materialized(_both(filters, now, build, under_way, in_index_order), name)


def _cube_columns(rows: _Rows, sums, people):
    def count_where(*conditions):
        return func.count().filter(and_(*conditions))

    counted = declared.counted_in_sql()
    columns = [
        (func.sum(figure.counted.of(rows)) if figure.counted.summed
         else count_where(figure.counted.of(rows))).label(figure.name)
        for figure in counted if not isinstance(figure.counted, People) and figure.name in sums]
    for level, names in people.items():
        columns += [
            count_where(rows.first_attended(level) if figure.counted.attended
                        else rows.first_registered(level), *figure.counted.where(rows))
            .label(f"{figure.name}{level}")
            for figure in counted if isinstance(figure.counted, People) and figure.name in names]
    return columns


# People from a priority neighbourhood: shown in the breakdowns alone.
PRIORITY = declared.ATTENDED_FROM_PRIORITY.name
BREAKDOWN_PEOPLE = tuple(name for name in BREAKDOWN_FIGURES if name != "registrations")


def _shown_of_places() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """What a place shows (its `Figures`): all its figures counted from the facts, those
    summed from the rows and its people. Asked of `figures.FIGURES` each time."""
    shown = declared.names_where(lambda figure: figure.from_facts)
    sums = tuple(name for name in shown
                 if not isinstance(declared.by_name(name).counted, People))
    return shown, sums, tuple(name for name in shown if name not in sums)


def _first_levels(filters: ReachFilters, now: datetime):
    """Every level from the kept `prev_*` times: plain sums over two cubes, for the whole
    city. One by the person (where they live, age, gender), one by what and where (topic,
    channel, month and, by venue, the venue's neighbourhood): each sorts or hashes the
    registrations once.

    The place figures are summed in the cube that holds the place (by venue, the subject;
    by home, the person); the city's people always come from the person's cube. People
    from a priority neighbourhood, by age and gender, are those of the person's cube whose
    home is one: the cube is by home already, so no row is tested for it."""
    fact = ReachFact
    by_home = filters.by == BY_HOME
    under_way = _UnderWay(filters, now)
    place_figures, place_sums, place_people = _shown_of_places()
    # In the order of `indexes.facts_by_person`, which holds all the cube reads.
    person_keys = [fact.home_neighbourhood_id.label("home_nb"), fact.age_band, fact.gender]
    if by_home:
        person_keys.append(fact.home_district_id.label("home_district"))
    person = _cube(filters, now, person_keys,
                   place_sums if by_home else ("registrations",), {"": place_people},
                   "by_person", under_way, in_index_order=True)
    subject_keys = [fact.topic_id, fact.channel, fact.began_month.label("month")]
    subject_people = {"_topic": BREAKDOWN_PEOPLE, "_channel": BREAKDOWN_PEOPLE,
                      "_month": tuple(name for name in MONTH_FIGURES if name in place_people)}
    if not by_home:
        subject_keys += [fact.venue_neighbourhood_id.label("key_nb"),
                         fact.venue_district_id.label("key_district")]
        subject_people |= {"_place": place_people, "_district": place_people}
    subject = _cube(filters, now, subject_keys,
                    ("registrations", "present") if by_home else place_sums, subject_people,
                    "by_subject", under_way)
    place_cube = person if by_home else subject

    def summed(cube, name, suffix):
        column = cube.c[f"{name}{suffix}" if name in _people() else name]
        return func.coalesce(func.sum(column), 0)

    def level(name, cube, key, suffix, wanted):
        figures = []
        for figure in _place_figures():
            if figure not in wanted:
                value = cast(null(), Integer)
            elif figure == PRIORITY and cube is person:
                value = func.coalesce(func.sum(case(
                    (cube.c.home_nb.in_(_priority_ids()), cube.c.residents_attended),
                    else_=0)), 0)
            else:
                value = summed(cube, figure, suffix)
            figures.append(value.label(figure))
        return _level(name, None if key is None else cube.c[key], figures)

    def city():
        """The sums from the place's cube, the people from the person's: one row each."""
        def one(name):
            cube = person if name in place_people else place_cube
            return select(summed(cube, name, "")).scalar_subquery()
        return _level("city", None, [
            (one(figure) if figure in place_figures else cast(null(), Integer)).label(figure)
            for figure in _place_figures()])

    levels = [
        city(),
        level("home", person, "home_nb", "", place_figures if by_home else ("residents_attended",)),
        level("age", person, "age_band", "", BREAKDOWN_FIGURES),
        level("gender", person, "gender", "", BREAKDOWN_FIGURES),
        level("topic", subject, "topic_id", "_topic", BREAKDOWN_FIGURES),
        level("channel", subject, "channel", "_channel", BREAKDOWN_FIGURES),
        level("month", subject, "month", "_month", MONTH_FIGURES),
    ]
    if by_home:
        levels.append(level("district", person, "home_district", "", place_figures))
    else:
        levels += [level("neighbourhood", subject, "key_nb", "_place", place_figures),
                   level("district", subject, "key_district", "_district", place_figures)]
    return levels


def _grouped(filters: ReachFilters, now: datetime, *, recount: bool):
    """Every figure at every level in one statement. People can't be summed across
    neighbourhoods (someone may attend in two), so each level counts them itself: from the
    kept `prev_*` times for the whole city, by distinct counts once a filter leaves some
    registrations out (a `prev_*` time may be that of a row left out)."""
    if recount or is_filtered(filters):
        return union_all(*_distinct_levels(filters, _registrations(filters, now)))
    return union_all(*_first_levels(filters, now))


def previous_period(filters: ReachFilters) -> ReachFilters:
    """The period of the same length that ends the day before `filters` begins."""
    length = filters.date_to - filters.date_from
    date_to = filters.date_from - timedelta(days=1)
    return replace(filters, date_from=date_to - length, date_to=date_to)


def _city(filters: ReachFilters, now: datetime):
    """The city's figures alone, one row: for comparing a period with the one before."""
    if is_filtered(filters):
        return _level("city", None, _figure_columns(_registrations(filters, now),
                                                    _place_figures()))
    _shown, sums, people = _shown_of_places()
    totals = _cube(filters, now, (), sums, {"": people}, "city_totals", _UnderWay(filters, now))
    return _level("city", None, [
        (func.coalesce(func.sum(totals.c[figure]), 0) if figure in totals.c
         else cast(null(), Integer)).label(figure)
        for figure in _place_figures()])


def _supply(scope):
    """Workshops and sessions held and seats offered, by the venue's neighbourhood and by
    the month the workshops began."""
    supplied = [figure for figure in declared.FIGURES
                if isinstance(figure.counted, declared.Supply)]
    return union_all(*(
        select(literal(level, String).label("level"), cast(key, String).label("key"),
               *(figure.counted.aggregate(scope).label(figure.name) for figure in supplied))
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


def _figures(row) -> Figures:
    figures = Figures()
    for name in declared.names_where(lambda figure: figure.from_facts):
        figures.counts[name] = int(getattr(row, name) or 0)
    return figures


def statements(filters: ReachFilters, *, now: datetime, recount: bool = False) -> dict:
    """The SQL the dashboard runs, by name: the grouped figures, the supply of workshops,
    the list of places, the follow-up answers, and the city's figures in the period before
    (`previous`). The bench times these bare, against the page.

    `recount` counts people with distinct counts even for the whole city: slower, and the
    same figures (the tests check that it is)."""
    return {
        "grouped": _grouped(filters, now, recount=recount),
        "supply": _supply(_scope(filters, now)),
        "places": select(Neighbourhood, District)
        .join(District, District.id == Neighbourhood.district_id)
        .order_by(District.code, Neighbourhood.code),
        "follow_ups": _follow_ups(filters),
        "previous": _city(previous_period(filters), now),
    }


def previous_city(filters: ReachFilters, *, now: datetime) -> Figures:
    """The city's counted figures (not supply) in the period of the same length before."""
    return _figures(db.session.execute(_city(previous_period(filters), now)).one())


def tune_transaction() -> None:
    """On PostgreSQL, for this transaction only: no JIT (compiling the big statement took
    longer than running it: 2.6 s of 6 s measured) and memory enough to sort and hash the
    registrations without spilling to disk."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))


def reach(filters: ReachFilters, *, now: datetime, recount: bool = False) -> Reach:
    """All the figures for `filters`, in four queries."""
    tune_transaction()
    sql = statements(filters, now=now, recount=recount)
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
    places_by_id: dict[tuple[str, int], Place] = {}
    for neighbourhood, district in places:
        if filters.district and district.code != filters.district:
            continue
        key = str(neighbourhood.id)
        row = by_level.get("neighbourhood", {}).get(key)
        figures = _figures(row) if row is not None else Figures()
        _add_supply(figures, supply.get(("neighbourhood", key)))
        figures.population = neighbourhood.population
        figures.counts["reached_living_here"] = reached_home.get(key, 0)
        neighbourhoods.append(Place(
            "neighbourhood", str(neighbourhood.code), neighbourhood.name, district.code,
            district.name, neighbourhood.income_index, neighbourhood.priority, figures))
        places_by_id[("neighbourhood", neighbourhood.id)] = neighbourhoods[-1]
        if district.code not in districts:
            district_row = by_level.get("district", {}).get(str(district.id))
            districts[district.code] = Place(
                "district", district.code, district.name, district.code, district.name,
                district.income_index, False,
                _figures(district_row) if district_row is not None else Figures(population=0))
            districts[district.code].figures.population = 0
            places_by_id[("district", district.id)] = districts[district.code]
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
    result = Reach(filters, neighbourhoods, list(districts.values()), city, elsewhere,
                   breakdowns, trend)
    _add_follow_ups(result, db.session.execute(sql["follow_ups"]).all(), places_by_id)
    return result


def _follow_ups(filters: ReachFilters):
    """The follow-up counts of the registrations in scope, by where they count (by venue or
    by home), topic and channel: a few hundred rows, added up in `_add_follow_ups`."""
    fact = ReachFact
    by_venue = filters.by == BY_VENUE
    key_nb = fact.venue_neighbourhood_id if by_venue else fact.home_neighbourhood_id
    key_district = fact.venue_district_id if by_venue else fact.home_district_id
    keys = (key_nb.label("nb"), key_district.label("district"), fact.topic_id, fact.channel)
    query = (select(*keys, *(func.count().filter(figure.counted.of(FollowUp)).label(figure.name)
                             for figure in declared.follow_up_figures()))
             # From the follow-ups (a few hundred), each one's kept row looked up, not
             # from the kept rows: SQLite would read all of them and look up follow-ups.
             .select_from(FollowUp)
             .join(fact, fact.registration_id == _unindexed(FollowUp.registration_id))
             .where(_unindexed(fact.began_at) >= filters.starts,
                    _unindexed(fact.began_at) < filters.ends)
             .group_by(*keys))
    if filters.topic:
        query = query.where(fact.topic_id.in_(select(Topic.id).where(Topic.key == filters.topic)))
    if filters.audience:
        query = query.where(exists().where(WorkshopAudience.workshop_id == fact.workshop_id,
                                           WorkshopAudience.audience == filters.audience))
    if filters.channel:
        query = query.where(fact.channel == filters.channel)
    if filters.district:
        query = query.where(key_district.in_(select(District.id)
                                             .where(District.code == filters.district)))
    return query


def _add_follow_ups(result: "Reach", rows, places_by_id: dict) -> None:
    """Each row's counts into its neighbourhood (or elsewhere), its district and the city,
    and into the topic and channel breakdowns."""
    names = declared.follow_up_counts()
    by = {"topic": {}, "channel": {}}
    for row in rows:
        targets = [places_by_id.get(("neighbourhood", row.nb), result.elsewhere)
                   if row.nb is not None else result.elsewhere, result.city]
        if row.district is not None and ("district", row.district) in places_by_id:
            targets.append(places_by_id[("district", row.district)])
        targets += [by["topic"].setdefault(str(row.topic_id), Figures()),
                    by["channel"].setdefault(str(row.channel), Figures())]
        for figures in {id(t): t.figures if isinstance(t, Place) else t
                        for t in targets}.values():
            for name in names:
                figures.counts[name] += int(getattr(row, name))
    result.outcomes = {dimension: sorted(found.items()) for dimension, found in by.items()}


def _add_supply(figures: Figures, row) -> None:
    if row is not None:
        for name in declared.names_where(lambda figure: isinstance(figure.counted,
                                                                   declared.Supply)):
            figures.counts[name] = int(getattr(row, name))


def _add_up(total: Figures, part: Figures) -> None:
    """Supply, population and people reached living here add up; the rest is counted in SQL."""
    for name in declared.names_where(lambda figure: figure.same_either_way):
        total.counts[name] += part.counts[name]
    total.population = (total.population or 0) + (part.population or 0)


def local_today(now: datetime) -> date:
    return to_local(now).date()
