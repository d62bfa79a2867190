"""The reach page's overview: the figures at a glance with their change against the
period before, where to go next, and the districts each with their neighbourhoods, in the
order the coordinator sorted them."""

from dataclasses import dataclass

from flask_babel import format_decimal, format_number, format_percent
from flask_babel import gettext as _

from workshops.places.indicators import INDICATORS
from workshops.places.models import NeedIndicator
from workshops.reach.figures import HEADLINE, PERCENT, Figure, by_name, on_the_page
from workshops.reach.formatting import shown
from workshops.reach.queries import Figures, Place

WHERE_NEXT_LENGTH = 5
WAITLISTS_LENGTH = 8
NEED_SORT = {"income_index": "income", "households_internet": "internet"}

Needs = dict[int, dict[str, NeedIndicator]]


def sort_keys(needs: Needs | None = None) -> dict:
    """Column key (`?sort=`) → how to sort the tables by it, in the order of their
    columns. Empty values sort last."""
    needs = needs or {}

    def by_figure(name):
        return lambda p: p.figures.value(name)

    def by_need(key):
        def value(place):
            if place.kind == "district":
                return place.income_index if key == "income_index" else None
            kept = needs.get(int(place.code), {}).get(key)
            return kept.value if kept else None
        return value

    return {
        "name": lambda p: p.name.casefold(),
        "district": lambda p: (p.district_code, p.name.casefold()),
        **{figure.sort: by_figure(figure.name) for figure in on_the_page()},
        **{NEED_SORT[key]: by_need(key) for key in INDICATORS},
    }


def sorted_places(places: list[Place], sort: str, descending: bool,
            needs: Needs | None = None) -> list[Place]:
    key = sort_keys(needs)[sort]
    present = [p for p in places if key(p) is not None]
    missing = [p for p in places if key(p) is None]
    return sorted(present, key=key, reverse=descending) + missing


def _ranks(places: list[Place], key) -> dict[str, int]:
    """Each place's position when sorted by `key`, lowest first; equal values share one."""
    ranks, last_value, last_rank = {}, None, 0
    for position, place in enumerate(sorted(places, key=key), start=1):
        value = key(place)
        if value != last_value:
            last_value, last_rank = value, position
        ranks[place.code] = last_rank
    return ranks


def where_next(places: list[Place], needs: Needs) -> dict[str, list[Place]]:
    """Neighbourhoods ranked by need and low reach together, and the longest waiting lists.

    Need is the income index (the indicator every neighbourhood has): each neighbourhood's
    place in line by income index, lowest first, is added to its place in line by residents
    reached per 1,000 inhabitants, fewest first; the smallest sums come first."""
    def income(place):
        kept = needs.get(int(place.code), {}).get("income_index")
        return kept.value if kept else None

    ranked = [p for p in places if p.figures.per_thousand is not None and income(p) is not None]
    by_need = _ranks(ranked, income)
    by_reach = _ranks(ranked, lambda p: p.figures.per_thousand)
    waiting = [p for p in places if p.figures.waitlisted]
    return {
        "need_and_reach": sorted(ranked, key=lambda p: (by_need[p.code] + by_reach[p.code],
                                                        p.figures.per_thousand,
                                                        p.name))[:WHERE_NEXT_LENGTH],
        "longest_waitlists": sorted(waiting, key=lambda p: (-p.figures.waitlisted,
                                                            p.name))[:WAITLISTS_LENGTH],
    }


def is_active(place: Place) -> bool:
    """Anything counted for it in the period (its population is given, not counted)."""
    return any(place.figures.counts.values())


@dataclass
class DistrictGroup:
    district: Place
    active: list[Place]
    inactive: list[Place]


def district_groups(result, sort: str, descending: bool, needs: Needs) -> list[DistrictGroup]:
    """Districts in the table's order, each with its neighbourhoods that had activity in
    that order, and those that had none."""
    groups = []
    for district in sorted_places(result.districts, sort, descending, needs):
        own = [p for p in result.neighbourhoods if p.district_code == district.code]
        groups.append(DistrictGroup(
            district, sorted_places([p for p in own if is_active(p)], sort, descending, needs),
            sorted((p for p in own if not is_active(p)), key=lambda p: p.name.casefold())))
    return groups


@dataclass
class Headline:
    figure: Figure
    value: str
    change: str  # against the period before, in words


def _change(figure: Figure, now_value, before_value) -> str:
    if now_value is None or before_value is None:
        return _("no figure to compare with")
    difference = now_value - before_value
    if not difference:
        return _("the same as the period before")
    if figure.shown_as == PERCENT:
        amount = _("%(points)s points", points=format_decimal(abs(difference) * 100, "#,##0.0"))
    elif before_value:
        amount = _("%(number)s (%(percent)s)", number=format_number(abs(difference)),
                   percent=format_percent(abs(difference) / before_value, "#,##0%"))
    else:
        amount = format_number(abs(difference))
    return (_("up %(amount)s", amount=amount) if difference > 0
            else _("down %(amount)s", amount=amount))


def headline(result, previous: Figures) -> list[Headline]:
    city = result.city.figures
    return [Headline(figure, shown(figure, city.value(figure.name)),
                     _change(figure, city.value(figure.name), previous.value(figure.name)))
            for figure in map(by_name, HEADLINE)]
