"""Residents' pages: the sign-up form on a workshop page and the personal manage link."""

from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from workshops import ratelimit
from workshops.catalogue.models import WorkshopStatus
from workshops.catalogue.queries import public_workshop
from workshops.database import reading
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.forms import ActionForm
from workshops.i18n import current_language
from workshops.keywords import public_sms_number, register_instruction
from workshops.pagecache import CSRF_HOLE, SUBMISSION_KEY_HOLE, rendering_holes
from workshops.registrations import bp
from workshops.registrations import services as registrations
from workshops.registrations.forms import OUTSIDE_BARCELONA, RegistrationForm, ResidentForm
from workshops.registrations.models import AgeBand, Channel, Gender, RegistrationStatus
from workshops.registrations.services import RegistrationError, ResidentDetails
from workshops.registrations.signals import manage_link_requested
from workshops.services import service_call

# A failed sign-up keeps what was typed in the signed session cookie, so the page can be
# reloaded or read in another language (both GETs) without typing it again. Only as long as
# needed: until she signs up, or for DRAFT_KEPT at most (short: many residents sign up on a
# shared computer at a library or a civic centre).
DRAFT_KEY = "registration_draft"
DRAFT_KEPT = timedelta(minutes=10)
# Each field's longest valid value; one character more is kept, so "too long" still shows.
DRAFT_FIELDS = {"name": 120, "phone": 32, "home_neighbourhood": 12, "sms_consent": 8,
                "age_band": 8, "gender": 12, "email": 254, "submission_key": 48}
# A browser drops a cookie over 4,096 bytes (name, value and attributes), and the session
# (CSRF, staff sign-in) with it. Each field is cut to its limit, so a draft fits: a test
# proves it for the longest one. This guards against fields that outgrow that proof.
COOKIE_VALUE_MAX_BYTES = 4000  # the rest is for "session=" and the attributes


def _keep_draft(workshop_id: int, form: RegistrationForm) -> None:
    draft = {
        "workshop": workshop_id,
        "fields": {name: request.form[name][:limit + 1]
                   for name, limit in DRAFT_FIELDS.items() if name in request.form},
        "form_errors": [str(message) for message in form.form_errors],
        "saved_at": utcnow().isoformat(),
    }
    if _cookie_bytes(dict(session) | {DRAFT_KEY: draft}) > COOKIE_VALUE_MAX_BYTES:
        session.pop(DRAFT_KEY, None)  # the page still shows it, a reload starts afresh
    else:
        session[DRAFT_KEY] = draft


def _cookie_bytes(contents: dict) -> int:
    """The session cookie's value, signed and encoded, as the browser would receive it."""
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps(contents))


def _draft_for(workshop_id: int) -> dict | None:
    draft = session.get(DRAFT_KEY)
    if not isinstance(draft, dict):
        return None
    try:
        saved_at = datetime.fromisoformat(draft["saved_at"])
    except (KeyError, TypeError, ValueError):
        saved_at = None
    if saved_at is None or utcnow() - saved_at > DRAFT_KEPT:
        session.pop(DRAFT_KEY, None)
        return None
    return draft if draft.get("workshop") == workshop_id else None


@bp.app_template_global()
def registration_form_for(workshop) -> RegistrationForm:
    """The sign-up form the workshop page shows: empty, or as she left it after a failed
    attempt, with its errors in the page's current language."""
    draft = _draft_for(workshop.id)
    if draft is None:
        form = RegistrationForm(formdata=None)
        if rendering_holes():  # the page is being kept: each visitor gets her own values
            form.csrf_token.current_token = CSRF_HOLE
            form.submission_key.data = SUBMISSION_KEY_HOLE
        return form
    form = RegistrationForm(formdata=MultiDict({**draft["fields"],
                                                "csrf_token": generate_csrf()}))
    form.validate()
    form.form_errors.extend(draft["form_errors"])
    return form


