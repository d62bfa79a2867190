"""Every figure of the reach dashboard, declared once.

`FIGURES` drives the SQL that counts them (`queries`), the dashboard's tables, sort keys and
definitions, the columns of the CSV and JSON exports, and which counts the open data
suppresses (`disclosure`). Adding a figure is one entry here, with how it is counted, and
the translations of its headings.

Headings and definitions are message ids, marked with `N_` and translated where they are
shown: the page translates them with its own `_()`, as it does every other string.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func

COUNT = "count"
PERCENT = "percent"
DECIMAL = "decimal"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def no_conditions(_rows) -> tuple:
    return ()


@dataclass(frozen=True)
class Supply:
    """An aggregate of the workshops held (`queries._scope`): always counted where the
    workshops took place, so the same whichever way registrations are counted."""

    aggregate: Callable


@dataclass(frozen=True)
class Registrations:
    """Over the registrations counted (`queries._Rows`): the rows for which `of(rows)`
    holds or, `summed`, the sum of `of(rows)`."""

    of: Callable
    summed: bool = False


@dataclass(frozen=True)
class People:
    """Different residents, each counted once: those registered (or, `attended`, those who
    attended) with every condition `where(rows)` gives."""

    attended: bool
    where: Callable = no_conditions


@dataclass(frozen=True)
class LivingHere:
    """Residents living in the place who attended, wherever: the same whichever way
    registrations are counted."""


@dataclass(frozen=True)
class FollowUps:
    """Follow-up questions (`workshops.outcomes`) about the registrations counted, for
    which `of(follow_up)` holds: counted where the registration counts, so they add up."""

    of: Callable


@dataclass(frozen=True)
class Given:
    """Known of the place, not counted (its population)."""


@dataclass(frozen=True)
class Rate:
    """`numerator × scale ÷ denominator`, none when the denominator is zero."""

    numerator: str
    denominator: str
    scale: int = 1


@dataclass(frozen=True)
class Figure:
    name: str  # its key in the exports
    export_heading: str
    counted: Supply | Registrations | People | LivingHere | FollowUps | Given | Rate
    heading: str | None = None  # its column on the dashboard's tables; None: exports only
    sort_key: str = ""  # `?sort=` for its column; its name unless given
    shown_as: str = COUNT
    definition: tuple[str, str] | None = None  # (term, text) for "How these are counted"

    @property
    def sort(self) -> str:
        return self.sort_key or self.name

    @property
    def is_count(self) -> bool:
        """A count of workshops, registrations or people: the open data suppresses it."""
        return not isinstance(self.counted, Given | Rate)

    @property
    def adds_up(self) -> bool:
        """From neighbourhoods to districts to the city, however counted (people do only by
        home: one person may attend in two neighbourhoods)."""
        return self.is_count and not isinstance(self.counted, People)

    @property
    def same_either_way(self) -> bool:
        """The same by venue and by home, and so added up from the neighbourhoods."""
        return isinstance(self.counted, Supply | LivingHere)

    @property
    def from_facts(self) -> bool:
        """Counted from the kept facts at every level (`queries._grouped`)."""
        return isinstance(self.counted, Registrations | People)


# In the order of the CSV; the dashboard's tables show those with a heading, in this order.
FIGURES = [
    Figure("workshops", N_("Workshops held"), Supply(lambda scope: func.count()),
           N_("Workshops held"),
           definition=(N_("Held"), N_(
               "A session is held once it has ended. Workshops held are those with at least "
               "one session held; seats offered is the sum of their places. These are always "
               "counted where the workshop took place."))),
    Figure("sessions", N_("Sessions held"), Supply(lambda scope: func.sum(scope.c.held)),
           N_("Sessions held")),
    Figure("seats", N_("Seats offered"), Supply(lambda scope: func.sum(scope.c.capacity)),
           N_("Seats offered")),
    Figure("registrations", N_("Registrations"), Registrations(lambda rows: rows.active),
           N_("Registrations"),
           definition=(N_("Registrations and waitlisted"), N_(
               "Sign-ups that were not cancelled, from the web, by SMS, by staff or at the "
               "door. Waitlisted: people still on a waiting list, the demand we did not "
               "meet."))),
    Figure("waitlisted", N_("Still on a waiting list"),
           Registrations(lambda rows: rows.waitlisted), N_("Waitlisted")),
    Figure("residents_registered", N_("Residents registered"), People(attended=False),
           N_("Residents registered"), sort_key="registered",
           definition=(N_("Residents registered and residents who attended"), N_(
               "Different people, each counted once however many workshops they joined. "
               "Attended means marked present at least once."))),
    Figure("residents_attended", N_("Residents who attended"), People(attended=True),
           N_("Residents who attended"), sort_key="attended"),
    Figure("present", N_("Times present"), Registrations(lambda rows: rows.present, summed=True)),
    Figure("expected", N_("Times expected"),
           Registrations(lambda rows: rows.expected, summed=True)),
    Figure("attendance_rate", N_("Attendance rate (%)"), Rate("present", "expected"),
           N_("Attendance rate"), sort_key="attendance", shown_as=PERCENT,
           definition=(N_("Attendance rate"), N_(
               "Times present divided by times expected, over held sessions. Expected at a "
               "session: everyone with a mark for it (present or absent, walk-ins included) "
               "plus confirmed people with no mark."))),
    Figure("completed", N_("Completed the workshop"), Registrations(lambda rows: rows.completed)),
    Figure("completion_base", N_("Took part in a finished workshop"),
           Registrations(lambda rows: rows.took_part)),
    Figure("completion_rate", N_("Completion rate (%)"), Rate("completed", "completion_base"),
           N_("Completion rate"), sort_key="completion", shown_as=PERCENT,
           definition=(N_("Completion rate"), N_(
               "Of the people who came at least once to a finished workshop, the share "
               "present at 75%% or more of its sessions."))),
    Figure("first_time", N_("First-time participants"),
           People(attended=True, where=lambda rows: (rows.new,)), N_("First time"),
           definition=(N_("First time"), N_(
               "Residents who attended in the period and had never been marked present at a "
               "workshop that began before it."))),
    # Outcomes: shown in their own section of the dashboard (reach/_outcomes.html).
    Figure("follow_up_asked", N_("Follow-up questions sent"),
           FollowUps(lambda f: f.sent_at.is_not(None)),
           definition=(N_("Follow-up question"), N_(
               "The day after a workshop's last session, each resident who attended and "
               "agreed to texts is asked by SMS whether she can now do on her own what the "
               "workshop taught: 1 yes, 2 partly, 3 not yet. Answers received: the replies "
               "recorded (a second reply within a week replaces the first). Response rate: "
               "answers received divided by questions sent. Each answer's share: of the "
               "answers received."))),
    Figure("follow_up_answers", N_("Answers received"),
           FollowUps(lambda f: f.answer.is_not(None))),
    Figure("follow_up_rate", N_("Response rate (%)"),
           Rate("follow_up_answers", "follow_up_asked"), shown_as=PERCENT),
    Figure("answered_yes", N_("Answered yes"), FollowUps(lambda f: f.answer == 1)),
    Figure("answered_partly", N_("Answered partly"), FollowUps(lambda f: f.answer == 2)),
    Figure("answered_not_yet", N_("Answered not yet"), FollowUps(lambda f: f.answer == 3)),
    Figure("answered_yes_share", N_("Answered yes (%)"),
           Rate("answered_yes", "follow_up_answers"), shown_as=PERCENT),
    Figure("answered_partly_share", N_("Answered partly (%)"),
           Rate("answered_partly", "follow_up_answers"), shown_as=PERCENT),
    Figure("answered_not_yet_share", N_("Answered not yet (%)"),
           Rate("answered_not_yet", "follow_up_answers"), shown_as=PERCENT),
    Figure("reached_living_here", N_("Residents living here who attended"), LivingHere()),
    Figure("population", N_("Population (2024)"), Given()),
    Figure("reached_per_1000", N_("Reached per 1,000 inhabitants"),
           Rate("reached_living_here", "population", scale=1000),
           N_("Reached per 1,000 inhabitants"), sort_key="per_thousand", shown_as=DECIMAL,
           definition=(N_("Reached per 1,000 inhabitants"), N_(
               "Residents who attended, living in the neighbourhood, per 1,000 inhabitants "
               "(population of 2024). Always by where people live."))),
]

# Counted for the breakdowns only (age, gender, topic, channel), not for places.
ATTENDED_FROM_PRIORITY = Figure(
    "attended_from_priority", N_("Of them, living in a priority neighbourhood"),
    People(attended=True, where=lambda rows: (rows.from_priority,)))


def by_name(name: str) -> Figure:
    return next(figure for figure in FIGURES if figure.name == name)


def on_the_page() -> list[Figure]:
    return [figure for figure in FIGURES if figure.heading]


def counted_in_sql() -> list[Figure]:
    """The figures `queries` counts from the kept facts, the breakdowns' own included."""
    return [*(figure for figure in FIGURES if figure.from_facts), ATTENDED_FROM_PRIORITY]


