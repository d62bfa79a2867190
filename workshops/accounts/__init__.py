"""Staff users (admins, coordinators, organisers, facilitators): login and administration."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group=None)

from workshops.accounts import cli, views  # noqa: E402,F401  (routes and commands register on import)
