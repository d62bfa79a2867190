"""Whole-page caching of public catalogue pages for anonymous visitors.

A cached page is keyed by the catalogue's version (workshops.catalogue.version), the
language, the URL and the current minute, so it is never older than the data it shows, and
what depends on the clock (sessions that just ended) is at most a minute old. Each server
process keeps its own small LRU cache.
"""

from collections import OrderedDict
from functools import wraps
from threading import Lock
from time import time

from flask import current_app, make_response, request, session
from flask_login import current_user

from workshops.catalogue.version import catalogue_version
from workshops.i18n import current_language

MAX_PAGES = 512
BUCKET_SECONDS = 60


class PageCache:
    def __init__(self, max_pages: int = MAX_PAGES):
        self._pages: OrderedDict = OrderedDict()
        self._lock = Lock()
        self.max_pages = max_pages

    def get(self, key):
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key, body) -> None:
        with self._lock:
            self._pages[key] = body
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)


def _cache() -> PageCache:
    return current_app.extensions.setdefault("page_cache", PageCache())


def cached_for_visitors(view):
    """Serve anonymous GETs of `view` from the page cache (signed-in staff bypass it)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        key = (request.path, current_language(), tuple(sorted(request.args.items(multi=True))),
               catalogue_version(), int(time() // BUCKET_SECONDS))
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
