"""Whole-page caching of public catalogue pages for anonymous visitors.

A cached page is keyed by the catalogue's version (workshops.catalogue.version), the
language, the URL and the current minute, so it is never older than the data it shows, and
what depends on the clock (sessions that just ended) is at most a minute old. Each server
process keeps its own small LRU cache.

A page with a form (the workshop page and its sign-up form) is kept with holes where what
belongs to one visitor goes, her CSRF token and the form's one-time submission key, and
they are filled anew for every request (`cached_with_holes`): no visitor ever gets another's.
"""

import secrets
from collections import OrderedDict
from functools import wraps
from threading import Lock
from time import time

from flask import current_app, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from workshops.catalogue.version import catalogue_version
from workshops.i18n import current_language

# Each worker process keeps its own: bounded in bytes, so a worker's memory stays flat
# however many pages, languages and filter combinations are asked for.
MAX_BYTES = 6 * 1024 * 1024
BUCKET_SECONDS = 60


class PageCache:
    """A least-recently-used store of page bodies (bytes or str), at most `max_bytes` of
    them in all."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self._pages: OrderedDict = OrderedDict()
        self._lock = Lock()
        self.max_bytes = max_bytes
        self.size = 0

    def get(self, key):
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key, body) -> None:
        with self._lock:
            previous = self._pages.pop(key, None)
            if previous is not None:
                self.size -= len(previous)
            self._pages[key] = body
            self.size += len(body)
            while self.size > self.max_bytes and self._pages:
                _key, dropped = self._pages.popitem(last=False)
                self.size -= len(dropped)


def _cache() -> PageCache:
    return current_app.extensions.setdefault("page_cache", PageCache())


def _key() -> tuple:
    return (request.path, current_language(), tuple(sorted(request.args.items(multi=True))),
            catalogue_version(), int(time() // BUCKET_SECONDS))


def cached_for_visitors(view):
    """Serve anonymous GETs of `view` from the page cache (signed-in staff bypass it)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        key = _key()
        body = _cache().get(key)
        if body is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            body = response.get_data()
            _cache().put(key, body)
        response = make_response(body)
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        response.headers["Vary"] = "Cookie, Accept-Language"
        return response

    return wrapped


# What an anonymous visitor's session holds that a kept page can carry: her CSRF token (as a
# hole) and Flask-Login's "not a fresh sign-in" flag, which it sets for anyone.
SHAREABLE_SESSION_KEYS = frozenset({"csrf_token", "_fresh"})
# Markers that cannot occur in any page: random per process, and put only where a hole is.
CSRF_HOLE = f"csrf-hole-{secrets.token_hex(16)}"
SUBMISSION_KEY_HOLE = f"submission-key-hole-{secrets.token_hex(16)}"


def rendering_holes() -> bool:
    """True while a page is rendered to be kept: forms then hold the markers."""
    return g.get("rendering_holes", False)


def cached_with_holes(view):
    """Serve GETs of `view` from the page cache, its holes filled for each request, to
    visitors whose session holds nothing of theirs but a CSRF token. Anyone else (signed-in
    staff, a flash message, a form she left half filled) gets a page rendered for her alone."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not SHAREABLE_SESSION_KEYS.issuperset(session):
            return view(*args, **kwargs)
        key = _key()
        page = _cache().get(key)
        if page is None:
            g.rendering_holes = True
            try:
                response = make_response(view(*args, **kwargs))
            finally:
                g.rendering_holes = False
            if response.status_code != 200:
                return response
            page = response.get_data(as_text=True)
            _cache().put(key, page)
        body = (page.replace(CSRF_HOLE, generate_csrf())
                .replace(SUBMISSION_KEY_HOLE, secrets.token_urlsafe(16)))
        response = make_response(body)
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        response.headers["Vary"] = "Cookie, Accept-Language"
        return response

    return wrapped
