"""Staff account operations. Plain functions: they flush, the calling request commits."""

import ipaddress
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import LazyString
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
from workshops.accounts.sessions import end_all_sessions
from workshops.extensions import db
from workshops.i18n import default_language, languages
from workshops.services import DomainError

NAME_MAX_LENGTH = User.__table__.c.name.type.length


class AccountError(DomainError):
    messages = {
        "invalid_credentials": _l("The email or the password is not right."),
        "invalid_email": _l("Enter a valid email address, like name@example.org."),
        "name_missing": _l("Enter the person's name."),
        "name_too_long": _l("The name can have at most %(length)s characters.",
                            length=NAME_MAX_LENGTH),
        "unknown_language": _l("The language must be one of: %(languages)s.",
                               languages=LazyString(lambda: ", ".join(languages()))),
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
        self.retry_after_seconds = retry_after_seconds


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _client_network(address: str) -> str:
    """The address attempts are counted by: an IPv6 client holds a whole /64, so it counts
    as one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _login_limits(email: str, address: str) -> list[ratelimit.Limit]:
    """Failed sign-ins are limited per (email, address) pair and per address, so nobody can
    lock a staff member out by failing from elsewhere; the per-account ceiling is far higher.

    LOGIN_LIMIT_PER_EMAIL counts one email's failures from one address.
    """
    address = _client_network(address)
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_LIMIT_WINDOW_SECONDS"])
    per_account = config["LOGIN_LIMIT_PER_ACCOUNT"]
    return [
        ratelimit.Limit("login-email-address", f"{email}\x00{address}",
                        config["LOGIN_LIMIT_PER_EMAIL"], window),
        ratelimit.Limit("login-address", address, config["LOGIN_LIMIT_PER_ADDRESS"], window),
        ratelimit.Limit("login-email", email, per_account, window),
    ]


def authenticate(email: str, password: str, *, address: str, now: datetime) -> User:
    """Return the active user with these credentials, or raise AccountError.

    A failure counts against the (email, address) pair, the address and the email; once
    one of them reaches its limit, attempts are refused until the window passes. The
    count is taken after the (slow) password check, under a lock held to the end of the
    transaction: of simultaneous attempts, no more than the limit get an answer.
    """
    email = normalise_email(email)
    limits = _login_limits(email, address)
    try:
        ratelimit.check(limits, now=now)  # refused already: spare the password check
        user = find_user_by_email(email)
        if user is None:
            burn_verification_time()
        valid = (user is not None and verify_password(user.password_hash, password)
                 and user.active)
        ratelimit.hit(limits, now=now, record=not valid)
    except ratelimit.RateLimited as limited:
        raise AccountError("too_many_attempts", limited.retry_after_seconds) from None
    if not valid:
        db.session.flush()
        raise AccountError("invalid_credentials")

    own_failures_here = limits[0]  # forgiven once the owner gets in; the others are not
    ratelimit.clear(own_failures_here.scope, own_failures_here.key)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    db.session.flush()
    return user


def _valid_email(email: str) -> str:
    email = normalise_email(email or "")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise AccountError("invalid_email") from None
    return email


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AccountError("name_missing")
    if len(name) > NAME_MAX_LENGTH:
        raise AccountError("name_too_long")
    return name


def _check_language(language: str) -> None:
    if language not in languages():
        raise AccountError("unknown_language")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")


def create_user(
    *, email: str, name: str, password: str, roles, preferred_language: str | None = None
) -> User:
    preferred_language = preferred_language or default_language()
    email = _valid_email(email)
    name = _valid_name(name)
    _check_language(preferred_language)
    roles = {Role(r) for r in roles}
    if not roles:
        raise AccountError("no_roles")
    _check_password(password)
    if find_user_by_email(email) is not None:
        raise AccountError("email_taken")
    user = User(
        email=email,
        name=name,
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
    name = _valid_name(name)
    _check_language(preferred_language)
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
        end_all_sessions(user)
    if user.active and not active:
        end_all_sessions(user)
    user.name = name
    user.set_roles(roles)
    user.preferred_language = preferred_language
    user.active = active
    db.session.flush()
    return user


def change_own_password(user: User, *, current_password: str, new_password: str) -> None:
    """Change the password and end every session of the user (the caller may open a new
    one for the browser the change was made in)."""
    if not verify_password(user.password_hash, current_password):
        raise AccountError("invalid_credentials")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    db.session.flush()
