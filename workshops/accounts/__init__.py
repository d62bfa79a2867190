"""Staff users (admins, coordinators, organisers, facilitators): login and administration."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group=None)


@bp.record_once
def add_template_globals(state):
    from workshops.accounts.forms import ROLE_LABELS
    from workshops.accounts.models import Role

    state.app.jinja_env.globals.update(Role=Role, ROLE_LABELS=ROLE_LABELS)
