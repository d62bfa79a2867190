"""Attendance: facilitators' rosters on a tablet, walk-ins, offline sync."""

from flask import Blueprint

bp = Blueprint("attendance", __name__)
