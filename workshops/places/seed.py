"""Load Barcelona's districts and neighbourhoods from the project's seed file (sources inside)."""

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from workshops.clock import utcnow
from workshops.extensions import db
from workshops.places.indicators import store_indicators
from workshops.places.models import District, Neighbourhood

SEED_FILE = Path(__file__).parent / "data" / "barcelona.json"
# Neighbourhoods below this household income index (Barcelona = 100) start as priorities.
PRIORITY_INCOME_THRESHOLD = 80.0
FIGURES = ("name", "population", "population_year", "income_index", "income_year")


@dataclass
class SeedResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _apply(row, record: dict, result: SeedResult, extra: dict | None = None) -> None:
    wanted = {field: record[field] for field in FIGURES} | (extra or {})
    changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
    for field, value in changed.items():
        setattr(row, field, value)
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1


def seed_places(seed_file: Path = SEED_FILE) -> SeedResult:
    """Insert what is missing and update changed figures; never duplicate.

    The priority flag is only set for a new neighbourhood: after that it belongs to
    the coordinators, and a re-seed must not undo their decision. Need indicators
    (`indicators`) are only added where the portal has none: admins own them after.
    """
    data = json.loads(seed_file.read_text(encoding="utf-8"))
    result = SeedResult()
    districts = {d.code: d for d in db.session.scalars(select(District))}
    for record in data["districts"]:
        district = districts.get(record["code"])
        if district is None:
            district = District(code=record["code"], **{f: record[f] for f in FIGURES})
            db.session.add(district)
            districts[district.code] = district
            result.created += 1
        else:
            _apply(district, record, result)
    db.session.flush()

    neighbourhoods = {n.code: n for n in db.session.scalars(select(Neighbourhood))}
    for record in data["neighbourhoods"]:
        district = districts[record["district"]]
        neighbourhood = neighbourhoods.get(record["code"])
        if neighbourhood is None:
            db.session.add(
                Neighbourhood(
                    code=record["code"],
                    district=district,
                    priority=record["income_index"] < PRIORITY_INCOME_THRESHOLD,
                    **{f: record[f] for f in FIGURES},
                )
            )
            result.created += 1
        else:
            _apply(neighbourhood, record, result, {"district_id": district.id})
    db.session.flush()
    _seed_indicators(data)
    return result


def _seed_indicators(data: dict) -> None:
    ids = dict(db.session.execute(select(Neighbourhood.code, Neighbourhood.id)).all())
    values = {(ids[record["code"]], "income_index"): (
        record["income_index"], record["income_year"], data["income_index_source"])
        for record in data["neighbourhoods"]}
    values |= {(ids[record["neighbourhood"]], record["indicator"]): (
        record["value"], record["year"], record["source"]) for record in data["indicators"]}
    store_indicators(values, now=utcnow(), replace=False)
