"""The audit log: who looked at or changed residents' personal data, and when."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from workshops.audit import views  # noqa: E402,F401  (routes)
