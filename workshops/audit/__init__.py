"""The audit log: who looked at or changed residents' personal data, and when."""

from flask import Blueprint

bp = Blueprint("audit", __name__)
