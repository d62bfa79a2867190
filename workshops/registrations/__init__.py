"""Residents and their registrations: register, cancel, waiting list, manage link."""

from flask import Blueprint

bp = Blueprint("registrations", __name__)
