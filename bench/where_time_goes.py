"""`python bench/run.py --profile`: where the time of one page goes.

The page is requested `requests` times in one process (Flask's test client, no HTTP), kept
and rendered, under cProfile. Each function's own time is put in one bucket by the file it
lives in, so the buckets add up to the whole; then the slowest calls of the project's own
code.
"""

import cProfile
import pstats
import time

from sqlalchemy import event

BUCKETS = [  # (bucket, substrings of a file name or a built-in's name), first match wins
    ("SQL: the database driver", ("sqlite3", "psycopg", "method 'execute'",
                                  "method 'fetch")),
    ("ORM: SQLAlchemy building statements and objects", ("sqlalchemy",)),
    ("templates: Jinja2 rendering", ("jinja2", "/templates/", "markupsafe")),
    ("forms: WTForms, Flask-WTF, CSRF", ("wtforms", "flask_wtf", "itsdangerous")),
    ("translations, dates and numbers: Babel", ("babel", "gettext")),
    ("Flask, Werkzeug, Flask-Login: the request itself", ("flask", "werkzeug")),
    ("the portal's own Python", ("/workshops/",)),
]


def _bucket(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return name
    return "other: built-ins (str, dict, hasattr...), standard library, logging, metrics"


def profile_page(database_url: str, path: str, requests: int) -> None:
    """Profile `path` as a returning visitor gets it (the kept page, holes filled) and as
    it is rendered when nothing is kept (a query string never seen: after a change, or a
    new language), each `requests` times."""
    from workshops import create_app
    from workshops.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.__setitem__(0, statements[0] + 1))
    for name, fresh in (("kept", False), ("rendered", True)):
        client = app.test_client()
        for n in range(10):  # templates compiled, caches and pools filled
            assert client.get(path + (f"&warm={n}" if fresh else "")).status_code == 200
        _profile(client, name, path, requests, fresh, statements)


def _profile(client, name: str, path: str, requests: int, fresh: bool, statements) -> None:
    def url(n: int, run: str) -> str:
        return path + (f"&{run}={n}" if fresh else "")

    statements[0] = 0
    started = time.perf_counter()
    for n in range(requests):
        client.get(url(n, "plain"))
    plain_ms = (time.perf_counter() - started) * 1000 / requests
    statements_each = statements[0] / requests
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(requests):
        client.get(url(n, "profiled"))
    profiler.disable()
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    for (filename, _line, function), (_calls, _primitive, own, _cumulative, _callers) in (
            stats.stats.items()):
        bucket = _bucket(filename, function)
        totals[bucket] = totals.get(bucket, 0.0) + own
    whole = sum(totals.values())
    print(f"\n### {path}, {name}: {plain_ms:.2f} ms a request without the profiler, "
          f"{statements_each:.1f} SQL statements through SQLAlchemy (plus the catalogue "
          f"version, read below it), {requests} requests\n")
    print("| where the time goes (own time of each function) | share | ms a request |")
    print("|---|---:|---:|")
    for bucket, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"| {bucket} | {seconds / whole:.0%} | {seconds * 1000 / requests:.2f} |")
    print("\nThe project's slowest calls (cumulative, profiled):\n")
    stats.sort_stats("cumulative").print_stats(r"/(workshops|templates)/", 12)