def count_names() -> tuple[str, ...]:
    """The counts of a place, those that add up first (the order of its record)."""
    counts = [figure for figure in FIGURES if figure.is_count]
    return tuple(figure.name for figure in sorted(counts, key=lambda f: not f.adds_up))


def follow_up_figures() -> list[Figure]:
    return [figure for figure in FIGURES if isinstance(figure.counted, FollowUps)]


def follow_up_counts() -> tuple[str, ...]:
    return tuple(figure.name for figure in follow_up_figures())


def names_where(condition: Callable[[Figure], bool]) -> tuple[str, ...]:
    return tuple(figure.name for figure in FIGURES if condition(figure))

# The first screen's figures, each with its change against the period before.
HEADLINE = ("residents_attended", "first_time", "registrations", "attendance_rate")


def explained_by(figure: Figure) -> Figure | None:
    """The figure whose definition explains `figure`: its own; else that of a rate built on
    it; else the nearest one declared before it that has a definition."""
    if figure.definition:
        return figure
    figures = [*FIGURES, ATTENDED_FROM_PRIORITY]
    for rate in figures:
        if (rate.definition and isinstance(rate.counted, Rate)
                and figure.name in (rate.counted.numerator, rate.counted.denominator)):
            return rate
    before = figures[:figures.index(figure)] if figure in figures else []
    return next((f for f in reversed(before) if f.definition), None)
