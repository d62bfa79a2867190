"""Translated error pages for browsers."""

from flask import Flask, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.exceptions import TooManyRequests as _TooManyRequests

from workshops.extensions import db


class TooManyRequests(_TooManyRequests):
    """429 that tells the client (header) and the person (page) when to come back."""

    def __init__(self, retry_after_seconds: int | None = None):
        super().__init__(retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else max(1, -(-seconds // 60))


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    # An error ends the request's transaction: nothing it wrote is kept, and on PostgreSQL a
    # failed statement leaves the session unusable until it rolls back (the page itself
    # reads the signed-in user and the language).
    db.session.rollback()
    page = render_template(
        "errors/error.html",
        code=error.code,
        message=getattr(error, "user_message", None),
        retry_after_minutes=_minutes(getattr(error, "retry_after_seconds", None)),
        csrf_failed=isinstance(error, CSRFError),
    )
    response = make_response(page, error.code)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    # Unhandled exceptions reach handlers wrapped in InternalServerError.
    app.register_error_handler(InternalServerError, handle_http_error)
