"""Language choice and multilingual content.

The portal's languages are the LANGUAGES setting (config.configured_languages), the first
being the default. The language comes from `?lang=` (remembered in a cookie), else the
logged-in user's preference, else the browser's Accept-Language, else the default.
"""

from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, urlencode

from babel import Locale
from flask import Flask, current_app, g, request
from flask_babel import LazyString, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
# Where the portal's word for a language differs from Babel's (castellà, not espanyol).
PREFERRED_LANGUAGE_WORDS = {"es": _l("Spanish")}


@dataclass(frozen=True)
class LocalizedText:
    text: str
    language: str
    fell_back: bool

    def __str__(self) -> str:
        return self.text


def languages() -> tuple[str, ...]:
    return current_app.config["LANGUAGES"]


def default_language() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@cache
def _own_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


def own_language_names() -> dict[str, str]:
    """Each language's name written in itself, as a switcher shows it: {"ca": "Català"…}."""
    return {code: _own_name(code) for code in languages()}


def language_name(code: str) -> str:
    """`code`'s name in the language of the page, as a sentence uses it ("castellà")."""
    preferred = PREFERRED_LANGUAGE_WORDS.get(code)
    if preferred is not None:
        return str(preferred)
    return Locale.parse(code).get_display_name(get_locale() or code)


def lazy_language_name(code: str) -> LazyString:
    return LazyString(language_name, code)


def localized(texts: dict[str, str | None], requested: str) -> LocalizedText:
    """Pick `requested`, else the first non-empty text in the order of LANGUAGES (then any
    other language a text was written in)."""
    for language in (requested, *languages(), *texts):
        text = (texts.get(language) or "").strip()
        if text:
            return LocalizedText(text, language, language != requested)
    return LocalizedText("", requested, False)


def select_language() -> str:
    offered = languages()
    chosen = request.args.get("lang", "").strip().lower()
    if chosen in offered:
        g.language_to_remember = chosen
        return chosen
    remembered = request.cookies.get(LANGUAGE_COOKIE, "")
    if remembered in offered:
        return remembered
    if current_user and current_user.is_authenticated:
        preferred = getattr(current_user, "preferred_language", None)
        if preferred in offered:
            return preferred
    return request.accept_languages.best_match(offered) or default_language()


def current_language() -> str:
    if "language" not in g:
        g.language = select_language() if request else default_language()
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


_translations_by_locale: dict = {}


def translations():
    """The current locale's translations. Flask-Babel keeps them for ever too, but looks
    them up through five context proxies for each of the 40 to 60 strings of a page."""
    locale = get_locale()
    found = _translations_by_locale.get(locale)
    if found is None:
        found = _translations_by_locale[locale] = get_translations()
    return found


def init_app(app: Flask) -> None:
    app.after_request(remember_language)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    from workshops.forms import select_html

    app.jinja_env.globals.update(
        select_html=select_html,
        languages=languages,
        own_language_names=own_language_names,
        language_name=language_name,
        current_language=current_language,
        language_switch_url=language_switch_url,
    )
