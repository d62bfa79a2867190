"""Residents and their registrations: register, cancel, waiting list, manage link."""

from flask import Blueprint

bp = Blueprint("registrations", __name__)

from workshops.registrations import staff_views, views  # noqa: E402,F401  (routes)
