""""My workshops": a resident proves her phone with a code sent by SMS, then sees and
manages all her registrations, her details, her SMS consent, and can delete her data."""

from flask import Blueprint

bp = Blueprint("my", __name__)

from workshops.my import views  # noqa: E402,F401  (routes)
