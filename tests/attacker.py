"""An attacker on the open data: from the published tables alone, and
what the page says about how each figure is counted, work out hidden counts exactly.

It knows everything published: every figure of both tables (by venue, by home), in CSV and
JSON, and the rates. It knows the relations the definitions imply:

- a district is the sum of its neighbourhoods, the city the sum of its districts and of
  the people from elsewhere, for every figure that adds up (registrations, marks, supply,
  and by home the people too, since each person lives in one place);
- people counted by venue do not add up (someone may attend in two neighbourhoods): a
  neighbourhood counts no more than its district, and a district no more than its
  neighbourhoods together;
- the same figure published twice is the same number: the city in both tables, the supply
  (always counted where the workshop was held), the residents reached living in a place;
  by home, the residents who attended a place are those reached living there;
- within a row: waitlisted ≤ registrations, first-time ≤ people who attended ≤ people
  registered ≤ registrations, people who attended ≤ times present, completed ≤ took part in
  a finished workshop ≤ times present ≤ times expected, workshops ≤ sessions, workshops ≤
  seats; each answer to the follow-up question ≤ answers received ≤ questions sent ≤ took
  part in a finished workshop, and the three answers add up to the answers received;
- a rate and one of its counts give the other.

Its knowledge of a hidden cell: "<5" is 1 to 4; "x" (withheld so that no other hidden count
can be worked out) is 1 or more, since zero is never hidden. It then solves the equalities
(exact Gaussian elimination: a cell is found when some combination of the published
relations leaves it alone), propagates bounds through every equality and inequality to a
fixed point, and probes: it tries each value a hidden cell could take and drops those that
lead to a contradiction. A cell whose possible values come down to one is recovered.
"""

import csv
import io
import math
from fractions import Fraction

SMALL = "<5"
WITHHELD = "x"
BIG = 10**9  # no upper bound
SUPPLY = ("workshops", "sessions", "seats")
ANSWERS = ("answered_yes", "answered_partly", "answered_not_yet")
FOLLOW_UPS = ("follow_up_asked", "follow_up_answers", *ANSWERS)
ADDS_UP = (*SUPPLY, "registrations", "waitlisted", "present", "expected", "completed",
           "completion_base", "reached_living_here", *FOLLOW_UPS)
PEOPLE = ("residents_registered", "residents_attended", "first_time")
COUNTS = (*ADDS_UP, *PEOPLE)
AT_MOST = (("waitlisted", "registrations"), ("residents_registered", "registrations"),
           ("residents_attended", "residents_registered"), ("residents_attended", "present"),
           ("completed", "completion_base"), ("completion_base", "present"),
           ("present", "expected"), ("first_time", "residents_attended"),
           ("workshops", "sessions"), ("workshops", "seats"),
           ("follow_up_answers", "follow_up_asked"), ("follow_up_asked", "completion_base"),
           *((answer, "follow_up_answers") for answer in ANSWERS))
# rate: (numerator, denominator, per)
RATES = {"attendance_rate": ("present", "expected", 1),
         "completion_rate": ("completed", "completion_base", 1),
         "reached_per_1000": ("reached_living_here", "population", 1000),
         "follow_up_rate": ("follow_up_answers", "follow_up_asked", 1),
         **{f"{answer}_share": (answer, "follow_up_answers", 1) for answer in ANSWERS}}
NOT_COUNTS = {"kind", "district_code", "district", "code", "name", "population",
              "income_index", "priority", *RATES}
# English CSV headings → keys.
HEADINGS = {
    "Area": "kind", "District code": "district_code", "District": "district",
    "Neighbourhood code": "code", "Neighbourhood": "name", "Workshops held": "workshops",
    "Sessions held": "sessions", "Seats offered": "seats", "Registrations": "registrations",
    "Still on a waiting list": "waitlisted", "Residents registered": "residents_registered",
    "Residents who attended": "residents_attended", "Times present": "present",
    "Times expected": "expected", "Attendance rate (%)": "attendance_rate",
    "Completed the workshop": "completed",
    "Took part in a finished workshop": "completion_base",
    "Completion rate (%)": "completion_rate", "First-time participants": "first_time",
    "Residents living here who attended": "reached_living_here",
    "Population (2024)": "population", "Reached per 1,000 inhabitants": "reached_per_1000",
    "Income index": "income_index", "Priority": "priority",
    "Follow-up questions sent": "follow_up_asked", "Answers received": "follow_up_answers",
    "Response rate (%)": "follow_up_rate", "Answered yes": "answered_yes",
    "Answered partly": "answered_partly", "Answered not yet": "answered_not_yet",
    "Answered yes (%)": "answered_yes_share", "Answered partly (%)": "answered_partly_share",
    "Answered not yet (%)": "answered_not_yet_share",
}
KINDS = {"Neighbourhood": "neighbourhood", "District": "district", "Barcelona": "city",
         "Outside Barcelona or not given": "elsewhere"}


