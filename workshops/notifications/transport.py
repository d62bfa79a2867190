"""How a rendered message leaves: any transport that takes a number and a text.

SMS through Twilio is the first (workshops.sms.senders); the worker knows only this
interface."""

from typing import Protocol


class SendError(Exception):
    """A message did not leave. A permanent error is not retried (bad number, opted out
    at the carrier); any other is, with backoff."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send `body` to `to`; return the provider's id for the message, or raise
        SendError."""
