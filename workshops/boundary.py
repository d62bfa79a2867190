"""What every request passes through before a view sees it.

Two kinds of input reached the database raw and answered 500: ids past what an integer
column holds (PostgreSQL's INTEGER stops at 2^31 - 1, SQLite's at 2^63 - 1) and NUL
characters, which PostgreSQL refuses in text. Both are stopped here, once, for every
route: an id out of range is a page that does not exist (404), and a NUL anywhere in the
path, the query string, a form or a JSON body is a bad request (400) with a message.
"""

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# The largest id any table can hold on both engines (PostgreSQL INTEGER).
MAX_ID = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that only matches ids a table can hold: a larger one is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(text: str | None) -> int | None:
    """An id typed in a query string or a form field, or None when it cannot be one.

    Only ASCII digits count (`str.isdigit()` also accepts "²", which `int()` refuses).
    """
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def parse_page(text: str | None) -> int:
    """A page number from the query string: 1 unless it is a sensible positive number."""
    return parse_id(text) or 1


class UnstorableCharacters(BadRequest):
    """400 for text with NUL characters, which no database column can store."""

    user_message = _l("The text you sent contains characters that cannot be stored. "
                      "Please write it again without them.")


def _has_nul(multidict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values)
               for key, values in multidict.lists())


def refuse_nul_characters() -> None:
    if "\x00" in request.path:
        raise UnstorableCharacters()
    if _has_nul(request.args):
        raise UnstorableCharacters()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _has_nul(request.form):
            raise UnstorableCharacters()
    elif request.is_json:
        body = request.get_data(cache=True)
        if b"\x00" in body or b"\\u0000" in body:
            raise UnstorableCharacters()


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


def install_converters(app: Flask) -> None:
    """Must run before any blueprint adds its rules: a rule binds its converter then."""
    app.url_map.converters["int"] = BoundedIntegerConverter