def rows_from_csv(body: bytes) -> list[dict]:
    """The rows of an English CSV download, as the JSON has them (rates as fractions, each
    with how far the rounding may have moved it)."""
    header, *lines = csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")
    keys = [HEADINGS[heading] for heading in header]
    rows = []
    for line in lines:
        row = dict(zip(keys, line, strict=True))
        row["kind"] = KINDS[row["kind"]]
        for key, value in row.items():
            if key in RATES:
                scale = 100 if key != "reached_per_1000" else 1
                row[key] = (None if value == "" else
                            (Fraction(value) / scale, Fraction(5, 100) / scale))
            elif key in NOT_COUNTS - {"population"}:
                continue
            elif value == "":
                row[key] = None
            elif value not in (SMALL, WITHHELD):
                row[key] = int(value)
        rows.append(row)
    return rows


def rows_from_json(document: dict) -> list[dict]:
    rows = []
    for row in document["places"]:
        row = dict(row)
        for rate in RATES:
            if row[rate] is not None:
                value = Fraction(row[rate])
                row[rate] = (value, abs(value) * Fraction(1, 10**9))
        rows.append(row)
    return rows


def place(row: dict) -> tuple[str, str]:
    return row["kind"], row["code"] if row["kind"] != "district" else row["district_code"]


