"""What the voice line forgets: a person's calls and call-back requests when she is erased,
everyone's once they are older than the retention period of text messages (a call is
kept as long as a text: SMS_RETENTION_DAYS). Rows are deleted, not blanked (see
workshops.sms.forget); a call's steps go with it (ON DELETE CASCADE)."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select

from workshops.database import delete_where_in
from workshops.extensions import db
from workshops.registrations.signals import residents_erased
from workshops.voice.models import CallbackRequest, VoiceCall


def forget_phones(phones: Collection[str]) -> int:
    """Delete every call from, and call-back request for, these phones (E.164). Returns how
    many rows went."""
    return (delete_where_in(VoiceCall.from_phone, phones)
            + delete_where_in(CallbackRequest.phone, phones))


@residents_erased.connect
def _forget_erased(_sender, *, resident_ids: Collection[int], phones: Collection[str]) -> None:
    forget_phones(phones)


def count_before(cutoff: datetime) -> int:
    calls = db.session.scalar(select(func.count()).select_from(VoiceCall).where(
        VoiceCall.started_at < cutoff))
    requests = db.session.scalar(select(func.count()).select_from(CallbackRequest).where(
        CallbackRequest.requested_at < cutoff))
    return calls + requests


def delete_before(cutoff: datetime) -> int:
    calls = db.session.execute(delete(VoiceCall).where(VoiceCall.started_at < cutoff)).rowcount
    requests = db.session.execute(delete(CallbackRequest).where(
        CallbackRequest.requested_at < cutoff)).rowcount
    return calls + requests
