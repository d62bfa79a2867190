"""Attendance: facilitators' rosters on a tablet, walk-ins, offline sync."""

from flask import Blueprint

bp = Blueprint("attendance", __name__)

from workshops.attendance import views  # noqa: E402,F401  (routes)
