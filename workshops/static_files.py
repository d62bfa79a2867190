"""Static files under content-hashed names, cached for a year, compressed like pages.

`url_for("static", filename="css/site.css")` gives `/static/css/site.<hash>.css`, the
hash being the first 12 hex digits of the file's SHA-256: a new deploy that changes a
file changes its name, so browsers and proxies may keep every version for a year
(`immutable`: not even revalidated on reload). A name whose hash is not the file's current
one (a page cached before a deploy) still gets today's file, without the long caching.
Files are read whole (they are a few kilobytes) so Flask-Compress compresses them with
gzip as well as brotli and zstd, as it does every page (see COMPRESSED_TYPES).
"""

import hashlib
import mimetypes
import re
from functools import cache
from pathlib import Path

from flask import Flask, abort, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

YEAR_SECONDS = 365 * 24 * 3600
HASHED_NAME = re.compile(r"(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)")
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                    "text/calendar", "text/csv", "application/json", "image/svg+xml",
                    "text/plain", "text/xml"]

compress = Compress()


@cache
def _content_hash(path: str, modified_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def content_hash(filename: str) -> str | None:
    path = safe_join(current_app.static_folder, filename)
    if path is None or not Path(path).is_file():
        return None
    return _content_hash(path, Path(path).stat().st_mtime_ns)


def hashed_name(filename: str) -> str:
    digest = content_hash(filename)
    stem, dot, suffix = filename.rpartition(".")
    if digest is None or not dot or "/" in suffix:
        return filename
    return f"{stem}.{digest}.{suffix}"


def _add_content_hash(endpoint: str, values: dict) -> None:
    if endpoint == "static" and isinstance(values.get("filename"), str):
        values["filename"] = hashed_name(values["filename"])


def serve_static(filename: str):
    immutable = False
    match = HASHED_NAME.fullmatch(filename)
    if match:
        original = match["stem"] + match["suffix"]
        if content_hash(original) is not None:
            immutable = content_hash(original) == match["hash"]
            filename = original
    path = safe_join(current_app.static_folder, filename)
    if path is None or not Path(path).is_file():
        abort(404)
    response = current_app.response_class(
        Path(path).read_bytes(), mimetype=mimetypes.guess_type(filename)[0]
        or "application/octet-stream")
    if immutable:
        response.headers["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
        response.add_etag()
        response.make_conditional(request)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.view_functions["static"] = serve_static
    app.url_defaults(_add_content_hash)
    compress.init_app(app)
