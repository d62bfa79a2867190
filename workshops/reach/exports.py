"""The dashboard's figures as records, CSV and JSON — for coordinators, and as open data
with small counts suppressed and no hidden count recoverable (see `disclosure`)."""

import json

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workshops.reach import disclosure, figures
from workshops.reach.disclosure import SMALL_COUNT, WITHHELD
from workshops.reach.figures import DECIMAL, N_, PERCENT
from workshops.reach.queries import Place, Reach
from workshops.spreadsheets import csv_bytes

KIND_LABELS = {
    "neighbourhood": _l("Neighbourhood"),
    "district": _l("District"),
    "city": _l("Barcelona"),
    "elsewhere": _l("Outside Barcelona or not given"),
}
# (record key, column heading) of the place before its figures, and after them.
PLACE_COLUMNS = [
    ("kind", N_("Area")),
    ("district_code", N_("District code")),
    ("district", N_("District")),
    ("code", N_("Neighbourhood code")),
    ("name", N_("Neighbourhood")),
]
PLACE_ATTRIBUTE_COLUMNS = [
    ("income_index", N_("Income index")),
    ("priority", N_("Priority")),
]


def csv_columns() -> list[tuple[str, str]]:
    """(record key, column heading) in the order of the CSV."""
    return [*PLACE_COLUMNS,
            *((figure.name, figure.export_heading) for figure in figures.FIGURES),
            *PLACE_ATTRIBUTE_COLUMNS]


def place_record(place: Place) -> dict:
    """The place, its counts (those that add up first), the rest of its figures, and what
    is known of the place."""
    counts = figures.count_names()
    return {
        "kind": place.kind,
        "district_code": place.district_code,
        "district": place.district_name,
        "code": place.code,
        "name": place.name,
        **{name: place.figures.value(name) for name in counts},
        **{figure.name: place.figures.value(figure.name) for figure in figures.FIGURES
           if figure.name not in counts},
        "income_index": place.income_index,
        "priority": place.priority if place.kind == "neighbourhood" else None,
    }


def records(result: Reach) -> list[dict]:
    """Neighbourhoods, then districts, then people from elsewhere, then the city."""
    places = [*result.neighbourhoods, *result.districts, result.elsewhere, result.city]
    return [place_record(place) for place in places]


def open_records(results: dict[str, Reach]) -> dict[str, list[dict]]:
    """The records of both ways of counting ({"venue": …, "home": …}, the same period and
    moment) as open data: protected together, since they share figures."""
    return disclosure.protect({by: records(result) for by, result in results.items()})


def _cell(key: str, value):
    if value is None or value in (SMALL_COUNT, WITHHELD):
        return value
    shown_as = next((figure.shown_as for figure in figures.FIGURES if figure.name == key), None)
    if shown_as == PERCENT:
        return format_decimal(value * 100, "0.0")
    if shown_as == DECIMAL or key == "income_index":
        return format_decimal(value, "0.0")
    if key == "kind":
        return str(KIND_LABELS[value])
    if key == "priority":
        return _("yes") if value else _("no")
    return value


def as_csv(rows: list[dict]) -> bytes:
    columns = csv_columns()
    return csv_bytes([_(heading) for _key, heading in columns],
                     ([_cell(key, row[key]) for key, _heading in columns] for row in rows))


def _outcome_breakdowns(result: Reach, topic_keys: dict[str, str]) -> dict:
    """The follow-up figures by topic and by channel, counts and rates."""
    counts = figures.follow_up_counts()
    names = [figure.name for figure in figures.FIGURES if figure.name in counts or (
        isinstance(figure.counted, figures.Rate) and figure.counted.denominator in counts)]
    return {dimension: [{"key": topic_keys.get(key, key) if dimension == "topic" else key,
                         **{name: counted.value(name) for name in names}}
                        for key, counted in rows]
            for dimension, rows in result.outcomes.items()}


def as_json(result: Reach, rows: list[dict], *, public: bool,
            topic_keys: dict[str, str]) -> bytes:
    filters = result.filters
    document = {
        "period": {"from": filters.date_from.isoformat(), "to": filters.date_to.isoformat()},
        "counted_by": filters.by,
        "filters": {"district": filters.district, "topic": filters.topic,
                    "audience": filters.audience, "channel": filters.channel},
        "small_counts_suppressed": public,
        "places": rows,
    }
    if public:
        document["suppression"] = {"method": disclosure.METHOD, "small_count": SMALL_COUNT,
                                   "withheld": WITHHELD}
    if not public:
        document["breakdowns"] = {
            dimension: [{"key": topic_keys.get(b.key, b.key) if dimension == "topic" else b.key,
                         "registrations": b.registrations,
                         "residents_registered": b.residents_registered,
                         "residents_attended": b.residents_attended,
                         "attended_from_priority_neighbourhoods": b.attended_from_priority}
                        for b in breakdowns]
            for dimension, breakdowns in result.breakdowns.items()
        }
        document["outcomes"] = _outcome_breakdowns(result, topic_keys)
        document["months"] = [{"month": m.month.isoformat()[:7], "workshops_held": m.workshops,
                               "sessions_held": m.sessions,
                               "times_present": m.present,
                               "residents_attended": m.residents_attended}
                              for m in result.months]
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
