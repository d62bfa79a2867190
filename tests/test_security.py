import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workshops import ratelimit
from workshops.clock import utcnow
from workshops.config import PROJECT_ROOT
from workshops.database import write_transaction
from workshops.extensions import db
from workshops.ratelimit import Limit, RateLimited, RateLimitHit


def test_pages_send_security_headers(client, app_context):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(self)"


def test_plain_http_gets_no_hsts_header(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_https_deployments_send_hsts(monkeypatch, tmp_path):
    from workshops import create_app

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tallers.example.org")
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_error_pages_send_security_headers_too(client, app_context):
    assert "Content-Security-Policy" in client.get("/missing").headers


def template_files():
    return sorted((PROJECT_ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", template_files(), ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(path):
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script> breaks the CSP"
    assert "<style" not in html and " style=" not in html, "inline style breaks the CSP"
    assert not re.search(r"\bon[a-z]+=\"", html), "inline event handler breaks the CSP"


def test_no_third_party_assets_are_referenced():
    checked = list(template_files()) + list((PROJECT_ROOT / "workshops" / "static").rglob("*"))
    for path in checked:
        if path.is_file() and path.suffix in {".html", ".css", ".js"}:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(src|href)=\"(https?:)?//", text), path
            assert "url(http" not in text and "@import" not in text, path


def test_an_unexpected_error_shows_a_translated_500_page(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test?lang=es")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "RuntimeError" not in html
    assert "Content-Security-Policy" in response.headers


def test_health_check_answers_plain_ok(client):
    response = client.get("/healthz")
    assert (response.status_code, response.data) == (200, b"ok")


# Attempt limits (sign-in, sign-up): counted in the database, atomically.

WINDOW = timedelta(minutes=15)


def hits_let_through(limits, *, times, now):
    let_through = 0
    for _ in range(times):
        try:
            ratelimit.hit(limits, now=now)
            let_through += 1
        except RateLimited:
            pass
    return let_through


def stored_hits(scope=None):
    query = select(func.count()).select_from(RateLimitHit)
    if scope:
        query = query.where(RateLimitHit.scope == scope)
    return db.session.scalar(query)


def test_a_limit_lets_exactly_its_number_of_hits_through_in_a_window(app_context):
    now = utcnow()
    assert hits_let_through([Limit("test", "key", 3, WINDOW)], times=10, now=now) == 3
    assert stored_hits() == 3
    assert hits_let_through([Limit("test", "other key", 3, WINDOW)], times=1, now=now) == 1


def test_a_refused_hit_tells_when_to_come_back(app_context):
    now = utcnow()
    limit = Limit("test", "key", 2, WINDOW)
    ratelimit.hit([limit], now=now - timedelta(minutes=10))
    ratelimit.hit([limit], now=now)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit([limit], now=now)
    assert refused.value.retry_after_seconds == 5 * 60 + 1


def test_hits_older_than_the_window_stop_counting_and_are_dropped(app_context):
    then = utcnow()
    limit = Limit("test", "key", 2, WINDOW)
    hits_let_through([limit], times=2, now=then)
    assert hits_let_through([limit], times=1, now=then + WINDOW - timedelta(seconds=1)) == 0
    assert hits_let_through([limit], times=3, now=then + WINDOW) == 2
    assert stored_hits() == 2


def test_old_hits_are_dropped_at_most_once_a_minute_per_scope(app_context):
    """Issue 17: a busy scope does not pay a DELETE for every hit; what waits never counts."""
    then = utcnow()
    limit = Limit("test-prune", "key", 10, WINDOW)
    hits_let_through([limit], times=2, now=then)
    hits_let_through([limit], times=1, now=then + timedelta(seconds=30))
    assert stored_hits("test-prune") == 3
    hits_let_through([limit], times=1, now=then + WINDOW + timedelta(seconds=10))
    assert stored_hits("test-prune") == 2  # a minute later: the first two went
    later = then + WINDOW + timedelta(seconds=40)
    hits_let_through([limit], times=1, now=later)
    assert stored_hits("test-prune") == 3  # within the minute: the one at +30 s waits,
    ratelimit.check([Limit("test-prune", "key", 3, WINDOW)], now=later)  # and counts not


def test_a_refused_hit_counts_against_none_of_its_limits(app_context):
    now = utcnow()
    per_address = Limit("test-address", "10.0.0.1", 1, WINDOW)
    per_phone = Limit("test-phone", "+34612345678", 5, WINDOW)
    ratelimit.hit([per_address], now=now)
    with pytest.raises(RateLimited):
        ratelimit.hit([per_phone, per_address], now=now)
    assert stored_hits("test-phone") == 0


def test_checking_or_letting_through_without_recording_counts_nothing(app_context):
    now = utcnow()
    limit = Limit("test", "key", 1, WINDOW)
    ratelimit.check([limit], now=now)
    ratelimit.hit([limit], now=now, record=False)
    assert stored_hits() == 0


def test_simultaneous_hits_from_many_threads_let_exactly_the_limit_through(app):
    """Each thread is its own transaction against the real database, as a request is: the
    lock (PostgreSQL) or the write lock taken up front (SQLite) makes them take turns."""
    limit, attempts = 5, 24
    barrier = threading.Barrier(attempts)

    def attempt():
        with app.app_context(), write_transaction():
            barrier.wait()
            try:
                ratelimit.hit([Limit("test", "key", limit, WINDOW)], now=utcnow())
                time.sleep(0.02)  # the rest of the request, before it commits
                db.session.commit()
                return True
            except RateLimited:
                db.session.rollback()
                return False
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        outcomes = list(pool.map(lambda _n: attempt(), range(attempts)))
    assert outcomes.count(True) == limit
    with app.app_context():
        assert stored_hits() == limit
