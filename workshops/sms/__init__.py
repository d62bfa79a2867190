"""SMS: the Twilio webhook residents text, the outbox worker that sends, and the log."""

from flask import Blueprint

bp = Blueprint("sms", __name__, cli_group="sms")

from workshops.sms import cli, views  # noqa: E402,F401  (routes and commands)
