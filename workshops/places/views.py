from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.forms import translated_form
from workshops.places import bp
from workshops.places.forms import PriorityForm, VenueForm
from workshops.places.models import Neighbourhood, Venue
from workshops.places.queries import districts_with_neighbourhoods
from workshops.places.signals import venue_changed


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
