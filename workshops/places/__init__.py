"""Barcelona's districts, neighbourhoods and the venues workshops are held at."""

from flask import Blueprint

bp = Blueprint("places", __name__, cli_group="places")
