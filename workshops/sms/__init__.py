"""SMS: the Twilio webhook residents text, the Twilio transport the notifications worker
sends through (and the `flask sms worker` command that runs it), and the log."""

from flask import Blueprint

bp = Blueprint("sms", __name__, cli_group="sms")
