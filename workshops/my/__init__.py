""""My workshops": a resident proves her phone with a code sent by SMS, then sees and
manages all her registrations, her details, her SMS consent, and can delete her data."""

from flask import Blueprint

bp = Blueprint("my", __name__)
