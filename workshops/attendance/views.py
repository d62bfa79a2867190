"""The facilitator's pages: today's sessions, a session's roster, walk-ins, closing.

Every tap is a form post, so the roster works without JavaScript; with it, attendance.js
sends the same changes to the JSON sync endpoint and queues them while offline.
"""

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.attendance import bp
from workshops.attendance import services as attendance
from workshops.attendance.forms import RosterFilterForm, WalkInForm
from workshops.attendance.services import AttendanceError, Change
from workshops.boundary import MAX_ID, parse_id
from workshops.catalogue.models import Session
from workshops.catalogue.services import is_on_team
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.i18n import current_language
from workshops.places.models import Neighbourhood
from workshops.places.queries import districts_with_neighbourhoods
from workshops.registrations.disclosure import name_for_staff
from workshops.registrations.forms import OUTSIDE_BARCELONA, SUBMISSION_KEY_MAX_LENGTH
from workshops.registrations.models import AgeBand, Gender
from workshops.registrations.phones import masked_phone
from workshops.registrations.services import ResidentDetails
from workshops.services import DomainError, service_call

ALL_STAFF = tuple(Role)
MAX_CHANGES_PER_SYNC = 500


def session_for_staff(session_id: int) -> Session:
    """The session, if the signed-in user may take its attendance; else 404 or 403."""
    session = db.session.get(Session, session_id) or abort(404)
    if not is_on_team(current_user, session.workshop):
        abort(403)
    return session


def searchable(text: str) -> str:
    """Lower case without accents: "Mercè" is found by typing "merce"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _user():
    return current_user._get_current_object()


@bp.get("/staff/attendance")
@role_required(*ALL_STAFF)
def today():
    neighbourhood_id = None
    districts = []
    if current_user.has_role(Role.COORDINATOR):
        districts = districts_with_neighbourhoods()
        chosen = parse_id(request.args.get("neighbourhood"))
        if chosen is not None and db.session.get(Neighbourhood, chosen) is not None:
            neighbourhood_id = chosen
    listing = attendance.sessions_for(_user(), now=utcnow(), neighbourhood_id=neighbourhood_id)
    present = attendance.present_counts(
        [s.id for s in listing.today + listing.coming + listing.recent])
    return render_template("attendance/today.html", listing=listing, present=present,
                           districts=districts, neighbourhood_id=neighbourhood_id,
                           lang=current_language())


@bp.get("/staff/sessions/<int:session_id>/attendance")
@role_required(*ALL_STAFF)
def roster(session_id: int):
    """The door's list: names and the last three digits of each phone (to tell two people
    of the same name apart), for everyone who opens it, organisers and coordinators too.
    It lives on a shared tablet, kept for offline use by the service worker, where a full
    number is of no use. People on the waiting list are on it: those who come anyway are
    marked present, and take the places of people who did not come. Cancelled ones are not.
    """
    session = session_for_staff(session_id)
    filter_form = RosterFilterForm(request.args)
    query = searchable(filter_form.q.data or "") if filter_form.validate() else ""
    current = attendance.roster(session)
    no_match = bool(query) and not any(
        query in searchable(f"{row.registration.display_name} {row.registration.recorded_name}")
        for row in current.rows)
    now = utcnow()
    return render_template(
        "attendance/roster.html", session=session, workshop=session.workshop, roster=current,
        query=query, no_match=no_match, filter_form=filter_form, lang=current_language(),
        locked=attendance.is_locked(session, current_user, now=now),
        new_change_id=attendance.new_change_id, searchable=searchable, masked_phone=masked_phone,
        name_for_staff=name_for_staff,
        # For the script: "{n}" stands for the number (ca, es and en have two plural forms).
        waiting_texts=[ngettext("%(count)s change waiting to be saved",
                                "%(count)s changes waiting to be saved", n, count="{n}")
                       for n in (1, 2)])


def _back_to_roster(session: Session, anchor: str | None = None):
    return redirect(url_for("attendance.roster", session_id=session.id,
                            q=request.form.get("q") or None, _anchor=anchor), 303)


@bp.post("/staff/sessions/<int:session_id>/attendance/mark")
@role_required(*ALL_STAFF)
def mark(session_id: int):
    """One tap without JavaScript: a form post, then back to the same place in the list."""
    session = session_for_staff(session_id)
    registration_id = parse_id(request.form.get("registration_id"))
    present = request.form.get("present", "")
    if registration_id is None or present not in ("0", "1"):
        abort(400)
    now = utcnow()
    change = Change(request.form.get("change_id", "") or attendance.new_change_id(),
                    registration_id, present == "1", now)
    with service_call():
        attendance.mark(session, change, by=_user(), now=now)
    return _back_to_roster(session, f"person-{registration_id}")


def _change_from_json(item) -> Change:
    try:
        change_id, registration_id = item["change_id"], item["registration_id"]
        present, marked_at_ms = item["present"], item["marked_at"]
    except (KeyError, TypeError):
        raise AttendanceError("bad_change") from None
    if (not isinstance(change_id, str) or not isinstance(present, bool)
            or type(registration_id) is not int or not 0 < registration_id <= MAX_ID
            or not isinstance(marked_at_ms, int | float)):
        raise AttendanceError("bad_change")
    return Change(change_id, registration_id, present, _time_from_ms(marked_at_ms))


def _walk_in_from_json(session: Session, item, now: datetime):
    """A walk-in added while offline: the same form, filled on the tablet and queued."""
    fields = item.get("fields") if isinstance(item, dict) else None
    change_id = item.get("change_id") if isinstance(item, dict) else None
    marked_at_ms = item.get("marked_at") if isinstance(item, dict) else None
    if (not isinstance(fields, dict) or not isinstance(change_id, str)
            or not 0 < len(change_id) <= SUBMISSION_KEY_MAX_LENGTH
            or not isinstance(marked_at_ms, int | float)):
        raise AttendanceError("bad_change")
    formdata = MultiDict({key: str(value) for key, value in fields.items()
                          if isinstance(value, str | int)})
    formdata["submission_key"] = change_id
    form = WalkInForm(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        return None, " ".join(f"{form[name].label.text}: {error}"
                              for name, errors in form.errors.items() for error in errors)
    registration = attendance.add_walk_in(
        session, _walk_in_details(form), by=_user(), now=now, submission_key=change_id,
        marked_at=_time_from_ms(marked_at_ms))
    return registration, None


def _time_from_ms(milliseconds) -> datetime:
    try:
        return datetime.fromtimestamp(milliseconds / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise AttendanceError("bad_change") from None


def _json_body():
    """The request's JSON, or 400: deeply nested JSON raises RecursionError, not ValueError."""
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        abort(400)


