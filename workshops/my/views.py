""""My workshops": prove the phone with a code, then manage everything in one place.

The proof lives in the signed session cookie for a short while (MY_WORKSHOPS_SESSION_MINUTES
from the moment the code was right), as the resident's id and the time of the proof.
Before that, the session holds only a keyed hash of the number typed (and its last three
digits, to show), the same whether or not the number is known.
"""

from datetime import datetime, timedelta
from functools import wraps

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from workshops import ratelimit
from workshops.catalogue.models import Workshop
from workshops.clock import utcnow
from workshops.extensions import db
from workshops.forms import ActionForm
from workshops.i18n import current_language
from workshops.keywords import public_sms_number
from workshops.my import bp, codes
from workshops.my import services as my
from workshops.my.forms import CodeForm, OwnDetailsForm, PhoneForm
from workshops.my.services import MyWorkshopsError
from workshops.outcomes import certificates
from workshops.outcomes.views import certificate_page
from workshops.places.models import Neighbourhood
from workshops.registrations import services as registrations
from workshops.registrations.corrections import Correction
from workshops.registrations.erasure import erase_resident
from workshops.registrations.forms import OUTSIDE_BARCELONA
from workshops.registrations.models import (
    AGE_BAND_LABELS,
    GENDER_LABELS,
    AgeBand,
    Gender,
    Registration,
    RegistrationStatus,
    Resident,
)
from workshops.registrations.phones import masked_phone
from workshops.registrations.views import cancel_place
from workshops.services import service_call

PENDING = "my_pending"  # {"key": phone key, "shown": "••• ••• 678"}
PROVED = "my_proved"  # {"resident": id, "at": ISO time of the proof}


def _private(response):
    """Her registrations and details: never cached, never in a Referer, never indexed."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _proved_resident(now: datetime) -> Resident | None:
    proof = session.get(PROVED)
    if not isinstance(proof, dict):
        return None
    try:
        proved_at = datetime.fromisoformat(proof["at"])
        resident = db.session.get(Resident, int(proof["resident"]))
    except (KeyError, TypeError, ValueError):
        return None
    lifetime = timedelta(minutes=current_app.config["MY_WORKSHOPS_SESSION_MINUTES"])
    if resident is None or resident.erased_at is not None or not (
            proved_at <= now < proved_at + lifetime):
        session.pop(PROVED, None)
        return None
    return resident


def proved(view):
    """The view runs for a resident who proved her phone (as g.resident), else she is sent
    to prove it."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.resident = _proved_resident(utcnow())
        if g.resident is None:
            flash(_("To see your workshops, confirm your phone number first."), "info")
            return _private(redirect(url_for("my.start"), 303))
        return _private(view(*args, **kwargs))
    return wrapped


def _limit(scope: str, key: str, limit_name: str) -> ratelimit.Limit:
    window = timedelta(seconds=current_app.config["MY_WORKSHOPS_LIMIT_WINDOW_SECONDS"])
    return ratelimit.Limit(scope, key, current_app.config[limit_name], window)


def _too_many(form, limited: ratelimit.RateLimited):
    minutes = max(1, limited.retry_after_seconds // 60)
    form.form_errors.append(ngettext(
        "Too many attempts. Please try again in %(num)s minute.",
        "Too many attempts. Please try again in %(num)s minutes.", minutes))


@bp.get("/my-workshops")
def start():
    if _proved_resident(utcnow()) is not None:
        return _private(redirect(url_for("my.overview"), 303))
    return _private(render_template("my/start.html", form=PhoneForm(formdata=None)))


@bp.post("/my-workshops")
def send_code():
    form = PhoneForm()
    if not form.validate():
        return _private((render_template("my/start.html", form=form), 422))
    e164 = form.parsed_phone.e164
    try:
        ratelimit.hit([
            _limit("my-code-address", request.remote_addr or "", "MY_WORKSHOPS_CODES_PER_ADDRESS"),
            _limit("my-code-phone", e164, "MY_WORKSHOPS_CODES_PER_PHONE"),
        ], now=utcnow())
    except ratelimit.RateLimited as limited:
        _too_many(form, limited)
        return _private((render_template("my/start.html", form=form), 429))
    my.request_code(form.parsed_phone, now=utcnow())
    db.session.commit()
    session.pop(PROVED, None)
    session[PENDING] = {"key": codes.phone_key(e164), "shown": masked_phone(e164)}
    return _private(redirect(url_for("my.enter_code"), 303))


@bp.route("/my-workshops/code", methods=["GET", "POST"])
def enter_code():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("key"), str):
        return _private(redirect(url_for("my.start"), 303))
    form = CodeForm()
    status = 200
    if request.method == "POST":
        if not form.validate():
            status = 422
        else:
            try:
                ratelimit.hit([_limit("my-check-address", request.remote_addr or "",
                                      "MY_WORKSHOPS_CHECKS_PER_ADDRESS")], now=utcnow())
                resident = my.prove_phone(pending["key"], form.code.data, now=utcnow())
            except ratelimit.RateLimited as limited:
                _too_many(form, limited)
                status = 429
            except MyWorkshopsError as error:
                # Not service_call: a wrong code still uses up one of its tries, and
                # keeping that count is what this request writes.
                db.session.commit()
                form.code.errors = [error.message]
                status = 422
            else:
                db.session.commit()
                session.pop(PENDING, None)
                session[PROVED] = {"resident": resident.id, "at": utcnow().isoformat()}
                return _private(redirect(url_for("my.overview"), 303))
    return _private((render_template(
        "my/code.html", form=form, shown_phone=pending.get("shown", ""),
        minutes=current_app.config["MY_WORKSHOPS_CODE_MINUTES"]), status))


