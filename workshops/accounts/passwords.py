"""Password hashing with Argon2id (Werkzeug's default scrypt cost is below OWASP ASVS)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 12


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def burn_verification_time() -> None:
    """Spend the time of a real verification so unknown emails can't be told by timing."""
    verify_password(_dummy_hash(), "not the password")


def _dummy_hash() -> str:
    key = "_dummy_password_hash"
    if key not in current_app.extensions:
        current_app.extensions[key] = hash_password("a password nobody has")
    return current_app.extensions[key]
