"""Staff pages: a workshop's registrations (and CSV), registering someone, correcting and
erasing a resident.

Who sees what of the registrants is decided in `disclosure`; looking at the list,
downloading it, finding a resident by phone or opening her from the list, opening her
details, correcting and erasing them are recorded in the audit log.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from workshops.accounts.access import role_required
from workshops.accounts.models import Role

# A module, not its names: attendance's services import this package in turn.
from workshops.attendance import services as attendance
from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.catalogue.local_time import to_local
from workshops.catalogue.models import Workshop
from workshops.catalogue.services import is_on_team
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.forms import ActionForm
from workshops.i18n import current_language
from workshops.places.models import Neighbourhood
from workshops.registrations import bp
from workshops.registrations import services as registrations
from workshops.registrations.corrections import UNCHANGED, Correction, correct_resident
from workshops.registrations.disclosure import registrants, sees_contact_details
from workshops.registrations.erasure import erase_resident, resident_by_phone
from workshops.registrations.forms import (
    AGE_UNSAID,
    OUTSIDE_BARCELONA,
    ErasePhoneForm,
    ResidentCorrectionForm,
    StaffRegistrationForm,
)
from workshops.registrations.models import (
    CHANNEL_LABELS,
    STATUS_LABELS,
    AgeBand,
    Channel,
    Gender,
    Registration,
    RegistrationStatus,
    Resident,
)
from workshops.registrations.phones import display_phone
from workshops.registrations.views import details_from_form
from workshops.services import service_call
from workshops.spreadsheets import csv_download

ALL_STAFF = tuple(Role)


def workshop_for_staff(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id) or abort(404)
    if not is_on_team(current_user, workshop):
        abort(403)
    return workshop


def _current_user():
    return current_user._get_current_object()


@bp.get("/staff/workshops/<int:workshop_id>/registrations")
@role_required(*ALL_STAFF)
def workshop_registrations(workshop_id: int):
    workshop = workshop_for_staff(workshop_id)
    now = utcnow()
    page = render_template(
        "registrations/staff/list.html", workshop=workshop, lang=current_language(),
        rows=registrants(workshop, _current_user()),
        full_contact=sees_contact_details(current_user, workshop),
        attended=attendance.sessions_attended(workshop),
        sessions_held=attendance.sessions_held(workshop, now),
        STATUS_LABELS=STATUS_LABELS, CHANNEL_LABELS=CHANNEL_LABELS)
    audit.record(_current_user(), AuditAction.REGISTRATIONS_VIEWED, workshop, now=now)
    db.session.commit()
    return page


@bp.get("/staff/workshops/<int:workshop_id>/registrations.csv")
@role_required(*ALL_STAFF)
def workshop_registrations_csv(workshop_id: int):
    """The list as a spreadsheet, with the same columns the viewer sees on the page (see
    `disclosure`): email and home neighbourhood for the organiser and coordinators only."""
    workshop = workshop_for_staff(workshop_id)
    lang = current_language()
    full = sees_contact_details(current_user, workshop)
    header = [_("Status"), _("Waiting list position"), _("Name"), _("Phone")]
    if full:
        header += [_("Email"), _("Neighbourhood where they live")]
    header += [_("Channel"), _("Registered on"), _("Name on record for this phone"),
               _("Sessions attended")]
    attended = attendance.sessions_attended(workshop)
    rows = []
    for person in registrants(workshop, _current_user()):
        row = [STATUS_LABELS[person.status], person.position or "", person.name, person.phone]
        if full:
            home = (person.home_neighbourhood.name if person.home_neighbourhood
                    else _("Outside Barcelona") if person.lives_outside_barcelona else "")
            row += [person.email, home]
        row += [CHANNEL_LABELS[person.channel],
                to_local(person.created_at).strftime("%d/%m/%Y %H:%M"), person.recorded_name,
                attended.get(person.registration_id, 0)]
        rows.append(row)
    audit.record(_current_user(), AuditAction.REGISTRATIONS_EXPORTED, workshop, now=utcnow())
    db.session.commit()
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
        with service_call(form) as call:
            registration = registrations.register(
                workshop.id, details_from_form(form), channel=Channel.STAFF, now=utcnow(),
                created_by=current_user._get_current_object())
        if call.succeeded:
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


def _registrations_count(resident: Resident) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.resident_id == resident.id))


@bp.route("/staff/residents/erase", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def erase_lookup():
    form = ErasePhoneForm()
    resident = unknown_phone = None
    if form.validate_on_submit():
        resident = resident_by_phone(form.parsed_phone.e164)
        if resident is None:
            form.phone.errors = [_("No resident has this phone number.")]
            unknown_phone = form.parsed_phone.e164
    status = 422 if form.errors else 200
    count = 0
    if resident is not None:
        count = _registrations_count(resident)
        audit.record(_current_user(), AuditAction.RESIDENT_FOUND, resident, now=utcnow())
        db.session.commit()
    return render_template("registrations/staff/erase.html", form=form, resident=resident,
                           unknown_phone=unknown_phone, registrations_count=count,
                           display_phone=display_phone), status


@bp.get("/staff/residents/<int:resident_id>")
@role_required(Role.COORDINATOR)
def resident_page(resident_id: int):
    """A resident opened from a workshop's registrations: the way to someone with no phone,
    whom the lookup by phone cannot find."""
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.erased_at is not None:
        abort(404)
    page = render_template("registrations/staff/resident.html", resident=resident,
                           registrations_count=_registrations_count(resident),
                           display_phone=display_phone)
    audit.record(_current_user(), AuditAction.RESIDENT_VIEWED, resident, now=utcnow())
    db.session.commit()
    return page


@bp.post("/staff/residents/<int:resident_id>/erase")
@role_required(Role.COORDINATOR)
def erase(resident_id: int):
    """Erase on confirmation. For someone with a phone, the form repeats the phone she was
    found by, so the erasure is of that person and no other."""
    resident = db.session.get(Resident, resident_id) or abort(404)
    if resident.erased_at is not None:
        abort(404)
    form = ErasePhoneForm() if resident.phone else ActionForm()
    if not request.form.get("confirm") or not form.validate_on_submit():
        abort(400)
    if resident.phone and resident.phone != form.parsed_phone.e164:
        abort(400)
    now = utcnow()
    erase_resident(resident, now=now)
    audit.record(_current_user(), AuditAction.RESIDENT_ERASED, resident, now=now)
    db.session.commit()
    flash(_("The person's personal data has been erased. Anonymous figures remain."),
          "success")
    return redirect(url_for("registrations.erase_lookup"), 303)


def _stored_details(resident: Resident) -> dict:
    """What the correction form starts from: not her age band or gender (see the form)."""
    home = (str(resident.home_neighbourhood_id) if resident.home_neighbourhood_id
            else OUTSIDE_BARCELONA if resident.lives_outside_barcelona else "")
    return {"name": resident.name, "email": resident.email, "home_neighbourhood": home,
            "preferred_language": resident.preferred_language}


def _correction_from(form: ResidentCorrectionForm) -> Correction:
    home = form.home_neighbourhood.data
    age, gender = form.age_band.data, form.gender.data
    return Correction(
        name=form.name.data or "", email=form.email.data or "",
        home_neighbourhood=(db.session.get(Neighbourhood, int(home))
                            if home and home != OUTSIDE_BARCELONA else None),
        lives_outside_barcelona=home == OUTSIDE_BARCELONA,
        preferred_language=form.preferred_language.data,
        age_band=(UNCHANGED if not age else None if age == AGE_UNSAID else AgeBand(age)),
        gender=UNCHANGED if not gender else Gender(gender))


@bp.route("/staff/residents/<int:resident_id>/correct", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def correct(resident_id: int):
    """Correct her details when she asks: found by phone on the erasure page first."""
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.erased_at is not None:
        abort(404)
    if request.method == "GET":
        form = ResidentCorrectionForm(data=_stored_details(resident))
        audit.record(_current_user(), AuditAction.RESIDENT_OPENED, resident, now=utcnow())
        db.session.commit()
    else:
        form = ResidentCorrectionForm()
        if form.validate_on_submit():
            with service_call(form) as call:
                changed = correct_resident(resident, _correction_from(form),
                                           by=_current_user(), now=utcnow())
            if call.succeeded:
                flash(_("The person's details have been corrected.") if changed
                      else _("Nothing was changed."), "success")
                return redirect(url_for("registrations.erase_lookup"), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("registrations/staff/correct.html", form=form, resident=resident,
                           display_phone=display_phone), status
