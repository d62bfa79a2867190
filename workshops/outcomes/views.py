"""Certificates: printed by the resident (her personal link; My workshops has its own
route) or by the workshop's team, and verified by anyone at /verify/<code>."""

from contextlib import contextmanager
from datetime import timedelta

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_decimal, ngettext
from flask_login import current_user
from markupsafe import Markup

from workshops import ratelimit
from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.catalogue.models import Workshop
from workshops.catalogue.services import is_on_team
from workshops.clock import utcnow
from workshops.database import write_transaction
from workshops.extensions import db
from workshops.i18n import current_language
from workshops.outcomes import bp, certificates
from workshops.outcomes.certificates import CertificateError
from workshops.outcomes.models import shown_code
from workshops.registrations.models import Registration
from workshops.registrations.services import registration_by_token

MAX_TYPED_CODE = 40


@contextmanager
def _writing():
    """For a GET that writes (a certificate's first print, a /verify look-up counted): its
    own write transaction, so on SQLite it waits for the lock instead of failing."""
    db.session.commit()
    with write_transaction():
        yield
        db.session.commit()


def certificate_page(registration: Registration, back_url: str):
    """The printable certificate, in her language, or why there is none (403). Made the
    first time it is shown; the request commits."""
    now = utcnow()
    try:
        with _writing():
            certificate = certificates.certificate_for(registration, now=now)
    except CertificateError as error:
        return render_template("outcomes/refused.html", reason=error.message,
                               back_url=back_url), 403
    counted = certificates.attended(registration)
    language = registration.resident.preferred_language
    workshop = registration.workshop
    # Her language for the certificate, the reader's for the page around it; the part is
    # an autoescaped template's output, so it is markup already.
    with force_locale(language):
        body = Markup(render_template(  # noqa: S704
            "outcomes/_certificate.html", registration=registration, workshop=workshop,
            lang=language, counted=counted, code=shown_code(certificate.code),
            hours=format_decimal(sum(((s.ends_at - s.starts_at) for s in workshop.sessions),
                                     timedelta()).total_seconds() / 3600, "0.#"),
            verify_url=current_app.config["PUBLIC_BASE_URL"] + url_for(
                "outcomes.verify", code=certificate.code)))
    return render_template("outcomes/certificate.html", body=body, back_url=back_url,
                           workshop=workshop, lang=current_language())


def _private(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/r/<token>/certificate")
def by_personal_link(token: str):
    registration = registration_by_token(token) or abort(404)
    return _private(certificate_page(registration, url_for("registrations.manage",
                                                           token=token)))


def _workshop_for_team(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id) or abort(404)
    if not is_on_team(current_user, workshop):
        abort(403)
    return workshop


@bp.get("/staff/workshops/<int:workshop_id>/certificates")
@role_required(*Role)
def for_workshop(workshop_id: int):
    workshop = _workshop_for_team(workshop_id)
    now = utcnow()
    rows = []
    for registration in certificates.registrations_of_workshop(workshop):
        try:
            certificates.check(registration, now=now)
            refusal = None
        except CertificateError as error:
            refusal = error.message
        rows.append((registration, certificates.attended(registration), refusal))
    return render_template("outcomes/staff_list.html", workshop=workshop, rows=rows,
                           lang=current_language())


@bp.get("/staff/registrations/<int:registration_id>/certificate")
@role_required(*Role)
def for_staff(registration_id: int):
    registration = db.session.get(Registration, registration_id) or abort(404)
    _workshop_for_team(registration.workshop_id)
    return certificate_page(registration, url_for("outcomes.for_workshop",
                                                  workshop_id=registration.workshop_id))


@bp.get("/verify")
def verify_form():
    typed = request.args.get("code", "")[:MAX_TYPED_CODE].strip()
    if typed:
        code = certificates.normalised_code(typed) or typed
        return redirect(url_for("outcomes.verify", code=code), 303)
    return render_template("outcomes/verify.html", certificate=None, typed=None)


@bp.get("/verify/<code>")
def verify(code: str):
    limit = ratelimit.Limit("verify-address", request.remote_addr or "",
                            current_app.config["VERIFY_LIMIT_PER_ADDRESS"], timedelta(hours=1))
    try:
        with _writing():
            ratelimit.hit([limit], now=utcnow())
    except ratelimit.RateLimited as limited:
        minutes = max(1, limited.retry_after_seconds // 60)
        return render_template("outcomes/verify.html", certificate=None, typed=None,
                               too_many=ngettext(
                                   "Too many attempts. Please try again in %(num)s minute.",
                                   "Too many attempts. Please try again in %(num)s minutes.",
                                   minutes)), 429
    certificate = certificates.by_code(code[:MAX_TYPED_CODE])
    if certificate is None:
        return render_template("outcomes/verify.html", certificate=None,
                               typed=code[:MAX_TYPED_CODE]), 404
    registration = certificate.registration
    return render_template(
        "outcomes/verify.html", certificate=certificate, typed=code,
        initials=certificates.initials(registration.display_name),
        workshop=registration.workshop, lang=current_language(), code=shown_code(certificate.code))
