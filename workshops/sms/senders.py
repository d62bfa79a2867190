"""The SMS transports of notifications: the log (default, for development) or Twilio."""

import logging
import uuid

from flask import Flask
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.rest import Client

from workshops.notifications.transport import SendError, Transport

logger = logging.getLogger(__name__)

# Twilio errors that no retry can fix: bad or unreachable number, or the person opted out
# at the carrier (21610). https://www.twilio.com/docs/api/errors
PERMANENT_TWILIO_ERRORS = {21211, 21214, 21217, 21408, 21610, 21612, 21614, 30003, 30005,
                           30006, 30007}


class LogSender:
    """Calls each message sent and logs that it was, with its length but never its number
    or text (staff read what was sent, links cut out, on the SMS log page)."""

    def send(self, to: str, body: str) -> str:
        message_id = f"log-{uuid.uuid4().hex[:16]}"
        logger.info("SMS handed to the log backend", extra={
            "provider_id": message_id, "characters": len(body)})
        return message_id


class TwilioSender:
    def __init__(self, client: Client, from_number: str, status_callback: str | None):
        self.client = client
        self.from_number = from_number
        self.status_callback = status_callback

    def send(self, to: str, body: str) -> str:
        options = {"to": to, "from_": self.from_number, "body": body}
        if self.status_callback:
            options["status_callback"] = self.status_callback
        try:
            return self.client.messages.create(**options).sid
        except TwilioRestException as error:
            permanent = error.code in PERMANENT_TWILIO_ERRORS or error.status in (400, 404)
            if error.status == 429 or (error.status or 0) >= 500:
                permanent = False
            raise SendError(f"Twilio error {error.code}: {error.msg}", permanent=permanent) \
                from None
        except (TwilioException, OSError) as error:
            raise SendError(f"{type(error).__name__}: {error}", permanent=False) from None


def make_sender(app: Flask, http_client: HttpClient | None = None) -> Transport:
    config = app.config
    if config["SMS_BACKEND"] == "twilio":
        client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                        http_client=http_client)
        return TwilioSender(client, config["TWILIO_FROM_NUMBER"],
                            config["PUBLIC_BASE_URL"] + "/sms/status")
    return LogSender()