def details_from_form(form: ResidentForm) -> ResidentDetails:
    neighbourhood = None
    if form.home_neighbourhood.data != OUTSIDE_BARCELONA:
        neighbourhood = form.chosen_neighbourhood()
    return ResidentDetails(
        phone=form.parsed_phone,
        name=form.name.data,
        home_neighbourhood=neighbourhood,
        lives_outside_barcelona=form.home_neighbourhood.data == OUTSIDE_BARCELONA,
        email=form.email.data or "",
        age_band=AgeBand(form.age_band.data) if form.age_band.data else None,
        gender=Gender(form.gender.data or Gender.UNSAID),
        preferred_language=current_language(),
        sms_consent=bool(form.sms_consent.data),
    )


def _attempt_limits(phone_e164: str):
    config = current_app.config
    window = timedelta(seconds=config["REGISTRATION_LIMIT_WINDOW_SECONDS"])
    return window, [("register-address", request.remote_addr or "",
                     config["REGISTRATION_LIMIT_PER_ADDRESS"]),
                    ("register-phone", phone_e164, config["REGISTRATION_LIMIT_PER_PHONE"])]


def _limit_attempts(phone_e164: str) -> None:
    """Raise when the address or the phone is over its limit, else count this attempt."""
    window, limits = _attempt_limits(phone_e164)
    ratelimit.hit([ratelimit.Limit(scope, key, limit, window) for scope, key, limit in limits],
                  now=utcnow())


def _count_attempt(phone_e164: str) -> None:
    window, limits = _attempt_limits(phone_e164)
    for scope, key, _limit in limits:
        ratelimit.record(scope, key, now=utcnow(), window=window)


def _render_workshop_page(workshop, form, status):
    lang = current_language()
    return render_template(
        "catalogue/detail.html", workshop=workshop, lang=lang, now=utcnow(),
        sms_number=public_sms_number(),
        sms_text=register_instruction(workshop.public_code, lang),
        registration_form=form,
    ), status


def _refuse(workshop, form, status):
    _keep_draft(workshop.id, form)
    return _render_workshop_page(workshop, form, status)


def _to_manage_page(token: str):
    # The browser keeps the form's #error-summary on this address (a redirect inherits the
    # fragment); the manage page has no such element, so it opens at the top.
    return redirect(url_for("registrations.manage", token=token), 303)


def _public_workshop_or_404(workshop_id: int):
    workshop = public_workshop(workshop_id)
    if workshop is None or workshop.status == WorkshopStatus.DRAFT:
        abort(404)
    return workshop


def _registration_page(workshop):
    """The address a failed sign-up leaves in the address bar: reloading it, or switching
    language there, shows the form as she left it, or else the workshop's form."""
    if _draft_for(workshop.id) is None:
        return redirect(url_for("catalogue.detail", workshop_id=workshop.id, _anchor="sign-up"))
    return _render_workshop_page(workshop, None, 200)


