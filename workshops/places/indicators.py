"""Need indicators: how much each neighbourhood needs the programme, beside its reach.

The portal keeps the indicators declared in `INDICATORS`, one value per neighbourhood, each
with the year it describes and its source. Admins update them by uploading a CSV with the
columns `neighbourhood_code,indicator,value,year,source` (a header row first, comma or
semicolon, UTF-8): every row is checked, every error is reported with its row number, and
nothing is written unless every row is right.
"""

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workshops.extensions import db
from workshops.places.boundaries import FileImportError
from workshops.places.models import NeedIndicator, Neighbourhood
from workshops.services import DomainError

COLUMNS = ("neighbourhood_code", "indicator", "value", "year", "source")
SOURCE_LENGTH = 300
MAX_ROWS = 5000
EARLIEST_YEAR = 1900


@dataclass(frozen=True)
class Indicator:
    key: str
    label: object  # a lazy string
    unit: object
    minimum: float
    maximum: float


# Lower values mean more need for both: "where next" relies on it.
INDICATORS = {
    indicator.key: indicator for indicator in (
        Indicator("income_index", _l("Income index"), _l("Barcelona = 100"), 0, 1000),
        Indicator("households_internet", _l("Households with internet at home"), _l("%"),
                  0, 100),
    )
}


class IndicatorUploadError(FileImportError):
    messages = {
        "not_csv": _l("The file is not a CSV file in UTF-8."),
        "empty": _l("The file is empty: there is nothing to import."),
        "header": _l("The first row must name the columns: %(columns)s."),
        "too_many_rows": _l("The file has more than %(limit)s rows."),
    }


class IndicatorRowsError(DomainError):
    """Some rows are wrong: `problems` lists (row number, message), in the file's order."""

    messages = {"rows": _l("Some rows are wrong: nothing was imported.")}

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__("rows", field="file")
        self.problems = problems


ROW_MESSAGES = {
    "columns": _l("it has %(found)s columns instead of 5."),
    "neighbourhood": _l("there is no neighbourhood with the code “%(value)s”."),
    "indicator": _l("“%(value)s” is not an indicator the portal keeps (%(known)s)."),
    "value": _l("the value “%(value)s” is not a number from %(minimum)s to %(maximum)s."),
    "year": _l("the year “%(value)s” is not a year from %(earliest)s to %(latest)s."),
    "source": _l("the source is missing or longer than %(limit)s characters."),
    "repeated": _l("neighbourhood %(code)s and %(indicator)s are already in row %(row)s."),
}


def _row_problem(problem: str, **params) -> str:
    return str(ROW_MESSAGES[problem]) % params


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:39] + "…"


def _number(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text or len(text) > 20 or not all(c in "0123456789.-" for c in text):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _rows(raw: bytes) -> list[list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IndicatorUploadError("not_csv") from None
    if "\x00" in text:
        raise IndicatorUploadError("not_csv")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise IndicatorUploadError("empty")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise IndicatorUploadError("not_csv") from None
    if len(rows) > MAX_ROWS + 1:
        raise IndicatorUploadError("too_many_rows", limit=MAX_ROWS)
    return rows


def import_indicators(raw: bytes, *, now: datetime) -> int:
    """Store every row of the CSV `raw` (replacing the same neighbourhood and indicator);
    returns how many rows. Raises before writing anything when any row is wrong."""
    rows = _rows(raw)
    header = [cell.strip().lower() for cell in rows[0]]
    if tuple(header) != COLUMNS:
        raise IndicatorUploadError("header", columns=",".join(COLUMNS))
    neighbourhoods = {str(n.code): n.id for n in db.session.scalars(select(Neighbourhood))}
    latest = now.year + 1
    values, problems, seen = {}, [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(COLUMNS):
            problems.append((number, _row_problem("columns", found=len(row))))
            continue
        code, key, value_text, year_text, source = (cell.strip() for cell in row)
        code = code.lstrip("0") or code
        row_problems = []
        if code not in neighbourhoods:
            row_problems.append(_row_problem("neighbourhood", value=_shown(code)))
        indicator = INDICATORS.get(key)
        if indicator is None:
            row_problems.append(_row_problem("indicator", value=_shown(key),
                                             known=", ".join(INDICATORS)))
        value = _number(value_text)
        if indicator and (value is None or not indicator.minimum <= value <= indicator.maximum):
            row_problems.append(_row_problem("value", value=_shown(value_text),
                                             minimum=indicator.minimum,
                                             maximum=indicator.maximum))
        year = int(year_text) if year_text.isascii() and year_text.isdigit() and len(
            year_text) == 4 else None
        if year is None or not EARLIEST_YEAR <= year <= latest:
            row_problems.append(_row_problem("year", value=_shown(year_text),
                                             earliest=EARLIEST_YEAR, latest=latest))
        if not source or len(source) > SOURCE_LENGTH:
            row_problems.append(_row_problem("source", limit=SOURCE_LENGTH))
        if not row_problems and (code, key) in seen:
            row_problems.append(_row_problem("repeated", code=code, indicator=key,
                                             row=seen[code, key]))
        if row_problems:
            problems += [(number, problem) for problem in row_problems]
            continue
        seen[code, key] = number
        values[neighbourhoods[code], key] = (value, year, source)
    if problems:
        raise IndicatorRowsError(problems)
    if not values:
        raise IndicatorUploadError("empty")
    store_indicators(values, now=now)
    return len(values)


def store_indicators(values: dict[tuple[int, str], tuple[float, int, str]], *,
                     now: datetime, replace: bool = True) -> None:
    """Write `values` ({(neighbourhood id, indicator): (value, year, source)}); with
    `replace` false, only those the portal does not keep yet.

    A neighbourhood's income index is also its own column, which the reach exports and the
    open data publish: it takes each new value, so downloads say what the page says."""
    kept = {(row.neighbourhood_id, row.indicator): row
            for row in db.session.scalars(select(NeedIndicator))}
    new_incomes = {}
    for (neighbourhood_id, key), (value, year, source) in values.items():
        row = kept.get((neighbourhood_id, key))
        if row is None:
            db.session.add(NeedIndicator(neighbourhood_id=neighbourhood_id, indicator=key,
                                         value=value, year=year, source=source,
                                         updated_at=now))
        elif replace:
            row.value, row.year, row.source, row.updated_at = value, year, source, now
        else:
            continue
        if key == "income_index":
            new_incomes[neighbourhood_id] = (value, year)
    if new_incomes:
        for neighbourhood in db.session.scalars(
                select(Neighbourhood).where(Neighbourhood.id.in_(new_incomes))):
            value, year = new_incomes[neighbourhood.id]
            if (neighbourhood.income_index, neighbourhood.income_year) != (value, year):
                neighbourhood.income_index, neighbourhood.income_year = value, year
    db.session.flush()


def indicators_by_neighbourhood() -> dict[int, dict[str, NeedIndicator]]:
    """Every kept indicator, by neighbourhood code and indicator key: one query."""
    rows = db.session.execute(
        select(Neighbourhood.code, NeedIndicator)
        .join(NeedIndicator, NeedIndicator.neighbourhood_id == Neighbourhood.id)).all()
    found: dict[int, dict[str, NeedIndicator]] = {}
    for code, indicator in rows:
        found.setdefault(code, {})[indicator.indicator] = indicator
    return found
