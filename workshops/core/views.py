from flask import render_template

from workshops.core import bp
from workshops.places.queries import districts_with_neighbourhoods


@bp.get("/")
def home():
    districts = districts_with_neighbourhoods()
    return render_template("core/home.html", districts=districts)


@bp.get("/healthz")
def healthz():
    """Liveness probe for the process manager; also the benchmark's baseline route."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
