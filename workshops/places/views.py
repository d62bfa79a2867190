from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from wtforms import SelectChoice

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.forms import translated_form
from workshops.places import bp
from workshops.places.boundaries import import_boundaries_from
from workshops.places.forms import (
    BoundariesUploadForm,
    IndicatorsUploadForm,
    PriorityForm,
    VenueForm,
)
from workshops.places.indicators import COLUMNS as INDICATOR_COLUMNS
from workshops.places.indicators import INDICATORS, IndicatorRowsError, import_indicators
from workshops.places.models import NeedIndicator, Neighbourhood, NeighbourhoodBoundary, Venue
from workshops.places.queries import districts_with_neighbourhoods
from workshops.places.signals import venue_changed
from workshops.services import service_call


@bp.get("/staff/neighbourhoods")
@role_required(Role.COORDINATOR)
def neighbourhoods():
    return render_template(
        "places/neighbourhoods.html",
        districts=districts_with_neighbourhoods(),
        priority_form=PriorityForm(),
    )


@bp.post("/staff/neighbourhoods/<int:neighbourhood_id>/priority")
@role_required(Role.COORDINATOR)
def set_priority(neighbourhood_id: int):
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id) or abort(404)
    form = PriorityForm()
    if not form.validate_on_submit():
        abort(400)
    neighbourhood.priority = form.priority.data == "1"
    db.session.commit()
    if neighbourhood.priority:
        flash(_("%(name)s is now a priority neighbourhood.", name=neighbourhood.name), "success")
    else:
        flash(_("%(name)s is no longer a priority neighbourhood.", name=neighbourhood.name),
              "success")
    return redirect(url_for("places.neighbourhoods", _anchor=f"n{neighbourhood.code}"))


@bp.get("/staff/venues")
@role_required(Role.COORDINATOR)
def venues():
    all_venues = db.session.scalars(
        select(Venue).join(Venue.neighbourhood).order_by(Neighbourhood.name, Venue.name)
    ).all()
    return render_template("places/venues.html", venues=all_venues)


@bp.route("/staff/venues/new", methods=["GET", "POST"])
@bp.route("/staff/venues/<int:venue_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit_venue(venue_id: int | None = None):
    venue = (db.session.get(Venue, venue_id) or abort(404)) if venue_id else None
    form = translated_form(VenueForm, obj=venue)
    form.neighbourhood_id.choices = [SelectChoice(-1, "—")] + [
        SelectChoice(n.id, n.name, optgroup=d.name)
        for d in districts_with_neighbourhoods() for n in d.neighbourhoods
    ]
    if form.validate_on_submit():
        neighbourhood = db.session.get(Neighbourhood, form.neighbourhood_id.data)
        if neighbourhood is None:
            form.neighbourhood_id.errors = [_("Choose the neighbourhood.")]
        else:
            if venue is None:
                venue = Venue(neighbourhood=neighbourhood, name="", address="")
                db.session.add(venue)
            where_before = (venue.name, venue.address, venue.neighbourhood_id)
            form.populate_obj(venue)
            venue.neighbourhood = neighbourhood
            if venue.id and where_before != (venue.name, venue.address, neighbourhood.id):
                venue_changed.send(venue, now=utcnow())
            db.session.commit()
            flash(_("Venue saved."), "success")
            return redirect(url_for("places.venues"))
    status = 422 if form.errors else 200
    return render_template("places/venue_form.html", form=form, venue=venue), status


def _map_data_page(boundaries_form=None, indicators_form=None, problems=(), status=200):
    kept = db.session.execute(
        select(NeedIndicator.indicator, func.count(), func.min(NeedIndicator.year),
               func.max(NeedIndicator.year))
        .group_by(NeedIndicator.indicator)).all()
    outlines, last_imported = db.session.execute(
        select(func.count(), func.max(NeighbourhoodBoundary.imported_at))).one()
    return render_template(
        "places/map_data.html",
        boundaries_form=boundaries_form or BoundariesUploadForm(prefix="boundaries"),
        indicators_form=indicators_form or IndicatorsUploadForm(prefix="indicators"),
        problems=problems, outlines=outlines, last_imported=last_imported,
        neighbourhood_count=db.session.scalar(select(func.count()).select_from(Neighbourhood)),
        kept={row[0]: row[1:] for row in kept}, indicators=INDICATORS,
        columns=",".join(INDICATOR_COLUMNS)), status


@bp.get("/admin/map-data")
@role_required(Role.ADMIN)
def map_data():
    return _map_data_page()


@bp.post("/admin/map-data/boundaries")
@role_required(Role.ADMIN)
def upload_boundaries():
    """The same import as `flask places import-boundaries`, from an uploaded file."""
    form = BoundariesUploadForm(prefix="boundaries")
    if form.validate_on_submit():
        upload = form.file.data
        with service_call(form) as outcome:
            result = import_boundaries_from(upload.read(), name=upload.filename or "",
                                            now=utcnow())
        if outcome.succeeded:
            for line in result.summary():
                flash(line, "success")
            return redirect(url_for("reach.dashboard", _anchor="map-heading"))
    return _map_data_page(boundaries_form=form, status=422)


@bp.post("/admin/map-data/indicators")
@role_required(Role.ADMIN)
def upload_indicators():
    form = IndicatorsUploadForm(prefix="indicators")
    problems = []
    if form.validate_on_submit():
        with service_call(form) as outcome:
            stored = import_indicators(form.file.data.read(), now=utcnow())
        if outcome.succeeded:
            flash(ngettext("%(num)d indicator value saved.", "%(num)d indicator values saved.",
                           stored), "success")
            return redirect(url_for("places.map_data"))
        if isinstance(outcome.error, IndicatorRowsError):
            problems = outcome.error.problems
    return _map_data_page(indicators_form=form, problems=problems, status=422)
