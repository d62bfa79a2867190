"""The reach dashboard for coordinators, its exports, and the public open-data export."""

import hashlib
from datetime import date
from functools import cache

from flask import render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.http import is_resource_modified
from wtforms import SelectChoice

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.catalogue.models import AUDIENCE_LABELS, Topic
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.i18n import current_language
from workshops.places.indicators import INDICATORS, indicators_by_neighbourhood
from workshops.places.map import choropleth_svg
from workshops.places.models import District, Neighbourhood
from workshops.reach import bp, open_data
from workshops.reach.charts import Datum, bar_chart, column_chart
from workshops.reach.exports import as_csv, as_json, records
from workshops.reach.figures import FIGURES, explained_by, on_the_page
from workshops.reach.formatting import decimal, percent, shown
from workshops.reach.forms import ReachFilterForm
from workshops.reach.overview import (
    NEED_SORT,
    Needs,
    district_groups,
    headline,
    sort_keys,
    where_next,
)
from workshops.reach.queries import (
    BY_HOME,
    BY_VENUE,
    MAX_YEARS,
    ReachFilters,
    default_period,
    local_today,
    previous_city,
    previous_period,
    reach,
)
from workshops.registrations.models import AGE_BAND_LABELS, CHANNEL_LABELS, GENDER_LABELS

# The district income index comes with the places' seed (sources in its file).
DISTRICT_INCOME_SOURCE = "Ajuntament de Barcelona, Dept. d'Estadística, Índex RFD"


def _topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))


def _filter_form(lang: str, topics: list[Topic],
                 districts: list[District]) -> ReachFilterForm:
    form = ReachFilterForm(request.args)
    anything = SelectChoice("", "—")
    form.district.choices = [anything] + [SelectChoice(d.code, d.name) for d in districts]
    form.topic.choices = [anything] + [SelectChoice(t.key, t.name(lang).text) for t in topics]
    form.audience.choices = [anything] + [SelectChoice(k.value, v)
                                          for k, v in AUDIENCE_LABELS.items()]
    form.channel.choices = [anything] + [SelectChoice(k.value, v)
                                         for k, v in CHANNEL_LABELS.items()]
    return form


def filters_from(form: ReachFilterForm, today: date) -> ReachFilters:
    """Only values the form offers count; anything else falls back, never an error page."""
    form.validate()

    def offered(field) -> str:
        allowed = {str(choice.value) for choice in field.choices if choice.value}
        return field.data if field.data in allowed else ""

    default_from, default_to = default_period(today)
    date_to = form.date_to.data if form.date_to.data and not form.date_to.errors else default_to
    date_from = (form.date_from.data if form.date_from.data and not form.date_from.errors
                 else default_from)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    date_from = max(date_from, default_period(date_to, years=MAX_YEARS)[0])
    form.date_from.data, form.date_to.data = date_from, date_to  # show the period counted
    return ReachFilters(
        date_from=date_from, date_to=date_to,
        by=BY_HOME if form.by.data == BY_HOME else BY_VENUE,
        district=offered(form.district), topic=offered(form.topic),
        audience=offered(form.audience), channel=offered(form.channel),
    )


def _reach_map(result):
    """Residents reached per 1,000 inhabitants on the city's map, or None when no
    neighbourhood boundaries have been imported."""
    ids = dict(db.session.execute(select(Neighbourhood.code, Neighbourhood.id)).all())
    values = {ids[int(place.code)]: place.figures.per_thousand
              for place in result.neighbourhoods if int(place.code) in ids}
    return choropleth_svg(
        values, title=_("Residents reached per 1,000 inhabitants, by neighbourhood"),
        description=_("Residents who live in each neighbourhood and attended at least once, "
                      "per 1,000 inhabitants. The neighbourhoods table has the same numbers."),
        formatter=decimal)


def _charts(result, lang: str) -> dict:
    districts = [Datum(d.name, d.figures.per_thousand or 0, decimal(d.figures.per_thousand))
                 for d in result.districts]
    months = [Datum(m.month.strftime("%m/%y"), m.residents_attended,
                    format_decimal(m.residents_attended, "#,##0")) for m in result.months]
    channels = [Datum(str(CHANNEL_LABELS[b.key]), b.registrations,
                      format_decimal(b.registrations, "#,##0"))
                for b in result.breakdowns["channel"]]
    return {
        "districts": bar_chart(
            "chart-districts", _("Residents reached per 1,000 inhabitants, by district"),
            _("One bar per district: residents who attended at least once, living in the "
              "district, per 1,000 inhabitants. The table beside it has the same numbers."),
            districts),
        "months": column_chart(
            "chart-months", _("Residents who attended, month by month"),
            _("One column per month: different residents marked present at least once at a "
              "workshop that began that month. The table beside it has the same numbers."),
            months),
        "channels": bar_chart(
            "chart-channels", _("Registrations by channel"),
            _("One bar per channel (web, SMS, phone call, staff, walk-in): registrations made "
              "through it. The table beside it has the same numbers."),
            channels),
    }


def _breakdown_labels(topics: list[Topic], lang: str) -> dict[str, dict]:
    return {
        "age": {k.value: v for k, v in AGE_BAND_LABELS.items()},
        "gender": {k.value: v for k, v in GENDER_LABELS.items()},
        "topic": {str(t.id): t.name(lang).text for t in topics},
        "channel": {k.value: v for k, v in CHANNEL_LABELS.items()},
    }


