"""Language choice and multilingual content.

The language comes from `?lang=` (remembered in a cookie), else the logged-in user's
preference, else the browser's Accept-Language, else Catalan.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import Flask, current_app, g, request
from flask_login import current_user

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language's name written in itself, as a switcher should show it.
LANGUAGE_NAMES = {"ca": "Català", "es": "Español", "en": "English"}
FALLBACK_ORDER = ("ca", "es", "en")


@dataclass(frozen=True)
class LocalizedText:
    text: str
    language: str
    fell_back: bool

    def __str__(self) -> str:
        return self.text


def localized(texts: dict[str, str | None], requested: str) -> LocalizedText:
    """Pick `requested`, else the first non-empty text in the order ca → es → en."""
    for language in (requested, *FALLBACK_ORDER):
        text = (texts.get(language) or "").strip()
        if text:
            return LocalizedText(text, language, language != requested)
    return LocalizedText("", requested, False)


def select_language() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang", "").strip().lower()
    if chosen in languages:
        g.language_to_remember = chosen
        return chosen
    remembered = request.cookies.get(LANGUAGE_COOKIE, "")
    if remembered in languages:
        return remembered
    if current_user and current_user.is_authenticated:
        preferred = getattr(current_user, "preferred_language", None)
        if preferred in languages:
            return preferred
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def current_language() -> str:
    if "language" not in g:
        g.language = select_language() if request else current_app.config["BABEL_DEFAULT_LOCALE"]
    return g.language


def remember_language(response):
    chosen = g.get("language_to_remember")
    if chosen and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def language_switch_url(language: str) -> str:
    """The current page in another language (a GET, so it works after a POST too)."""
    args = request.args.to_dict(flat=False) if request.method == "GET" else {}
    args["lang"] = [language]
    return request.script_root + quote(request.path) + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    app.after_request(remember_language)
    from workshops.forms import select_groups

    app.jinja_env.globals.update(
        select_groups=select_groups,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        language_switch_url=language_switch_url,
    )
