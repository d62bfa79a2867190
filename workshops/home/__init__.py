"""The public home page, and the health check the process manager and the benchmark call."""

from flask import Blueprint

bp = Blueprint("home", __name__)
