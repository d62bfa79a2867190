"""iCalendar feeds and downloads, the calendars pages and the coordinators' schedule export."""

from flask import Blueprint

bp = Blueprint("calendars", __name__)

from workshops.calendars import views  # noqa: E402,F401  (routes)
from workshops.calendars.links import google_calendar_link  # noqa: E402

bp.add_app_template_global(google_calendar_link)
