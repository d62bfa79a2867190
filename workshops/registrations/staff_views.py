"""Staff pages: a workshop's registrations (and CSV), registering someone, erasure."""


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workshops.accounts.access import role_required
from workshops.accounts.models import Role

# A module, not its names: attendance's services import this package in turn.
from workshops.attendance import services as attendance
from workshops.catalogue.models import Workshop
from workshops.catalogue.schedule import to_local
from workshops.catalogue.services import can_edit
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.i18n import current_language
from workshops.registrations import bp
from workshops.registrations import services as registrations
from workshops.registrations.erasure import erase_resident, resident_by_phone
from workshops.registrations.forms import ErasePhoneForm, StaffRegistrationForm
from workshops.registrations.models import (
    AGE_BAND_LABELS,
    CHANNEL_LABELS,
    GENDER_LABELS,
    STATUS_LABELS,
    Channel,
    Registration,
    RegistrationStatus,
    Resident,
)
from workshops.registrations.phones import display_phone
from workshops.registrations.services import RegistrationError
from workshops.registrations.views import details_from_form
from workshops.spreadsheets import csv_download

ALL_STAFF = tuple(Role)


def can_see_registrations(user, workshop: Workshop) -> bool:
    return can_edit(user, workshop) or any(f.id == user.id for f in workshop.facilitators)


def workshop_for_staff(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id) or abort(404)
    if not can_see_registrations(current_user, workshop):
        abort(403)
    return workshop


def registrations_in_order(workshop: Workshop) -> list[Registration]:
    """Confirmed first (by date), then the waiting list in its order, then cancelled."""
    rank = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.WAITLISTED: 1,
            RegistrationStatus.CANCELLED: 2}
    rows = db.session.scalars(
        select(Registration).where(Registration.workshop_id == workshop.id)
        .options(selectinload(Registration.resident).selectinload(Resident.home_neighbourhood))
    ).all()
    return sorted(rows, key=lambda r: (rank[r.status], r.queued_at, r.id))


def with_positions(rows: list[Registration]):
    position = 0
    for registration in rows:
        if registration.status == RegistrationStatus.WAITLISTED:
            position += 1
            yield registration, position
        else:
            yield registration, None


@bp.get("/staff/workshops/<int:workshop_id>/registrations")
@role_required(*ALL_STAFF)
def workshop_registrations(workshop_id: int):
    workshop = workshop_for_staff(workshop_id)
    rows = list(with_positions(registrations_in_order(workshop)))
    return render_template(
        "registrations/staff/list.html", workshop=workshop, rows=rows, lang=current_language(),
        attended=attendance.sessions_attended(workshop),
        sessions_held=attendance.sessions_held(workshop, utcnow()),
        STATUS_LABELS=STATUS_LABELS, CHANNEL_LABELS=CHANNEL_LABELS, display_phone=display_phone)


@bp.get("/staff/workshops/<int:workshop_id>/registrations.csv")
@role_required(*ALL_STAFF)
def workshop_registrations_csv(workshop_id: int):
    workshop = workshop_for_staff(workshop_id)
    lang = current_language()
    header = [_("Status"), _("Waiting list position"), _("Name"), _("Phone"), _("Email"),
              _("Neighbourhood where they live"), _("Age"), _("Gender"), _("Channel"),
              _("Registered on"), _("Name on record for this phone"), _("Sessions attended")]
    attended = attendance.sessions_attended(workshop)
    rows = []
    for registration, position in with_positions(registrations_in_order(workshop)):
        resident = registration.resident
        home = (resident.home_neighbourhood.name if resident.home_neighbourhood
                else _("Outside Barcelona") if resident.lives_outside_barcelona else "")
        rows.append([
            STATUS_LABELS[registration.status], position or "", registration.display_name,
            display_phone(resident.phone), resident.email, home,
            AGE_BAND_LABELS[resident.age_band] if resident.age_band else "",
            GENDER_LABELS[resident.gender], CHANNEL_LABELS[registration.channel],
            to_local(registration.created_at).strftime("%d/%m/%Y %H:%M"),
            registration.recorded_name, attended.get(registration.id, 0),
        ])
    filename = f"inscripcions-{workshop.public_code}.csv" if lang == "ca" else (
        f"inscripciones-{workshop.public_code}.csv" if lang == "es"
        else f"registrations-{workshop.public_code}.csv")
    return csv_download(header, rows, filename)


@bp.route("/staff/workshops/<int:workshop_id>/registrations/new", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def register_on_behalf(workshop_id: int):
    workshop = workshop_for_staff(workshop_id)
    form = StaffRegistrationForm()
    if form.validate_on_submit():
        try:
            registration = registrations.register(
                workshop.id, details_from_form(form), channel=Channel.STAFF, now=utcnow(),
                created_by=current_user._get_current_object())
        except RegistrationError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            if registration.status == RegistrationStatus.CONFIRMED:
                flash(_("%(name)s is registered.", name=registration.display_name), "success")
            else:
                flash(_("The workshop is full: %(name)s is on the waiting list.",
                        name=registration.display_name), "success")
            return redirect(url_for("registrations.workshop_registrations",
                                    workshop_id=workshop.id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("registrations/staff/new.html", form=form, workshop=workshop,
                           lang=current_language()), status


@bp.route("/staff/residents/erase", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def erase_lookup():
    form = ErasePhoneForm()
    resident = None
    if form.validate_on_submit():
        resident = resident_by_phone(form.parsed_phone.e164)
        if resident is None:
            form.phone.errors = [_("No resident has this phone number.")]
    status = 422 if form.errors else 200
    count = 0
    if resident is not None:
        count = len(db.session.scalars(select(Registration.id).where(
            Registration.resident_id == resident.id)).all())
    return render_template("registrations/staff/erase.html", form=form, resident=resident,
                           registrations_count=count, display_phone=display_phone), status


@bp.post("/staff/residents/<int:resident_id>/erase")
@role_required(Role.COORDINATOR)
def erase(resident_id: int):
    resident = db.session.get(Resident, resident_id) or abort(404)
    form = ErasePhoneForm()
    if not request.form.get("confirm") or not form.validate_on_submit():
        abort(400)
    if resident.phone != form.parsed_phone.e164:
        abort(400)
    erase_resident(resident, now=utcnow())
    db.session.commit()
    flash(_("The person's personal data has been erased. Anonymous figures remain."),
          "success")
    return redirect(url_for("registrations.erase_lookup"), 303)
