from flask import current_app, render_template

from workshops.privacy import bp


@bp.get("/privacy")
def page():
    config = current_app.config
    return render_template(
        "privacy/privacy.html",
        sms_days=config["SMS_RETENTION_DAYS"],
        resident_months=config["RESIDENT_RETENTION_MONTHS"],
        contact_email=config["PRIVACY_CONTACT_EMAIL"])
