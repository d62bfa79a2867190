from datetime import timedelta

from flask import current_app, render_template

from workshops.privacy import bp
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
