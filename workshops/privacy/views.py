from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.privacy import bp
from workshops.privacy.phones import erase_phone
from workshops.registrations.erasure import resident_by_phone
from workshops.registrations.forms import ErasePhoneForm
from workshops.registrations.views import DRAFT_KEPT


@bp.get("/privacy")
def page():
    config = current_app.config
    return render_template(
        "privacy/privacy.html",
        sms_days=config["SMS_RETENTION_DAYS"],
        resident_months=config["RESIDENT_RETENTION_MONTHS"],
        draft_minutes=DRAFT_KEPT // timedelta(minutes=1),
        contact_email=config["PRIVACY_CONTACT_EMAIL"])


@bp.post("/staff/phones/erase")
@role_required(Role.COORDINATOR)
def erase_phone_traces():
    """Offered by the resident lookup when no resident has the number (someone who only
    texted, called or asked for a call back); a resident's number goes with the resident."""
    form = ErasePhoneForm()
    if not request.form.get("confirm") or not form.validate_on_submit():
        abort(400)
    if resident_by_phone(form.parsed_phone.e164) is not None:
        abort(400)
    erased = erase_phone(form.parsed_phone.e164)
    if erased.first is not None:
        audit.record(current_user._get_current_object(), AuditAction.PHONE_ERASED,
                     erased.first, now=utcnow())
    db.session.commit()
    if erased.first is None:
        flash(_("Nothing is kept from this number."), "success")
    else:
        flash(_("Erased from this number: %(messages)s, %(calls)s.",
                messages=ngettext("%(num)s text message", "%(num)s text messages",
                                  erased.messages),
                calls=ngettext("%(num)s call or call-back request",
                               "%(num)s calls or call-back requests", erased.calls)),
              "success")
    return redirect(url_for("registrations.erase_lookup"), 303)
