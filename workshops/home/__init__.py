"""The public home page, the accessibility statement and the contact every page's footer
gives, and the health check the process manager and the benchmark call."""

from flask import Blueprint

bp = Blueprint("home", __name__)


@bp.record_once
def add_template_globals(state):
    from workshops.home.contact import site_contact

    state.app.jinja_env.globals.update(site_contact=site_contact)
