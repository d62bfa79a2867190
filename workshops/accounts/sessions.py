"""Staff sessions kept in the database, so signing out ends them in every server process.

Signing in stores a random token in the (signed) Flask session and its hash in a
StaffSession row; every request's user is found through that row. Deleting the row
ends that browser's session even for someone holding a copy of its cookie; deleting all
of a user's rows signs them out everywhere (password change, deactivation, or on request).
A session lasts PERMANENT_SESSION_LIFETIME from sign-in; expired rows are dropped at the
next sign-in.
"""

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select

from workshops.accounts.models import StaffSession, User
from workshops.extensions import db

# Where the Flask session keeps the token.
SESSION_KEY = "staff_session"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, *, now: datetime) -> str:
    """Open a session for `user` and return its token (for the Flask session only)."""
    db.session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(
        user_id=user.id, token_hash=_token_hash(token), created_at=now,
        expires_at=now + current_app.permanent_session_lifetime))
    db.session.flush()
    return token


def session_user(token: str | None, *, now: datetime) -> User | None:
    """The active user whose unexpired session has this token, else None."""
    if not token or not isinstance(token, str):
        return None
    return db.session.scalar(
        select(User).join(StaffSession, StaffSession.user_id == User.id).where(
            StaffSession.token_hash == _token_hash(token),
            StaffSession.expires_at > now,
            User.active.is_(True),
        )
    )


def end_session(token: str | None) -> None:
    """End the one session with this token (signing out in one browser)."""
    if token and isinstance(token, str):
        db.session.execute(
            delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def end_all_sessions(user: User) -> None:
    """Sign `user` out in every browser."""
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))

