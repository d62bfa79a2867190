"""Configuration defaults, overridden from the environment (12-factor style)."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def configured_languages() -> tuple[str, ...]:
    """The portal's languages from LANGUAGES ("ca,es,en"): the first is the default.

    Each needs a catalogue in translations/ (`make translations` creates a missing one)."""
    codes = os.environ.get("LANGUAGES", "ca,es,en").replace(" ", "").lower().split(",")
    languages = tuple(dict.fromkeys(code for code in codes if code))
    if not languages:
        raise ValueError("LANGUAGES must name at least one language, e.g. ca,es,en")
    return languages


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Build the settings dict for `create_app` from defaults and the environment."""
    default_db = "sqlite:///" + str(Path(instance_path) / "workshops.sqlite3")
    public_base_url = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    served_over_https = urlsplit(public_base_url).scheme == "https"
    languages = configured_languages()
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "PUBLIC_BASE_URL": public_base_url,
        # The right-hand side of calendar event UIDs: subscribers' calendars match events by
        # UID, so once feeds are public this must never change (even if the address does).
        "CALENDAR_UID_DOMAIN": os.environ.get("CALENDAR_UID_DOMAIN",
                                              urlsplit(public_base_url).hostname or "localhost"),
        "PREFERRED_URL_SCHEME": "https" if served_over_https else "http",
        # Number of proxies in front of the app (X-Forwarded-*); 0 = trust none.
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0")),
        # No form, upload or webhook of this portal comes near this: a larger body is a 413.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", served_over_https),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", served_over_https),
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "BABEL_DEFAULT_LOCALE": languages[0],
        "BABEL_DEFAULT_TIMEZONE": "Europe/Madrid",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": languages,
        # Argon2id, RFC 9106 "second recommended" profile (64 MiB, 3 passes) — above OWASP ASVS.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST_KIB": 64 * 1024,
        "ARGON2_PARALLELISM": 4,
        # Failed sign-ins allowed per window before answering 429: for one email from one
        # address, from one address, and for one account from everywhere (a ceiling high
        # enough that nobody can lock a named colleague out).
        "LOGIN_LIMIT_PER_EMAIL": 5,
        "LOGIN_LIMIT_PER_ADDRESS": 20,
        "LOGIN_LIMIT_PER_ACCOUNT": 100,
        "LOGIN_LIMIT_WINDOW_SECONDS": 15 * 60,
        # Sign-up attempts per hour. A library or civic centre shares one address.
        "REGISTRATION_LIMIT_PER_ADDRESS": int(os.environ.get("REGISTRATION_LIMIT_PER_ADDRESS",
                                                             "60")),
        "REGISTRATION_LIMIT_PER_PHONE": int(os.environ.get("REGISTRATION_LIMIT_PER_PHONE", "10")),
        "REGISTRATION_LIMIT_WINDOW_SECONDS": 3600,
        # "My workshops" (workshops.my): a code is valid this long from when it is sent, for
        # this many tries; codes asked per phone and per address, and codes tried per
        # address, within the window; a proof lasts this long.
        "MY_WORKSHOPS_CODE_MINUTES": 10,
        "MY_WORKSHOPS_CODE_TRIES": 5,
        "MY_WORKSHOPS_CODES_PER_PHONE": 3,
        "MY_WORKSHOPS_CODES_PER_ADDRESS": 30,
        "MY_WORKSHOPS_CHECKS_PER_ADDRESS": 60,
        "MY_WORKSHOPS_LIMIT_WINDOW_SECONDS": 3600,
        "MY_WORKSHOPS_SESSION_MINUTES": 30,
        # Audit events (who viewed, downloaded, revealed or erased residents' data) are kept
        # this long, then `purge_audit_events` deletes them.
        "AUDIT_RETENTION_DAYS": int(os.environ.get("AUDIT_RETENTION_DAYS", "730")),
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "log"),
        # Incoming messages answered per phone and hour; past that, silence (the bill).
        "SMS_INBOUND_LIMIT_PER_HOUR": 20,
        # Calls to the voice line answered per number and hour; past that, a short goodbye.
        "VOICE_CALLS_PER_NUMBER_PER_HOUR": int(os.environ.get(
            "VOICE_CALLS_PER_NUMBER_PER_HOUR", "10")),
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM_NUMBER": os.environ.get("TWILIO_FROM_NUMBER", ""),
        # How long personal data is kept (`flask privacy purge`, run daily by the SMS worker;
        # the privacy page reads the same values). Text messages in both directions, with
        # the numbers in them, are deleted after SMS_RETENTION_DAYS; a resident with no
        # registration, attendance or text message for RESIDENT_RETENTION_MONTHS is
        # anonymised exactly as an erasure would (anonymous figures stay).
        "SMS_RETENTION_DAYS": _env_positive_int("SMS_RETENTION_DAYS", 90),
        "RESIDENT_RETENTION_MONTHS": _env_positive_int("RESIDENT_RETENTION_MONTHS", 24),
        # Where residents write to exercise their rights (shown on /privacy): set it in
        # production; the default is a placeholder at a reserved domain.
        "PRIVACY_CONTACT_EMAIL": os.environ.get("PRIVACY_CONTACT_EMAIL",
                                                "privacitat@example.org"),
        # Texts nobody is waiting for (reminders, changes, follow-up questions) are sent only
        # from the first to the last hour, local time (workshops.notifications.quiet_hours).
        "SMS_SENDING_HOURS": (9, 21),
        # Outcomes (workshops.outcomes): the share of a workshop's sessions attended that
        # earns a certificate, and how many /verify look-ups an address may make an hour.
        "CERTIFICATE_MIN_ATTENDANCE": float(os.environ.get("CERTIFICATE_MIN_ATTENDANCE",
                                                           "0.75")),
        "VERIFY_LIMIT_PER_ADDRESS": 60,
        # Operations (workshops.operations, workshops.logs): logs as JSON lines ("json") or
        # Python's plain format ("text"); /readyz fails when no SMS worker finished a round
        # for this long, or a due message has waited this long (0 turns a check off);
        # /metrics answers loopback, and anyone sending "Authorization: Bearer <token>".
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "READY_MAX_HEARTBEAT_AGE_SECONDS": int(os.environ.get("READY_MAX_HEARTBEAT_AGE_SECONDS",
                                                              "120")),
        "READY_MAX_OUTBOX_AGE_SECONDS": int(os.environ.get("READY_MAX_OUTBOX_AGE_SECONDS",
                                                           "900")),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        # The phone residents call with questions (every page's footer and the accessibility
        # statement), and when it is answered, in each language (CONTACT_HOURS_CA, _ES, …;
        # a language without its own shows the first language's). The defaults are the City
        # Council's 010 information line and placeholder hours: set them in production.
        "CONTACT_PHONE": os.environ.get("CONTACT_PHONE", "010"),
        "CONTACT_HOURS": {
            language: os.environ.get(f"CONTACT_HOURS_{language.upper()}",
                                     DEFAULT_CONTACT_HOURS.get(language, ""))
            for language in languages},
    }


DEFAULT_CONTACT_HOURS = {
    "ca": "De dilluns a divendres, de 9 a 14 h",
    "es": "De lunes a viernes, de 9 a 14 h",
    "en": "Monday to Friday, 9 am to 2 pm",
}


def _env_positive_int(name: str, default: int) -> int:
    """A whole number of at least 1: a retention period of 0 would delete everything."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be at least 1, not {number}")
    return number


def _instance_secret_key(instance_path: str) -> str:
    """A stable per-install key for local runs, so sessions survive restarts.

    Production sets SECRET_KEY; this keeps `make run` zero-configuration without
    committing a key.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
