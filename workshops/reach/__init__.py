"""Reach statistics per neighbourhood: who the programme reached, where, and where next."""

from flask import Blueprint

bp = Blueprint("reach", __name__)

from workshops.reach import facts, indexes, views  # noqa: E402,F401  (model, indexes, routes)
