"""HTTP security headers for every response."""

from flask import Flask, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # Geolocation only for the portal's own pages ("Use my location" in the listing).
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def add_strict_transport_security(response):
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def no_store_for_staff(response):
    """Nothing a signed-in member of staff is sent is kept by a browser or proxy cache:
    staff pages and exports hold residents' personal data, and a shared computer at a
    civic centre must not show them to the next person from its history or cache. One
    rule for every response (pages, exports, errors), so a new staff page cannot forget it.
    Static files hold nothing personal and stay cacheable. The roster's offline copy is the
    service worker's, which this header does not govern (attendance-sw.js empties it on
    signing out)."""
    if request.endpoint != "static" and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.after_request(no_store_for_staff)
    if app.config["PREFERRED_URL_SCHEME"] == "https":
        app.after_request(add_strict_transport_security)