# One rule for both methods: with two, an id too large for the table would get a 405 on POST
# (Werkzeug finds the GET rule's path) instead of the 404 every other route gives.
@bp.route("/workshops/<int:workshop_id>/register", methods=["GET", "POST"])
def register(workshop_id: int):
    if request.method == "GET":
        return _registration_page(_public_workshop_or_404(workshop_id))
    # Everything that only reads comes first, outside the write transaction (on SQLite
    # other sign-ups wait for that one): the form, her neighbourhood, whether the
    # workshop takes sign-ups at all. The workshop page is loaded only to show it again.
    with reading():
        form = RegistrationForm()
        if not form.validate():
            return _refuse(_public_workshop_or_404(workshop_id), form, 422)
        if registrations.signup_status(workshop_id) in (None, WorkshopStatus.DRAFT):
            abort(404)
        details = details_from_form(form)
    phone = form.parsed_phone.e164
    try:
        _limit_attempts(phone)
    except ratelimit.RateLimited as limited:
        db.session.rollback()
        minutes = max(1, limited.retry_after_seconds // 60)
        form.form_errors.append(ngettext(
            "Too many attempts. Please try again in %(num)s minute.",
            "Too many attempts. Please try again in %(num)s minutes.", minutes))
        return _refuse_after_writing(workshop_id, form, 429)
    now = utcnow()
    try:
        registration = registrations.register(
            workshop_id, details, channel=Channel.WEB, now=now,
            submission_key=form.submission_key.data or "")
    except RegistrationError as error:
        # Not service_call: a refused sign-up still counts against the rate limits, so
        # every path below commits after the refusal.
        existing = error.registration
        if existing is not None and existing.submission_key == form.submission_key.data:
            db.session.rollback()  # the same form sent twice: show the first result
            token = registrations.issue_manage_link(existing, now=now)
            db.session.commit()
            session.pop(DRAFT_KEY, None)
            return _to_manage_page(token)
        if existing is not None:
            db.session.rollback()  # keep nothing this form changed about someone else
            _count_attempt(phone)
            if existing.can_receive_sms:
                manage_link_requested.send(existing, now=now)
                form.form_errors.append(_(
                    "This phone number is already registered for this workshop. We have sent "
                    "you your personal link by SMS."))
            else:
                form.form_errors.append(error.message)
            db.session.commit()
        else:
            db.session.commit()  # keep the counted attempt
            form.form_errors.append(error.message)
        return _refuse_after_writing(workshop_id, form, 409)
    except registrations.NoSuchWorkshop:  # deleted since it was read above
        db.session.rollback()
        abort(404)
    token = registrations.issue_manage_link(registration, now=now)
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    db.session.commit()
    session.pop(DRAFT_KEY, None)
    if confirmed:
        flash(_("Done! Your place is confirmed."), "success")
    else:
        flash(_("The workshop is full, so you are on the waiting list. Freed places go to "
                "the people waiting, in order."), "success")
    return _to_manage_page(token)


def _refuse_after_writing(workshop_id: int, form, status):
    """The workshop page again, once what the attempt wrote is committed or undone: read
    outside a write transaction (see `reading`)."""
    with reading():
        return _refuse(_public_workshop_or_404(workshop_id), form, status)


def _registration_or_404(token: str):
    return registrations.registration_by_token(token) or abort(404)


def _private(response):
    """A manage page is someone's key: never cache it, never leak it in a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/r/<token>")
def manage(token: str):
    registration = _registration_or_404(token)
    now = utcnow()
    response = current_app.make_response(render_template(
        "registrations/manage.html", registration=registration, token=token,
        workshop=registration.workshop, lang=current_language(), now=now,
        cancellation_open=registrations.cancellation_open(registration.workshop, now),
        position=registrations.waitlist_position(registration),
        sms_number=public_sms_number(),
        manage_url=current_app.config["PUBLIC_BASE_URL"] + url_for(
            "registrations.manage", token=token)))
    return _private(response)


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    registration = _registration_or_404(token)
    return _private(cancel_place(registration, url_for("registrations.manage", token=token)))


def cancel_place(registration, back_url: str):
    """Ask, then cancel (POST), for whoever may cancel this place: the holder of its manage
    link, or the resident in "My workshops". Every outcome returns to `back_url`, which
    says why when there is no button to offer (cancelled, or the workshop is over)."""
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        with service_call() as call:
            registrations.cancel(registration, now=utcnow())
        if call.succeeded:
            flash(_("Your place is cancelled. Thank you for letting us know: someone on the "
                    "waiting list can now come."), "success")
        return redirect(back_url, 303)
    if not registration.is_active or not registrations.cancellation_open(
            registration.workshop, utcnow()):
        return redirect(back_url, 303)
    return current_app.make_response(render_template(
        "registrations/cancel.html", workshop=registration.workshop, back_url=back_url,
        lang=current_language()))


@bp.post("/r/<token>/sms")
def sms_preference(token: str):
    """Stop or resume SMS messages about this registration only.

    Whoever holds the link made this registration, perhaps with someone else's phone: the
    switch never touches the resident's consent or her other places (see
    registrations.set_registration_sms)."""
    registration = _registration_or_404(token)
    if not ActionForm().validate_on_submit() or request.form.get("consent") not in ("0", "1"):
        abort(400)
    registrations.set_registration_sms(registration, request.form["consent"] == "1")
    db.session.commit()
    if registration.can_receive_sms:
        flash(_("We send you SMS messages about this workshop: confirmation, reminders and "
                "changes."), "success")
    else:
        flash(_("We do not send you SMS messages about this workshop."), "success")
    return _private(redirect(url_for("registrations.manage", token=token), 303))
