"""Staff account operations. Plain functions: they flush, the calling request commits."""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from workshops import ratelimit
from workshops.accounts.models import Role, RoleGrant, User
from workshops.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from workshops.extensions import db


class AccountError(Exception):
    messages = {
        "invalid_credentials": _l("The email or the password is not right."),
        "too_many_attempts": _l("Too many failed attempts. Please wait a few minutes."),
        "email_taken": _l("There is already a staff account with this email."),
        "password_too_short": _l(
            "The password must have at least %(length)s characters.", length=MIN_PASSWORD_LENGTH
        ),
        "no_roles": _l("Choose at least one role."),
        "last_admin": _l("There must always be at least one active administrator."),
        "self_lockout": _l("You cannot deactivate your own account or remove your own admin role."),
    }

    def __init__(self, code: str, retry_after_seconds: int | None = None):
        super().__init__(code)
        self.code = code
        self.retry_after_seconds = retry_after_seconds

    @property
    def message(self):
        return self.messages[self.code]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _login_limits():
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_LIMIT_WINDOW_SECONDS"])
    return window, config["LOGIN_LIMIT_PER_EMAIL"], config["LOGIN_LIMIT_PER_ADDRESS"]


def authenticate(email: str, password: str, *, address: str, now: datetime) -> User:
    """Return the active user with these credentials, or raise AccountError.

    Failures count against both the email and the client address; once either reaches
    its limit, attempts are refused (without checking the password) until the window passes.
    """
    email = normalise_email(email)
    window, per_email, per_address = _login_limits()
    try:
        ratelimit.check("login-email", email, limit=per_email, window=window, now=now)
        ratelimit.check("login-address", address, limit=per_address, window=window, now=now)
    except ratelimit.RateLimited as limited:
        raise AccountError("too_many_attempts", limited.retry_after_seconds) from None

    user = find_user_by_email(email)
    if user is None:
        burn_verification_time()
    if user is None or not verify_password(user.password_hash, password) or not user.active:
        ratelimit.record("login-email", email, now=now, window=window)
        ratelimit.record("login-address", address, now=now, window=window)
        db.session.flush()
        raise AccountError("invalid_credentials")

    ratelimit.clear("login-email", email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    db.session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")


def create_user(
    *, email: str, name: str, password: str, roles, preferred_language: str = "ca"
) -> User:
    email = normalise_email(email)
    roles = {Role(r) for r in roles}
    if not roles:
        raise AccountError("no_roles")
    _check_password(password)
    if find_user_by_email(email) is not None:
        raise AccountError("email_taken")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        preferred_language=preferred_language,
    )
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    return user


def _active_admin_count() -> int:
    return db.session.scalar(
        select(func.count(func.distinct(User.id)))
        .join(RoleGrant)
        .where(User.active.is_(True), RoleGrant.role == Role.ADMIN)
    )


def update_user(
    user: User,
    *,
    acting_user: User,
    name: str,
    roles,
    preferred_language: str,
    active: bool,
    new_password: str = "",
) -> User:
    roles = {Role(r) for r in roles}
    if not roles:
        raise AccountError("no_roles")
    if user.id == acting_user.id and (not active or Role.ADMIN not in roles):
        raise AccountError("self_lockout")
    loses_admin = user.active and Role.ADMIN in user.roles
    loses_admin = loses_admin and (not active or Role.ADMIN not in roles)
    if loses_admin and _active_admin_count() <= 1:
        raise AccountError("last_admin")
    if new_password:
        _check_password(new_password)
        user.password_hash = hash_password(new_password)
        user.sign_out_everywhere()
    if user.active and not active:
        user.sign_out_everywhere()
    user.name = name.strip()
    user.set_roles(roles)
    user.preferred_language = preferred_language
    user.active = active
    db.session.flush()
    return user


def change_own_password(user: User, *, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise AccountError("invalid_credentials")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    user.sign_out_everywhere()
    db.session.flush()
