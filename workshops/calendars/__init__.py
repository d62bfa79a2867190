"""iCalendar feeds and downloads, the calendars pages and the coordinators' schedule export."""

from flask import Blueprint

bp = Blueprint("calendars", __name__)


@bp.record_once
def add_template_globals(state):
    from workshops.calendars.links import google_calendar_link

    state.app.jinja_env.globals.update(google_calendar_link=google_calendar_link)
