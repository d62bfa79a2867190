"""Workshops and their sessions: organisers publish them, residents find them."""

from flask import Blueprint
from flask_login import current_user

bp = Blueprint("catalogue", __name__)


@bp.record_once
def add_template_globals(state):
    """Labels every template (and imported macro) may use."""
    from workshops.catalogue import local_time, models
    from workshops.catalogue.distances import distance_label

    state.app.jinja_env.filters.update(
        long_date=local_time.long_date,
        month_and_year=local_time.month_and_year,
        weekday_and_day=local_time.weekday_and_day,
        weekday_day_and_time=local_time.weekday_day_and_time,
    )
    state.app.jinja_env.globals.update(
        SignUp=models.SignUp,
        distance_label=distance_label,
        can_edit_workshop=_current_user_can_edit,
        AUDIENCE_LABELS=models.AUDIENCE_LABELS,
        INSTRUCTION_LANGUAGES=models.INSTRUCTION_LANGUAGES,
        LEVEL_LABELS=models.LEVEL_LABELS,
        STATUS_LABELS=models.STATUS_LABELS,
        WorkshopStatus=models.WorkshopStatus,
    )


def _current_user_can_edit(workshop) -> bool:
    """Whether to offer the signed-in user the workshop's staff pages: the rule those pages
    apply (catalogue.services.can_edit), so no link leads to a 403."""
    from workshops.catalogue.services import can_edit

    return current_user.is_authenticated and can_edit(current_user, workshop)