def _districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.code)))


def _current_filters(districts: list[District] | None = None):
    lang = current_language()
    topics = _topics()
    form = _filter_form(lang, topics, _districts() if districts is None else districts)
    now = utcnow()
    filters = filters_from(form, local_today(now))
    return lang, topics, form, filters, now


@bp.get("/reach")
@role_required(Role.COORDINATOR)
def dashboard():
    districts = _districts()
    lang, topics, form, filters, now = _current_filters(districts)
    result = reach(filters, now=now)
    previous = previous_city(filters, now=now)
    needs = indicators_by_neighbourhood()
    sort = request.args.get("sort", "")
    sort = sort if sort in sort_keys() else "district"
    descending = request.args.get("dir") == "desc"
    args = {key: value for key, value in request.args.items()
            if key not in ("sort", "dir") and value}

    @cache  # each table's headings ask again: ~150 links, a dozen different ones
    def sort_url(column: str) -> str:
        flip = "asc" if column == sort and descending else (
            "desc" if column == sort or column not in ("name", "district") else "asc")
        return url_for("reach.dashboard", **args, sort=column, dir=flip,
                       _anchor="neighbourhoods")

    return render_template(
        "reach/dashboard.html", form=form, filters=filters, result=result, lang=lang,
        previous_filters=previous_period(filters), headline=headline(result, previous),
        groups=district_groups(result, sort, descending, needs), needs=needs,
        district_income={d.code: d.income_year for d in districts},
        district_income_source=DISTRICT_INCOME_SOURCE, indicators=INDICATORS,
        need_sources=_need_sources(needs), need_sort=NEED_SORT,
        sort=sort, descending=descending, sort_url=sort_url,
        where_next=where_next(result.neighbourhoods, needs),
        charts=_charts(result, lang), reach_map=_reach_map(result),
        labels=_breakdown_labels(topics, lang),
        percent=percent, decimal=decimal, BY_HOME=BY_HOME,
        table_figures=on_the_page(), all_figures=FIGURES, shown=shown,
        explained_by=explained_by, export_args=args,
    )


def _need_sources(needs: Needs) -> dict[str, list[tuple[str, str]]]:
    """Per indicator, its sources with the years each gives: [(source, "2014"), …]."""
    years: dict[str, dict[str, set[int]]] = {}
    for kept in needs.values():
        for key, indicator in kept.items():
            years.setdefault(key, {}).setdefault(indicator.source, set()).add(indicator.year)
    return {key: sorted((source, ", ".join(map(str, sorted(found))))
                        for source, found in by_source.items())
            for key, by_source in years.items()}


def _download(body: bytes, content_type: str, filename: str, cache: str = "no-store"):
    return body, 200, {"Content-Type": content_type,
                       "Content-Disposition": f'attachment; filename="{filename}"',
                       "Cache-Control": cache}


def _filename(filters: ReachFilters, extension: str, prefix: str = "") -> str:
    return f"{prefix}reach-{filters.by}-{filters.date_from}-{filters.date_to}.{extension}"


@bp.get("/reach.csv")
@role_required(Role.COORDINATOR)
def dashboard_csv():
    _lang, _topics_, _form, filters, now = _current_filters()
    result = reach(filters, now=now)
    return _download(as_csv(records(result)), "text/csv; charset=utf-8",
                     _filename(filters, "csv"))


@bp.get("/reach.json")
@role_required(Role.COORDINATOR)
def dashboard_json():
    _lang, topics, _form, filters, now = _current_filters()
    result = reach(filters, now=now)
    body = as_json(result, records(result), public=False,
                   topic_keys={str(t.id): t.key for t in topics})
    return _download(body, "application/json", _filename(filters, "json"))


def _open_data(extension: str):
    """The last 12 months for the whole city, by venue or by home, small counts suppressed
    and none recoverable from the rest (`disclosure`).

    No other filter: narrow slices would let anyone subtract their way to small numbers.
    Built once per version of its data for every process (`open_data`), since anyone may
    ask for it and it scans every attendance row.
    """
    now = utcnow()
    today = local_today(now)
    by = BY_HOME if request.args.get("by") == BY_HOME else BY_VENUE
    version = open_data.version_key(now, today)
    # The answer is never older than the data: clients ask again each time, and a
    # conditional request for the same version of the data gets 304.
    etag = hashlib.sha256(repr((version, by, extension, current_language())).encode()
                          ).hexdigest()[:32]
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, no-cache"}
    if not is_resource_modified(request.environ, etag=etag):
        return "", 304, headers
    tables = open_data.open_tables(today, now, version)
    filters, rows = tables.filters(by), tables.rows[by]
    body = (as_csv(rows) if extension == "csv"
            else as_json(open_data.Published(filters), rows, public=True, topic_keys={}))
    content_type = "text/csv; charset=utf-8" if extension == "csv" else "application/json"
    status = _download(body, content_type, _filename(filters, extension, "open-data-"),
                       cache=headers["Cache-Control"])
    return status[0], status[1], status[2] | headers


@bp.get("/open-data/reach.csv")
def open_data_csv():
    return _open_data("csv")


@bp.get("/open-data/reach.json")
def open_data_json():
    return _open_data("json")
