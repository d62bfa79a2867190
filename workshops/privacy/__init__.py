"""Privacy: how long personal data is kept (the purge), and the privacy page residents read."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, cli_group="privacy")
