"""Statistical disclosure control of the open data: no published table reveals a count
from 1 to 4, directly or worked out from the other figures.

The method is **cell suppression**, as statistics offices apply it to frequency tables
(Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, ch. 5; the τ-ARGUS manual):

1. *Primary suppression, threshold rule*: a count from 1 to 4 is shown as "<5".
2. *Secondary (complementary) suppression*, so that no hidden count can be worked out from
   the figures that are shown: a district total less its neighbourhoods, the city less its
   districts, one table against the other (by venue and by home: the city, the supply and
   the residents reached living in a place appear in both), one figure of a row against
   another (people who attended ≤ people registered ≤ registrations, the three answers to
   the follow-up question adding up to the answers received, …). As in the hypercube
   method (Repsilber; Giessing & Repsilber 2002, τ-ARGUS "GHMITER"), every hidden cell must
   lie on a *cycle* of hidden cells along which it can move while every published figure
   stays the same: in a district, a hidden neighbourhood and a hidden sibling (one up, one
   down); or up through its hidden district total and down through a hidden sibling
   district; or with the same people's other hidden figures, and so on. Where a cell has no
   such cycle, the published count that stood in the way is hidden too — the smallest that
   gives one (a count of 5 or more: zero is never hidden) — shown as "x". A small count
   whose "<5" would itself give something away (four parts of at least 1 each under a total
   "<5" must all be 1) is shown as "x" instead of "<5". So "x" means: some count, 1 or more.
   Complementary cells that turn out not to be needed are shown again, largest first.
3. *Audit*: for every hidden cell the method keeps a witness — a second set of tables,
   equal to the published ones in every figure shown, that keeps every relation between the
   figures (the sums, both tables, the inequalities within a row, each "<5" from 1 to 4 and
   each "x" 1 or more) and in which that cell differs by one. With two sets of tables that
   fit everything published, nobody can tell which is the true one: the cell cannot be
   recovered exactly, by subtraction, by solving the linear system, or by any bound.

Rates are left out when any count they are built on is hidden: the rate and the other count
would give it back.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from workshops.reach import figures
from workshops.reach.figures import Rate

log = logging.getLogger(__name__)

SMALL_COUNT = "<5"
WITHHELD = "x"
THRESHOLD = 5
METHOD = ("Cell suppression (Hundepool et al., Statistical Disclosure Control, 2012, ch. 5): "
          "threshold rule, counts from 1 to 4 shown as \"<5\"; secondary suppression by the "
          "hypercube method, complementary cells (the smallest counts of 5 or more that do) "
          "and small counts whose \"<5\" would give something away shown as \"x\" (some "
          "count, 1 or more; zero is never hidden); audited: for every hidden count there are "
          "other tables, equal in every published figure and relation, in which it differs. "
          "Rates built on a hidden count are left out.")

# (smaller, larger) within one row.
AT_MOST = (("waitlisted", "registrations"), ("residents_registered", "registrations"),
           ("residents_attended", "residents_registered"),
           ("first_time", "residents_attended"), ("residents_attended", "present"),
           ("completed", "completion_base"), ("completion_base", "present"),
           ("present", "expected"), ("workshops", "sessions"), ("workshops", "seats"),
           ("follow_up_answers", "follow_up_asked"), ("follow_up_asked", "completion_base"),
           ("answered_yes", "follow_up_answers"), ("answered_partly", "follow_up_answers"),
           ("answered_not_yet", "follow_up_answers"))
# (whole, its parts) within one row: every answer received is one of the three.
ROW_SUMS = (("follow_up_answers", ("answered_yes", "answered_partly", "answered_not_yet")),)
NO_LIMIT = 10**12
SEARCH_DEPTH = 60
SEARCH_BUDGET = 4000


def count_keys() -> tuple[str, ...]:
    """The counts suppressed (`figures.Figure.is_count`)."""
    return figures.count_names()


def rate_bases() -> dict[str, tuple[str, ...]]:
    """Each rate and the counts it is built on."""
    return {figure.name: tuple(name for name in (figure.counted.numerator,
                                                  figure.counted.denominator)
                               if figures.by_name(name).is_count)
            for figure in figures.FIGURES if isinstance(figure.counted, Rate)}


def place_key(row: dict) -> tuple[str, str]:
    return row["kind"], row["district_code"] if row["kind"] == "district" else row["code"]


@dataclass
class Tables:
    """The figures of both tables as quantities: a figure published twice (the city in both
    tables, …) is one quantity. Relations are linear over quantities: sum(c × q) = 0 or ≤ 0."""

    value: list[int] = field(default_factory=list)
    cells: dict = field(default_factory=dict)  # (mode, kind, code, figure) → quantity
    figures: dict = field(default_factory=dict)  # quantity → the figures it is published as
    constraints: list = field(default_factory=list)  # ({quantity: coefficient}, is_equality)
    touching: dict = field(default_factory=lambda: defaultdict(list))
    slack: list = field(default_factory=list)  # how far each relation is from being tight
    hidden: dict = field(default_factory=dict)  # quantity → SMALL_COUNT | WITHHELD
    witness: dict = field(default_factory=dict)  # quantity → {quantity: change}

    def bounds(self, quantity: int) -> tuple[int, int] | None:
        """What anyone knows of a hidden quantity; None when it is published."""
        state = self.hidden.get(quantity)
        if state is None:
            return None
        return (1, THRESHOLD - 1) if state == SMALL_COUNT else (1, NO_LIMIT)


def build(tables: dict[str, list[dict]]) -> Tables:
    """The quantities and relations of the open-data tables ({mode: records})."""
    model = Tables()
    parent: list[int] = []

    def find(q: int) -> int:
        while parent[q] != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    raw: dict = {}
    for mode, rows in tables.items():
        for row in rows:
            for figure in count_keys():
                raw[(mode, *place_key(row), figure)] = len(parent)
                parent.append(len(parent))
                model.value.append(int(row[figure] or 0))

    def same(one, other) -> None:
        if one in raw and other in raw and model.value[raw[one]] == model.value[raw[other]]:
            parent[find(raw[one])] = find(raw[other])

    modes = sorted(tables)
    for one, other in zip(modes, modes[1:], strict=False):
        for row in tables[one]:
            key = place_key(row)
            for figure in (count_keys() if key[0] == "city"
                           else figures.names_where(lambda f: f.same_either_way)):
                same((one, *key, figure), (other, *key, figure))
    for row in tables.get("home", []):
        if row["kind"] in ("neighbourhood", "district"):
            same(("home", *place_key(row), "residents_attended"),
                 ("home", *place_key(row), "reached_living_here"))
    model.cells = {cell: find(q) for cell, q in raw.items()}
    for cell, q in model.cells.items():
        model.figures.setdefault(q, set()).add(cell[3])

    relations: list[dict] = []
    for mode, rows in tables.items():
        relations += _relations(mode, rows, model.cells)
    seen = set()
    for terms in relations:
        terms, equal = {q: c for q, c in terms[0].items() if c}, terms[1]
        key = (tuple(sorted(terms.items())), equal)
        total = sum(c * model.value[q] for q, c in terms.items())
        if not terms or key in seen or (total != 0 if equal else total > 0):
            continue  # empty, twice, or not true of these figures: nobody can rely on it
        seen.add(key)
        for q in terms:
            model.touching[q].append(len(model.constraints))
        model.constraints.append((terms, equal))
        model.slack.append(-total)
    return model


def _relations(mode: str, rows: list[dict], cells: dict) -> list:
    """Sums down the hierarchy, people by venue bounded by their parts, and the inequalities
    within each row: ({quantity: coefficient}, is_equality), sum ≤ 0 when not equal."""
    def terms(*pairs) -> dict:
        combined: dict = defaultdict(int)
        for cell, coefficient in pairs:
            combined[cells[(mode, *cell)]] += coefficient
        return combined

    keys = [place_key(row) for row in rows]
    parts = {key: [place_key(row) for row in rows if row["kind"] == "neighbourhood"
                   and row["district_code"] == key[1]] for key in keys if key[0] == "district"}
    parts[("city", "")] = [key for key in keys if key[0] in ("district", "elsewhere")]
    found = []
    for whole, pieces in parts.items():
        for figure in count_keys():
            if figures.by_name(figure).adds_up or mode == "home":
                found.append((terms(((*whole, figure), -1),
                                    *(((*piece, figure), 1) for piece in pieces)), True))
            else:
                found.append((terms(((*whole, figure), 1),
                                    *(((*piece, figure), -1) for piece in pieces)), False))
                found += [(terms(((*piece, figure), 1), ((*whole, figure), -1)), False)
                          for piece in pieces]
    for key in keys:
        found += [(terms(((*key, small), 1), ((*key, large), -1)), False)
                  for small, large in AT_MOST]
        found += [(terms(((*key, whole), -1), *(((*key, part), 1) for part in parts)), True)
                  for whole, parts in ROW_SUMS]
    return found


class _Search:
    """A witness for one hidden quantity: changes to hidden quantities, one of them the
    quantity itself, that keep every relation and every hidden quantity within what is
    known of it. Depth-first, repairing one broken relation at a time."""

    def __init__(self, model: Tables, origin: int):
        self.model, self.origin = model, origin
        self.change: dict[int, int] = {}
        self.sums: dict[int, int] = defaultdict(int)
        self.broken: set[int] = set()
        self.nodes = 0
        self.blockers: dict[int, int] = {}  # published quantity → depth it was met at
        self.capped: dict[int, int] = {}  # hidden small quantity at its "<5" limit → depth

    def run(self) -> dict | None:
        for direction in (1, -1):
            if self._fits(self.origin, direction, 0):
                self._move(self.origin, direction)
                if self._repair(0):
                    return dict(self.change)
                self._move(self.origin, -direction)
        return None

    def _fits(self, q: int, step: int, depth: int) -> bool:
        low, high = self.model.bounds(q)
        value = self.model.value[q] + self.change.get(q, 0) + step
        if value > high:
            self.capped.setdefault(q, depth)  # "<5" keeps it from growing
        return low <= value <= high

    def _excess(self, index: int) -> int:
        equal = self.model.constraints[index][1]
        return self.sums[index] if equal else self.sums[index] - self.model.slack[index]

    def _move(self, q: int, step: int) -> None:
        total = self.change.get(q, 0) + step
        if total:
            self.change[q] = total
        else:
            del self.change[q]
        for index in self.model.touching[q]:
            self.sums[index] += self.model.constraints[index][0][q] * step
            excess = self._excess(index)
            if excess > 0 or (excess < 0 and self.model.constraints[index][1]):
                self.broken.add(index)
            else:
                self.broken.discard(index)

    def _options(self, index: int, depth: int) -> list[tuple[int, int]]:
        terms, _equal = self.model.constraints[index]
        excess = self._excess(index)
        options = []
        for q, coefficient in terms.items():
            step = -1 if (excess > 0) == (coefficient > 0) else 1
            if q == self.origin or self.change.get(q, 0) * step < 0:
                continue
            if q not in self.model.hidden:
                if self.model.value[q] >= THRESHOLD:  # zero is never hidden
                    self.blockers.setdefault(q, depth)
                continue
            if self._fits(q, step, depth):
                options.append((q, step))
        return options

    def _repair(self, depth: int) -> bool:
        if not self.broken:
            return True
        self.nodes += 1
        if depth >= SEARCH_DEPTH or self.nodes > SEARCH_BUDGET:
            return False
        choices = sorted(((self._options(index, depth), index) for index in self.broken),
                         key=lambda pair: (len(pair[0]), pair[1]))
        options = choices[0][0]
        if not options:
            return False  # a broken relation with no way out: no witness down this path

        def cost(option) -> tuple:
            q, step = option
            self._move(q, step)
            broken = len(self.broken)
            self._move(q, -step)
            return broken, q in self.change, self.model.value[q]

        for q, step in sorted(options, key=cost):
            self._move(q, step)
            if self._repair(depth + 1):
                return True
            self._move(q, -step)
        return False


def _certify(model: Tables, quantity: int) -> tuple[dict | None, dict, dict]:
    """A witness for `quantity` (or None), the published counts that stood in the way and
    the "<5" limits that did."""
    search = _Search(model, quantity)
    return search.run(), search.blockers, search.capped


def _protect_quantity(model: Tables, quantity: int) -> list[int]:
    """Hide more until `quantity` has a witness, and return the quantities newly hidden.

    What stood in the way decides: a small count held at its "<5" limit is shown as "x"
    instead (nothing known of it: no count more is hidden), else the smallest published count
    that stood in the way is hidden (a complementary cell) — the first of these that gives a
    witness; if none does alone, the first of them, and the search starts again."""
    added = []
    while True:
        witness, blockers, capped = _certify(model, quantity)
        if witness is not None:
            model.witness[quantity] = witness
            return added
        steps = ([(q, SMALL_COUNT) for q in sorted(capped, key=lambda q: (capped[q], q))]
                 + [(q, None) for q in sorted(blockers,
                                              key=lambda q: (model.value[q], blockers[q], q))])
        if not steps:
            log.warning("open data: nothing protects quantity %s", quantity)
            return added
        for q, before in steps[:12]:
            model.hidden[q] = WITHHELD
            if _certify(model, quantity)[0] is not None:
                break
            _undo_hiding(model, q, before)
        else:
            q, before = steps[0]
            model.hidden[q] = WITHHELD
        if before is None:
            added.append(q)


def _undo_hiding(model: Tables, quantity: int, before: str | None) -> None:
    if before is None:
        del model.hidden[quantity]
    else:
        model.hidden[quantity] = SMALL_COUNT


def suppress(model: Tables) -> None:
    """Primary suppression, then complementary cells until every hidden quantity has a
    witness; then, largest first, each complementary cell shown again (and each small count
    shown as "x" shown as "<5" again) wherever every witness can do without it."""
    for q in model.figures:
        if 1 <= model.value[q] < THRESHOLD:
            model.hidden[q] = SMALL_COUNT
    for _attempt in range(3):  # once more for any left behind by a later change
        pending = sorted((q for q in model.hidden if q not in model.witness),
                         key=lambda q: (model.value[q], q))
        while pending:
            quantity = pending.pop(0)
            if quantity not in model.witness:
                pending += _protect_quantity(model, quantity)
        if all(q in model.witness for q in model.hidden):
            break
    for extra in sorted((q for q, state in model.hidden.items() if state == WITHHELD),
                        key=lambda q: (-model.value[q], q)):
        _try_to_reveal(model, extra)


def _try_to_reveal(model: Tables, quantity: int) -> None:
    """Show a complementary count again, or a small count as "<5" again, if every hidden
    quantity still has a witness (those that moved it look for another)."""
    small = model.value[quantity] < THRESHOLD
    if small:
        model.hidden[quantity] = SMALL_COUNT
    else:
        del model.hidden[quantity]
    replaced = {}
    for q in [q for q, witness in model.witness.items() if quantity in witness]:
        witness = _certify(model, q)[0] if q in model.hidden else {}
        if witness is None:
            model.hidden[quantity] = WITHHELD
            return
        replaced[q] = witness
    for q, witness in replaced.items():
        if witness:
            model.witness[q] = witness
        else:
            del model.witness[q]


def protect(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The open-data tables ({mode: records, unsuppressed}), hidden counts replaced by "<5"
    or "x" and the rates built on them left out (None)."""
    model = build(tables)
    suppress(model)
    published = {}
    for mode, rows in tables.items():
        published[mode] = []
        for row in rows:
            shown = dict(row)
            for figure in count_keys():
                state = model.hidden.get(model.cells[(mode, *place_key(row), figure)])
                if state is not None:
                    shown[figure] = state
            for rate, bases in rate_bases().items():
                if any(shown[base] in (SMALL_COUNT, WITHHELD) for base in bases):
                    shown[rate] = None
            published[mode].append(shown)
    return published


