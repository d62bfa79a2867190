"""Reach statistics per neighbourhood: who the programme reached, where, and where next."""

from flask import Blueprint

bp = Blueprint("reach", __name__)
