"""The dashboard's figures as records, CSV and JSON — for coordinators, and as open data
with small counts suppressed and no hidden count recoverable (DESIGN invariant 8, see
`disclosure`)."""

import json

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workshops.reach import disclosure
from workshops.reach.disclosure import COUNT_KEYS, SMALL_COUNT, WITHHELD
from workshops.reach.queries import Place, Reach
from workshops.spreadsheets import csv_bytes

KIND_LABELS = {
    "neighbourhood": _l("Neighbourhood"),
    "district": _l("District"),
    "city": _l("Barcelona"),
    "elsewhere": _l("Outside Barcelona or not given"),
}
# (record key, column heading) in the order of the CSV.
CSV_COLUMNS = [
    ("kind", _l("Area")),
    ("district_code", _l("District code")),
    ("district", _l("District")),
    ("code", _l("Neighbourhood code")),
    ("name", _l("Neighbourhood")),
    ("workshops", _l("Workshops held")),
    ("sessions", _l("Sessions held")),
    ("seats", _l("Seats offered")),
    ("registrations", _l("Registrations")),
    ("waitlisted", _l("Still on a waiting list")),
    ("residents_registered", _l("Residents registered")),
    ("residents_attended", _l("Residents who attended")),
    ("present", _l("Times present")),
    ("expected", _l("Times expected")),
    ("attendance_rate", _l("Attendance rate (%)")),
    ("completed", _l("Completed the workshop")),
    ("completion_base", _l("Took part in a finished workshop")),
    ("completion_rate", _l("Completion rate (%)")),
    ("first_time", _l("First-time participants")),
    ("reached_living_here", _l("Residents living here who attended")),
    ("population", _l("Population (2024)")),
    ("reached_per_1000", _l("Reached per 1,000 inhabitants")),
    ("income_index", _l("Income index")),
    ("priority", _l("Priority")),
]


def place_record(place: Place) -> dict:
    figures = place.figures
    return {
        "kind": place.kind,
        "district_code": place.district_code,
        "district": place.district_name,
        "code": place.code,
        "name": place.name,
        **{key: getattr(figures, key) for key in COUNT_KEYS},
        "attendance_rate": figures.attendance_rate,
        "completion_rate": figures.completion_rate,
        "population": figures.population if place.kind != "elsewhere" else None,
        "reached_per_1000": figures.per_thousand,
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
    if key in ("attendance_rate", "completion_rate"):
        return format_decimal(value * 100, "0.0")
    if key in ("reached_per_1000", "income_index"):
        return format_decimal(value, "0.0")
    if key == "kind":
        return str(KIND_LABELS[value])
    if key == "priority":
        return _("yes") if value else _("no")
    return value


def as_csv(rows: list[dict]) -> bytes:
    return csv_bytes([str(label) for _key, label in CSV_COLUMNS],
                     ([_cell(key, row[key]) for key, _label in CSV_COLUMNS] for row in rows))


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
        document["months"] = [{"month": m.month.isoformat()[:7], "workshops_held": m.workshops,
                               "sessions_held": m.sessions,
                               "times_present": m.present,
                               "residents_attended": m.residents_attended}
                              for m in result.months]
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
