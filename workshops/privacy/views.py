from flask import current_app, render_template

from workshops.i18n import current_language
from workshops.privacy import bp


@bp.get("/privacy")
def page():
    config = current_app.config
    return render_template(
        "privacy/privacy.html", lang=current_language(),
        sms_days=config["SMS_RETENTION_DAYS"],
        resident_months=config["RESIDENT_RETENTION_MONTHS"],
        contact_email=config["PRIVACY_CONTACT_EMAIL"])