def audit(tables: dict[str, list[dict]], published: dict[str, list[dict]]) -> list:
    """The hidden cells of `published` without a witness (the method's own check): []."""
    model = build(tables)
    for mode, rows in published.items():
        for row in rows:
            for figure in count_keys():
                if row[figure] in (SMALL_COUNT, WITHHELD):
                    model.hidden[model.cells[(mode, *place_key(row), figure)]] = row[figure]
    unprotected = []
    for cell, q in model.cells.items():
        witness = _certify(model, q)[0] if q in model.hidden else {}
        if witness is None or (witness and not is_witness(model, q, witness)):
            unprotected.append(cell)
    for mode, rows in published.items():
        for row in rows:
            unprotected += [(mode, *place_key(row), rate) for rate, bases in rate_bases().items()
                            if row[rate] is not None
                            and any(row[base] in (SMALL_COUNT, WITHHELD) for base in bases)]
    return unprotected


def is_witness(model: Tables, quantity: int, change: dict) -> bool:
    """Checked from scratch: `change` moves `quantity`, only hidden quantities, each within
    what is known of it, and every relation still holds."""
    if not change.get(quantity):
        return False
    for q, step in change.items():
        bounds = model.bounds(q)
        if bounds is None or not bounds[0] <= model.value[q] + step <= bounds[1]:
            return False
    for terms, equal in model.constraints:
        total = sum(c * (model.value[q] + change.get(q, 0)) for q, c in terms.items())
        if total > 0 or (equal and total != 0):
            return False
    return True
