import re

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from twilio.twiml.messaging_response import MessagingResponse

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.audit import services as audit
from workshops.audit.models import AuditAction
from workshops.db_types import utcnow
from workshops.extensions import csrf, db
from workshops.forms import ActionForm
from workshops.notifications import redaction, texts
from workshops.notifications import services as notifications
from workshops.notifications.models import DELIVERY_LABELS, KIND_LABELS, STATUS_LABELS
from workshops.sms import bp
from workshops.sms.inbound import handle
from workshops.sms.models import InboundMessage
from workshops.twilio_webhooks import TWILIO_SID, require_twilio_signature, twilio_parameter

# The shape of what Twilio sends (https://www.twilio.com/docs/messaging/guides/webhook-request):
# a message SID is a Twilio SID, a sender a phone number, short code or alphanumeric id, a
# body at most 1600 characters, an error code a number. Each fits its column, and none
# holds NUL, which PostgreSQL cannot store.
MESSAGE_SID = TWILIO_SID
SENDER = re.compile(r"[^\x00-\x1f\x7f]{1,32}")
BODY = re.compile(r"[^\x00]{0,1600}")
ERROR_CODE = re.compile(r"[0-9]{0,10}")
DELIVERY_STATUS = re.compile(r"[A-Za-z_-]{0,20}")


def twiml(reply: str | None):
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response), 200, {"Content-Type": "text/xml; charset=utf-8"}


@bp.post("/sms/inbound")
@csrf.exempt
def inbound():
    require_twilio_signature()
    sid = twilio_parameter("MessageSid", MESSAGE_SID)
    sender = twilio_parameter("From", SENDER)
    body = twilio_parameter("Body", BODY)
    try:
        reply = handle(sid, sender, body, now=utcnow())
        db.session.commit()
    except IntegrityError:
        # The same message delivered twice at the same moment: the other copy won, and
        # this one is answered as a redelivery.
        db.session.rollback()
        reply = handle(sid, sender, body, now=utcnow())
        db.session.commit()
    return twiml(reply)


@bp.post("/sms/status")
@csrf.exempt
def delivery_status():
    require_twilio_signature()
    sid = twilio_parameter("MessageSid", MESSAGE_SID)
    status = twilio_parameter("MessageStatus", DELIVERY_STATUS).lower()
    code = twilio_parameter("ErrorCode", ERROR_CODE)
    notifications.record_delivery(sid, status, code)
    db.session.commit()
    return "", 204


def _log_page(revealed: dict[int, str] | None = None):
    """The last messages, with numbers masked and links cut (see `redaction`); `revealed`
    holds the one number an admin asked to see, by message id."""
    received = db.session.scalars(
        select(InboundMessage).order_by(InboundMessage.received_at.desc()).limit(50)).all()
    sent = notifications.latest(50)
    failed = notifications.latest(20, failed_only=True)
    return render_template("sms/log.html", received=received, sent=sent, failed=failed,
                           revealed=revealed or {}, redacted=redaction.redacted,
                           may_reveal=current_user.has_role(Role.ADMIN),
                           KIND_LABELS=KIND_LABELS, STATUS_LABELS=STATUS_LABELS,
                           DELIVERY_LABELS=DELIVERY_LABELS)


@bp.app_template_global("sms_keyword")
def sms_keyword(action: str, language: str) -> str:
    """The word a resident texts for `action` in `language`, for pages that tell her."""
    return texts.keyword(action, language)


@bp.get("/staff/sms")
@role_required(Role.COORDINATOR)
def log():
    return _log_page()


@bp.post("/staff/sms/received/<int:message_id>/reveal")
@role_required(Role.ADMIN)
def reveal_number(message_id: int):
    """One sender's full number, for an admin (say, to answer someone who says their texts
    go unanswered). The log is shown again with that number in full, and the audit log
    records who asked for it."""
    message = db.session.get(InboundMessage, message_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    audit.record(current_user._get_current_object(), AuditAction.PHONE_REVEALED, message,
                 now=utcnow())
    db.session.commit()
    return _log_page({message.id: message.from_phone})
