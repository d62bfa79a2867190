"""What every Twilio webhook (SMS and voice) shares: the signature check and the shape of
the parameters Twilio sends."""

import re

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

# A Twilio SID (MessageSid, CallSid): two capital letters and 32 characters (hexadecimal
# in Twilio's).
TWILIO_SID = re.compile(r"[A-Z]{2}[0-9A-Za-z]{32}")


def signed_by_twilio() -> bool:
    """Check X-Twilio-Signature against the public URL Twilio called (not request.url,
    which differs behind a TLS proxy)."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = current_app.config["PUBLIC_BASE_URL"] + request.full_path.rstrip("?")
    return RequestValidator(token).validate(url, request.form, signature)


def require_twilio_signature() -> None:
    """403 for a request Twilio did not sign: it changes nothing."""
    if not signed_by_twilio():
        abort(403)


def twilio_parameter(name: str, shape: re.Pattern) -> str:
    """A parameter of a signed Twilio request, or 400 if it cannot have come from Twilio.

    Refused (400) rather than accepted and ignored (200): the request changes nothing
    either way, but Twilio logs a 4xx answer in its debugger, where an operator sees it,
    and a 200 would hide it. A retry (Twilio retries on timeouts unless the URL's `#rp=`
    override asks for more) is refused the same way, so it is harmless."""
    value = request.form.get(name, "")
    if not shape.fullmatch(value):
        abort(400)
    return value
