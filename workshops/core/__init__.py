"""Public pages that belong to no single domain: home, about, health check."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from workshops.core import views  # noqa: E402,F401  (routes register on import)