@bp.post("/staff/sessions/<int:session_id>/attendance/sync")
@role_required(*ALL_STAFF)
def sync(session_id: int):
    """Changes from the tablet (queued while offline, or sent at once), as JSON.

    Walk-ins added offline come first, then taps. Each gets a result; the tablet does not
    retry a rejected one.
    """
    session = session_for_staff(session_id)
    payload = _json_body()
    changes = payload.get("changes") if isinstance(payload, dict) else None
    walk_ins = payload.get("walk_ins", []) if isinstance(payload, dict) else None
    if (not isinstance(changes, list) or not isinstance(walk_ins, list)
            or len(changes) + len(walk_ins) > MAX_CHANGES_PER_SYNC):
        abort(400)
    now = utcnow()
    results = []
    for item in walk_ins:
        change_id = item.get("change_id") if isinstance(item, dict) else None
        try:
            with db.session.begin_nested():
                registration, problem = _walk_in_from_json(session, item, now)
        except DomainError as error:
            registration, problem = None, str(error.message)
        if registration is None:
            results.append({"change_id": change_id, "status": "rejected", "message": problem})
        else:
            results.append({"change_id": change_id, "status": "applied",
                            "registration_id": registration.id})
    for item in changes:
        change_id = item.get("change_id") if isinstance(item, dict) else None
        try:
            status = attendance.mark(session, _change_from_json(item), by=_user(), now=now)
        except AttendanceError as error:
            results.append({"change_id": change_id, "status": "rejected",
                            "message": str(error.message)})
        else:
            results.append({"change_id": change_id, "status": status})
    db.session.commit()
    return jsonify(results=results, counts=attendance.roster(session).counts(),
                   csrf_token=generate_csrf())


def _walk_in_details(form: WalkInForm) -> ResidentDetails:
    neighbourhood = None
    if form.home_neighbourhood.data != OUTSIDE_BARCELONA:
        neighbourhood = db.session.get(Neighbourhood, int(form.home_neighbourhood.data))
    return ResidentDetails(
        phone=form.parsed_phone, name=form.name.data, home_neighbourhood=neighbourhood,
        lives_outside_barcelona=form.home_neighbourhood.data == OUTSIDE_BARCELONA,
        age_band=AgeBand(form.age_band.data) if form.age_band.data else None,
        gender=Gender(form.gender.data or Gender.UNSAID), preferred_language=current_language())


@bp.route("/staff/sessions/<int:session_id>/attendance/walk-in", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def walk_in(session_id: int):
    session = session_for_staff(session_id)
    form = WalkInForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            registration = attendance.add_walk_in(
                session, _walk_in_details(form), by=_user(), now=utcnow(),
                submission_key=form.submission_key.data or "")
        if call.succeeded:
            flash(_("%(name)s is on the list and marked present.",
                    name=registration.display_name), "success")
            return redirect(url_for("attendance.roster", session_id=session.id,
                                    _anchor=f"person-{registration.id}"), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("attendance/walk_in.html", form=form, session=session,
                           workshop=session.workshop, lang=current_language()), status


@bp.post("/staff/sessions/<int:session_id>/attendance/close")
@role_required(*ALL_STAFF)
def close(session_id: int):
    session = session_for_staff(session_id)
    with service_call() as call:
        count = attendance.close(session, by=_user(), now=utcnow())
    if call.succeeded:
        flash(ngettext("Session closed: %(num)d person not marked is now absent.",
                       "Session closed: %(num)d people not marked are now absent.", count),
              "success")
    return _back_to_roster(session)


@bp.get("/attendance-sw.js")
def service_worker():
    """Served from the root: a service worker only sees requests under its own folder, and
    this one must see the roster pages, the static assets and signing out."""
    script = Path(current_app.static_folder, "js", "attendance-sw.js").read_bytes()
    return script, 200, {"Content-Type": "text/javascript; charset=utf-8",
                         "Cache-Control": "no-cache"}
