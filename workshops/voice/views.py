import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.catalogue.services import is_on_team
from workshops.db_types import utcnow
from workshops.extensions import csrf, db
from workshops.forms import ActionForm
from workshops.i18n import current_language, language_name
from workshops.registrations.forms import StaffRegistrationForm
from workshops.registrations.phones import display_phone, masked_phone
from workshops.twilio_webhooks import TWILIO_SID, require_twilio_signature, twilio_parameter
from workshops.voice import bp
from workshops.voice.conversation import STEPS, NotOurs, answer
from workshops.voice.models import CALLBACK_STATUS_LABELS, CallbackRequest, CallbackStatus
from workshops.voice.speech import VOICES

# What Twilio sends with a call (https://www.twilio.com/docs/voice/twiml#request-parameters):
# `From` is a number, "anonymous" or absent; `Digits` the keys pressed. A `From` that is no
# phone number is a hidden one; keys Twilio cannot send are a key not offered.
SENDER = re.compile(r"[^\x00-\x1f\x7f]{0,32}")
KEYS = re.compile(r"[0-9*#]{0,20}")
# The parameters of a step's URL (written by `conversation`, signed by Twilio with the rest).
STEP_PARAMS = {
    "page": re.compile(r"[0-9]{1,2}"),
    "district": re.compile(r"[0-9A-Z]{1,2}"),
    "index": re.compile(r"[0-9]{1,3}"),
    "workshop": re.compile(r"[0-9]{1,9}"),
    "registration": re.compile(r"[0-9]{1,9}"),
}
STEP_NUMBER = re.compile(r"[0-9]{1,4}")


def _url_parameter(name: str, shape: re.Pattern) -> str:
    value = request.args.get(name, "")
    if not shape.fullmatch(value):
        abort(400)
    return value


def _twiml(xml: str):
    return xml, 200, {"Content-Type": "text/xml; charset=utf-8"}


def _answer(step: str, language: str = "", tries: int = 0, params: dict | None = None):
    """Answer one signed request, once: a copy arriving at the same moment as the first
    (Twilio retrying) loses the race for the step's row and gets the first one's answer."""
    call_sid = twilio_parameter("CallSid", TWILIO_SID)
    sender = request.form.get("From", "")
    if not SENDER.fullmatch(sender):
        sender = ""
    key = request.form.get("Digits", "")
    if not KEYS.fullmatch(key):
        key = "?"
    request_key = f"{request.full_path.rstrip('?')} {key}"

    def run():
        return answer(call_sid, sender, step, key, params or {}, language=language,
                      tries=tries, request_key=request_key, now=utcnow())

    try:
        try:
            xml = run()
        except IntegrityError:
            db.session.rollback()
            xml = run()
    except NotOurs:
        db.session.rollback()
        abort(400)
    db.session.commit()
    return _twiml(xml)


@bp.post("/voice/inbound")
@csrf.exempt
def inbound():
    """Twilio's "A call comes in" webhook."""
    require_twilio_signature()
    return _answer("inbound")


@bp.post("/voice/<any(language, menu, districts, workshop, text, mine, cancel):step>")
@csrf.exempt
def step(step: str):
    require_twilio_signature()
    _url_parameter("n", STEP_NUMBER)
    tries = int(_url_parameter("tries", re.compile("[01]")))
    language = "" if step == "language" else _url_parameter(
        "lang", re.compile("|".join(VOICES)))
    params = {}
    for name in STEPS[step].params:
        value = _url_parameter(name, STEP_PARAMS[name])
        params[name] = value if name == "district" else int(value)
    return _answer(step, language, tries, params)


# The staff page: call-back requests

STAFF = (Role.ORGANISER, Role.COORDINATOR)
CLOSED_SHOWN = 20


@bp.get("/staff/callbacks")
@role_required(*STAFF)
def callbacks():
    """Requests waiting or taken, with the number to call; the last closed ones with the
    number masked (nobody needs to call them any more)."""
    current = db.session.scalars(
        select(CallbackRequest).where(CallbackRequest.status != CallbackStatus.CLOSED)
        .order_by(CallbackRequest.requested_at)).all()
    closed = db.session.scalars(
        select(CallbackRequest).where(CallbackRequest.status == CallbackStatus.CLOSED)
        .order_by(CallbackRequest.closed_at.desc()).limit(CLOSED_SHOWN)).all()
    return render_template("voice/callbacks.html", current=current, closed=closed,
                           display_phone=display_phone, masked_phone=masked_phone,
                           language_name=language_name, lang=current_language(),
                           STATUS_LABELS=CALLBACK_STATUS_LABELS, may_register=_may_register)


def _may_register(request_: CallbackRequest) -> bool:
    return request_.workshop is not None and is_on_team(current_user, request_.workshop)


def _open_request(request_id: int) -> CallbackRequest:
    request_ = db.session.get(CallbackRequest, request_id) or abort(404)
    if request_.status == CallbackStatus.CLOSED:
        abort(404)
    return request_


@bp.post("/staff/callbacks/<int:request_id>/take")
@role_required(*STAFF)
def take(request_id: int):
    request_ = _open_request(request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    request_.status = CallbackStatus.TAKEN
    request_.taken_by = current_user._get_current_object()
    request_.taken_at = utcnow()
    db.session.commit()
    flash(_("You are calling this person back."), "success")
    return redirect(url_for("voice.callbacks"), 303)


@bp.post("/staff/callbacks/<int:request_id>/close")
@role_required(*STAFF)
def close(request_id: int):
    request_ = _open_request(request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    request_.status = CallbackStatus.CLOSED
    request_.closed_at = utcnow()
    db.session.commit()
    flash(_("The request is closed."), "success")
    return redirect(url_for("voice.callbacks"), 303)


@bp.get("/staff/callbacks/<int:request_id>/register")
@role_required(*STAFF)
def register_caller(request_id: int):
    """The staff-assisted registration form for the workshop she heard, with her number
    filled in (the number stays out of the address, and so out of any log). The form is
    sent to the registration page itself."""
    request_ = _open_request(request_id)
    if not _may_register(request_):
        abort(403)
    form = StaffRegistrationForm(data={"phone": display_phone(request_.phone)})
    return render_template(
        "registrations/staff/new.html", form=form, workshop=request_.workshop,
        lang=current_language(),
        form_action=url_for("registrations.register_on_behalf",
                            workshop_id=request_.workshop_id))
