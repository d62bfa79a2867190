"""Workshops and their sessions: organisers publish them, residents find them."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)


@bp.record_once
def add_template_globals(state):
    """Labels every template (and imported macro) may use."""
    from workshops.catalogue import models
    from workshops.catalogue.distances import distance_label

    state.app.jinja_env.globals.update(
        SignUp=models.SignUp,
        distance_label=distance_label,
        AUDIENCE_LABELS=models.AUDIENCE_LABELS,
        INSTRUCTION_LANGUAGES=models.INSTRUCTION_LANGUAGES,
        LEVEL_LABELS=models.LEVEL_LABELS,
        STATUS_LABELS=models.STATUS_LABELS,
        WorkshopStatus=models.WorkshopStatus,
    )
