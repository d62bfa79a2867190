"""Public pages that belong to no single domain: home, about, health check."""

from flask import Blueprint

bp = Blueprint("core", __name__)
