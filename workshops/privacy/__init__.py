"""Privacy: how long personal data is kept, and the purge that applies it."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, cli_group="privacy")

from workshops.privacy import cli  # noqa: E402,F401  (commands)
