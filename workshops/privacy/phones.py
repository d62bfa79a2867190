"""Erasing a phone number that belongs to no resident, when its owner asks: someone who
texted or called the programme, or asked to be called back, without ever signing up.

What is kept of her is what that number sent or asked for: the texts it sent, with the
replies, its calls and call-back requests, and the attempts to sign up with it. The
retention periods delete them after SMS_RETENTION_DAYS; she may ask for it sooner (GDPR
art. 17). A resident's number is erased with the resident (registrations.erasure).

Plain functions: they flush, the caller commits.
"""

from dataclasses import dataclass

from sqlalchemy import select

from workshops import ratelimit
from workshops.extensions import db
from workshops.registrations.erasure import PHONE_LIMIT_SCOPE
from workshops.sms import forget as sms
from workshops.sms.models import InboundMessage
from workshops.voice import forget as voice
from workshops.voice.models import CallbackRequest, VoiceCall


@dataclass(frozen=True)
class ErasedPhone:
    messages: int  # texts received, each with its reply
    calls: int  # calls and call-back requests
    # One of the rows erased, for the audit log (which names a record, never a number);
    # None when nothing was kept.
    first: CallbackRequest | VoiceCall | InboundMessage | None


def erase_phone(e164: str) -> ErasedPhone:
    """Delete everything kept from the number `e164`, which belongs to no resident."""
    senders = sms.senders_matching([e164])
    first = (db.session.scalar(select(CallbackRequest).where(CallbackRequest.phone == e164)
                               .order_by(CallbackRequest.id).limit(1))
             or db.session.scalar(select(VoiceCall).where(VoiceCall.from_phone == e164)
                                  .order_by(VoiceCall.id).limit(1))
             or (db.session.scalar(select(InboundMessage)
                                   .where(InboundMessage.from_phone.in_(senders))
                                   .order_by(InboundMessage.id).limit(1))
                 if senders else None))
    erased = ErasedPhone(messages=sms.forget_phones([e164]), calls=voice.forget_phones([e164]),
                         first=first)
    ratelimit.clear(PHONE_LIMIT_SCOPE, e164)
    db.session.flush()
    return erased
