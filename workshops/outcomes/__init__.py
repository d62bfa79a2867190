"""Outcomes: did the workshop help? The one follow-up question sent by SMS the day after a
workshop's last session, and the participation certificates residents who attended enough
of it can print, with the page that verifies them (/verify/<code>).

It reads the catalogue, registrations and attendance, and is read by notifications (the
question's text), SMS (answers and CERTIFICAT), My workshops and reach (the figures).
"""

from flask import Blueprint

bp = Blueprint("outcomes", __name__)
