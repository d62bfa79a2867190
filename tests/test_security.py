import re

import pytest

from workshops.config import PROJECT_ROOT


def test_pages_send_security_headers(client, app_context):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"


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
