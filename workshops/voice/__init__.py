"""The voice line: residents call the programme's Twilio number to hear workshops, sign up,
hear and cancel their places, or ask the team to call them back (a staff page)."""

from flask import Blueprint

bp = Blueprint("voice", __name__)