class Attack:
    """What the published `tables` ({(source, counted_by): rows}) give away."""

    def __init__(self, tables: dict):
        self.known: dict = {}
        self.withheld: set = set()
        self.small: set = set()
        self.equalities: list = []
        self.inequalities: list = []  # sum(terms) <= rhs
        self.rate_bounds: list = []
        self.contradictions = 0
        for (_source, mode), rows in tables.items():
            for row in rows:
                self._learn(mode, row)
        modes = sorted({mode for _source, mode in tables})
        for mode in modes:
            rows = {place(row): row for (_s, m), table in tables.items() if m == mode
                    for row in table}
            self._relations(mode, rows)
        for (_source, mode), rows in tables.items():
            for row in rows:
                self._rates(mode, row)
        if len(modes) == 2:
            self._across(modes, tables)
        self.bounds = {cell: [1, 4] if cell in self.small else [1, BIG]
                       for cell in self.unknown}

    # --- what is published -------------------------------------------------------------

    def _learn(self, mode: str, row: dict) -> None:
        for key, value in row.items():
            if key in NOT_COUNTS - {"population"}:
                continue
            cell = (mode, *place(row), key)
            if value == SMALL:
                self.small.add(cell)
            elif value == WITHHELD:
                self.withheld.add(cell)
            elif value is not None and self.known.setdefault(cell, value) != value:
                self.contradictions += 1

    @property
    def unknown(self) -> set:
        return (self.small | self.withheld) - set(self.known)

    def _relation(self, terms: dict, op: str, rhs=0) -> None:
        """sum(coefficient × cell) op rhs, with what is known moved to the right."""
        left = {}
        for cell, coefficient in terms.items():
            if cell in self.known:
                rhs -= coefficient * self.known[cell]
            elif cell in self.small or cell in self.withheld:
                left[cell] = left.get(cell, 0) + coefficient
            else:
                return  # a figure not published at all: nothing to learn
        left = {cell: c for cell, c in left.items() if c}
        if not left:
            if (op == "=" and rhs != 0) or (op == "<=" and rhs < 0):
                self.contradictions += 1
            return
        (self.equalities if op == "=" else self.inequalities).append((left, rhs))

    def _relations(self, mode: str, rows: dict) -> None:
        districts = [key for key in rows if key[0] == "district"]
        children = {district: [key for key, row in rows.items() if key[0] == "neighbourhood"
                               and row["district_code"] == district[1]]
                    for district in districts}
        children[("city", "")] = districts + [key for key in rows if key[0] == "elsewhere"]
        measures = {key for row in rows.values() for key in row} - NOT_COUNTS
        for parent, parts in children.items():
            for measure in measures:
                if measure in ADDS_UP or (mode == "home" and measure in PEOPLE):
                    self._relation({(mode, *parent, measure): -1,
                                    **{(mode, *part, measure): 1 for part in parts}}, "=")
                elif measure in PEOPLE:
                    self._relation({(mode, *parent, measure): 1,
                                    **{(mode, *part, measure): -1 for part in parts}}, "<=")
                    for part in parts:
                        self._relation({(mode, *part, measure): 1,
                                        (mode, *parent, measure): -1}, "<=")
        for key in rows:
            for small, large in AT_MOST:
                self._relation({(mode, *key, small): 1, (mode, *key, large): -1}, "<=")
            self._relation({(mode, *key, "follow_up_answers"): -1,
                            **{(mode, *key, answer): 1 for answer in ANSWERS}}, "=")
            if mode == "home" and key[0] in ("neighbourhood", "district"):
                self._relation({(mode, *key, "residents_attended"): 1,
                                (mode, *key, "reached_living_here"): -1}, "=")

    def _across(self, modes, tables) -> None:
        one, other = modes
        rows = [row for (_s, mode), table in tables.items() if mode == one for row in table]
        every = {key for row in rows for key in row} - NOT_COUNTS
        for key in {place(row) for row in rows}:
            same = every if key[0] == "city" else (*SUPPLY, "reached_living_here")
            for measure in same:
                self._relation({(one, *key, measure): 1, (other, *key, measure): -1}, "=")

    def _rates(self, mode: str, row: dict) -> None:
        for rate, (numerator, denominator, per) in RATES.items():
            if row.get(rate) is None:
                continue
            value, error = row[rate]
            top, bottom = (mode, *place(row), numerator), (mode, *place(row), denominator)
            self.rate_bounds.append((top, bottom, value - error, value + error, per))

    # --- solving -----------------------------------------------------------------------

    def solve(self) -> dict:
        """The hidden cells it recovers, with their values."""
        equalities = self.equalities + [_integral(terms, rhs)
                                        for terms, rhs in self._combinations()]
        self.constraints = ([(terms, True, rhs) for terms, rhs in equalities]
                            + [(terms, False, rhs) for terms, rhs in self.inequalities])
        self.by_cell: dict = {}
        for index, (terms, _equal, _rhs) in enumerate(self.constraints):
            for cell in terms:
                self.by_cell.setdefault(cell, []).append(index)
        bounds = {cell: list(b) for cell, b in self.bounds.items()}
        for _round in range(4):
            if not self._rate_pass(bounds) or not self._propagate(bounds, set(bounds)):
                raise AssertionError("the published figures contradict each other")
            if not self._probe(bounds):
                break
        return {cell: lo for cell, (lo, hi) in bounds.items() if lo == hi}

    def _combinations(self) -> list:
        """Reduced row echelon form of the equalities: every cell the equalities fix alone
        ends up alone in a row; the rows also help the bounds along."""
        pivots: list = []
        reduced: list = []
        for terms, rhs in self.equalities:
            terms = {cell: Fraction(c) for cell, c in terms.items()}
            rhs = Fraction(rhs)
            for pivot, (pterms, prhs) in zip(pivots, reduced, strict=True):
                factor = terms.get(pivot)
                if factor:
                    _subtract(terms, pterms, factor)
                    rhs -= factor * prhs
            if not terms:
                if rhs != 0:
                    self.contradictions += 1
                continue
            pivot = min(terms, key=repr)
            factor = terms[pivot]
            terms = {cell: c / factor for cell, c in terms.items()}
            rhs /= factor
            for index, (other, orhs) in enumerate(reduced):
                f = other.get(pivot)
                if f:
                    _subtract(other, terms, f)
                    reduced[index] = (other, orhs - f * rhs)
            pivots.append(pivot)
            reduced.append((terms, rhs))
        return reduced

    def _rate_pass(self, bounds) -> bool:
        for top, bottom, low, high, per in self.rate_bounds:
            top_value = self.known.get(top)
            bottom_value = self.known.get(bottom)
            if top_value is None and top in bounds and bottom_value is not None:
                self._tighten(bounds, top, math.ceil(low * bottom_value / per),
                              math.floor(high * bottom_value / per))
            elif bottom_value is None and bottom in bounds and top_value and low > 0:
                self._tighten(bounds, bottom, math.ceil(top_value * per / high),
                              math.floor(top_value * per / low))
        return all(lo <= hi for lo, hi in bounds.values())

    def _tighten(self, bounds, cell, lo, hi, trail=None) -> bool:
        """Narrow a cell's bounds; True when they changed."""
        old = bounds[cell]
        lo, hi = max(old[0], lo), min(old[1], hi)
        if lo == old[0] and hi == old[1]:
            return False
        if trail is not None:
            trail.append((cell, old[0], old[1]))
        old[0], old[1] = lo, hi
        return True

    def _propagate(self, bounds, changed, trail=None) -> bool:
        """Bounds consistency over every relation, to a fixed point; False on a
        contradiction."""
        queue = {index for cell in changed for index in self.by_cell.get(cell, ())}
        while queue:
            terms, equal, rhs = self.constraints[queue.pop()]
            low = high = 0
            for cell, c in terms.items():
                lo, hi = bounds[cell]
                low += c * (lo if c > 0 else hi)
                high += c * (hi if c > 0 else lo)
            if low > rhs or (equal and high < rhs):
                return False
            for cell, c in terms.items():
                lo, hi = bounds[cell]
                room = rhs - low + c * (lo if c > 0 else hi)  # c × cell ≤ room
                least = rhs - high + c * (hi if c > 0 else lo) if equal else None
                if c > 0:
                    new_lo, new_hi = (lo if least is None else -(-least // c)), room // c
                else:
                    new_lo, new_hi = -(room // -c), (hi if least is None else least // c)
                if self._tighten(bounds, cell, new_lo, new_hi, trail):
                    if bounds[cell][0] > bounds[cell][1]:
                        return False
                    queue.update(self.by_cell[cell])
        return True

    def _probe(self, bounds) -> bool:
        """Try each value of each hidden cell with a few possible values; keep those that
        contradict nothing. True when some cell's bounds narrowed."""
        narrowed = False
        for cell in sorted(bounds, key=repr):
            lo, hi = bounds[cell]
            if lo == hi or hi - lo > 8:
                continue
            possible = []
            for value in range(lo, hi + 1):
                trail = [(cell, lo, hi)]
                bounds[cell][:] = [value, value]
                if self._propagate(bounds, {cell}, trail):
                    possible.append(value)
                for changed, old_lo, old_hi in reversed(trail):
                    bounds[changed][:] = [old_lo, old_hi]
            if not possible:
                raise AssertionError("the published figures contradict each other")
            if (possible[0], possible[-1]) != (lo, hi):
                bounds[cell][:] = [possible[0], possible[-1]]
                narrowed = True
                if not self._propagate(bounds, {cell}):
                    raise AssertionError("the published figures contradict each other")
        return narrowed


def _subtract(terms: dict, other: dict, factor) -> None:
    """terms -= factor × other, in place."""
    for cell, c in other.items():
        value = terms.get(cell, 0) - factor * c
        if value:
            terms[cell] = value
        else:
            terms.pop(cell, None)


def _integral(terms: dict, rhs) -> tuple[dict, int]:
    """The same equation with whole coefficients."""
    scale = math.lcm(*(Fraction(c).denominator for c in (*terms.values(), rhs)))
    return {cell: int(c * scale) for cell, c in terms.items()}, int(rhs * scale)


def attack(tables: dict) -> dict:
    """{(counted_by, kind, code, figure): value} for every hidden cell recovered exactly."""
    return Attack(tables).solve()


def by_mode(recovered: dict) -> dict[str, int]:
    counts = {"venue": 0, "home": 0}
    for mode, *_rest in recovered:
        counts[mode] += 1
    return counts
