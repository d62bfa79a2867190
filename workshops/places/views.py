from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.extensions import db
from workshops.places import bp
from workshops.places.forms import PriorityForm
from workshops.places.models import Neighbourhood
from workshops.places.queries import districts_with_neighbourhoods


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
