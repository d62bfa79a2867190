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


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # Geolocation only for the portal's own pages ("Use my location" in the listing).
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STRICT_TRANSPORT_SECURITY = {"Strict-Transport-Security": "max-age=31536000"}


def security_headers(https: bool) -> dict[str, str]:
    """Every answer's security headers; HSTS only where the portal is served over HTTPS."""
    return SECURITY_HEADERS | (STRICT_TRANSPORT_SECURITY if https else {})


def _add(headers: dict[str, str]):
    def add(response):
        present = {name.lower() for name, _value in response.headers.items()}
        for name, value in headers.items():
            if name.lower() not in present:
                response.headers.add(name, value)  # known absent: no search to replace
        return response

    return add


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
    app.after_request(_add(security_headers(app.config["PREFERRED_URL_SCHEME"] == "https")))
    app.after_request(no_store_for_staff)
