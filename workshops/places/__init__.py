"""Barcelona's districts, neighbourhoods and the venues workshops are held at."""

from flask import Blueprint

bp = Blueprint("places", __name__, cli_group="places")

from workshops.places import cli, views  # noqa: E402,F401  (routes and commands register on import)