def _grouped(registrations_list, now):
    """Coming up (places and waiting lists) first, soonest first; then past and cancelled."""
    coming, past = [], []
    for registration in registrations_list:
        workshop = registration.workshop
        if registration.is_active and not workshop.is_over(now):
            coming.append(registration)
        else:
            past.append(registration)
    coming.sort(key=lambda r: r.workshop.sessions[0].starts_at)
    past.sort(key=lambda r: r.workshop.sessions[0].starts_at, reverse=True)
    return coming, past


@bp.get("/my-workshops/list")
@proved
def overview():
    now = utcnow()
    resident = g.resident
    mine = db.session.scalars(
        select(Registration).join(Workshop).where(Registration.resident_id == resident.id)
    ).all()
    coming, past = _grouped(mine, now)
    return render_template(
        "my/overview.html", resident=resident, coming=coming, past=past, now=now,
        lang=current_language(), positions={
            r.id: registrations.waitlist_position(r) for r in coming
            if r.status == RegistrationStatus.WAITLISTED},
        cancellable={r.id: registrations.cancellation_open(r.workshop, now) for r in coming},
        with_certificate={r.id for r in past if certificates.is_available(r, now=now)},
        shown_phone=masked_phone(resident.phone), sms_number=public_sms_number(),
        AGE_BAND_LABELS=AGE_BAND_LABELS, GENDER_LABELS=GENDER_LABELS,
        action_form=ActionForm())


def _her_registration_or_404(registration_id: int) -> Registration:
    try:
        return my.her_registration(g.resident, registration_id)
    except MyWorkshopsError:
        abort(404)


@bp.route("/my-workshops/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@proved
def cancel(registration_id: int):
    registration = _her_registration_or_404(registration_id)
    return cancel_place(registration, url_for("my.overview"))


@bp.get("/my-workshops/registrations/<int:registration_id>/certificate")
@proved
def certificate(registration_id: int):
    return certificate_page(_her_registration_or_404(registration_id), url_for("my.overview"))


def _details_form_for(resident: Resident) -> OwnDetailsForm:
    form = OwnDetailsForm(formdata=None)
    form.name.data = resident.name
    form.email.data = resident.email
    form.home_neighbourhood.data = (OUTSIDE_BARCELONA if resident.lives_outside_barcelona
                                    else str(resident.home_neighbourhood_id or ""))
    form.age_band.data = resident.age_band.value if resident.age_band else ""
    form.gender.data = resident.gender.value
    form.preferred_language.data = resident.preferred_language
    return form


@bp.route("/my-workshops/details", methods=["GET", "POST"])
@proved
def details():
    resident = g.resident
    if request.method == "GET":
        return render_template("my/details.html", form=_details_form_for(resident))
    form = OwnDetailsForm()
    if not form.validate():
        return render_template("my/details.html", form=form), 422
    outside = form.home_neighbourhood.data == OUTSIDE_BARCELONA
    my.change_own_details(resident, Correction(
        name=form.name.data,
        home_neighbourhood=None if outside else db.session.get(
            Neighbourhood, int(form.home_neighbourhood.data)),
        lives_outside_barcelona=outside,
        email=form.email.data or "",
        age_band=AgeBand(form.age_band.data) if form.age_band.data else None,
        gender=Gender(form.gender.data or Gender.UNSAID),
        preferred_language=form.preferred_language.data,
    ))
    db.session.commit()
    flash(_("Your details are saved."), "success")
    return redirect(url_for("my.overview"), 303)


@bp.post("/my-workshops/sms")
@proved
def sms_consent():
    if not ActionForm().validate_on_submit() or request.form.get("consent") not in ("0", "1"):
        abort(400)
    with service_call() as call:
        my.set_own_sms_consent(g.resident, request.form["consent"] == "1", now=utcnow())
    if not call.succeeded:
        return redirect(url_for("my.overview"), 303)
    if g.resident.sms_consent:
        flash(_("We will send you SMS messages about your workshops: confirmation, reminders "
                "and changes."), "success")
    else:
        flash(_("We will not send you SMS messages about your workshops."), "success")
    return redirect(url_for("my.overview"), 303)


@bp.route("/my-workshops/delete", methods=["GET", "POST"])
@proved
def delete():
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        erase_resident(g.resident, now=utcnow())
        db.session.commit()
        session.pop(PROVED, None)
        flash(_("Your data is deleted: your name, phone, email and messages. Places you "
                "held in upcoming workshops are cancelled."), "success")
        return redirect(url_for("home.home"), 303)
    return render_template("my/delete.html", form=form)


@bp.post("/my-workshops/sign-out")
def sign_out():
    if not ActionForm().validate_on_submit():
        abort(400)
    session.pop(PROVED, None)
    session.pop(PENDING, None)
    flash(_("You have left My workshops."), "success")
    return _private(redirect(url_for("home.home"), 303))
