"""Running the portal in production: readiness, metrics, backups."""

from flask import Blueprint

bp = Blueprint("operations", __name__, cli_group="backup")
