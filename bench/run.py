"""`make bench`: the app under real gunicorn (2 workers) on loopback, driven by wrk, on
SQLite and on PostgreSQL.

Prints one row per route: requests/s, p50 and p99 latency, and throughput relative to
`/healthz`, a hello-world route served by the same server in the same run. Then the reach
dashboard (20,000 workshops, 200,000 residents, ~1,000,000 attendance marks), one request
at a time as a signed-in coordinator, against the bare SQL it runs, timed in-process.

BENCH_ENGINES="sqlite postgresql" (default) chooses the engines; PostgreSQL runs in a
database created on BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
and dropped afterwards.
"""

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
BASELINE = ("hello world (/healthz)", "/healthz")
# The routes measured, each against the baseline.
ROUTES = [
    ("home page, Catalan", "/?lang=ca"),
    ("home page, Spanish", "/?lang=es"),
    ("staff sign-in page", "/login"),
    ("listing, first page", "/workshops?lang=ca"),
    ("listing, district + free places", "/workshops?lang=es&district=08&free_seats=y"),
    ("listing, page 40", "/workshops?lang=ca&page=40"),
    ("workshop page", "/workshops/1000?lang=ca"),
]
# The same pages when no cache can help: each request has a query string never seen before.
UNCACHED_ROUTES = [
    ("listing, first page, uncached", "/workshops?lang=ca"),
    ("workshop page, uncached", "/workshops/1000?lang=ca"),
]
# The reach dashboard for the whole city, as a coordinator sees it.
# A feed of 5,000 sessions (see bench/generate.py).
FEED_PATH = "/calendar.ics?audience=disabled-people&lang={lang}"
DASHBOARD_ROUTES = [
    ("reach dashboard, by venue", "/reach?lang=ca"),
    ("reach dashboard, by home", "/reach?lang=ca&by=home"),
]
DASHBOARD_TARGETS_MS = {"sqlite": 2000, "postgresql": 1000}
DASHBOARD_MAX_RATIO = 1.5
COORDINATOR = ("coordinator@example.org", "coordinator-demo-2026")
BARE_RUNS = 5
DASHBOARD_SECONDS = int(os.environ.get("BENCH_DASHBOARD_SECONDS", "30"))
DURATION_SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(env: dict) -> None:
    flask = [str(VENV_BIN / "flask"), "--app", "app"]
    for command in (["db", "upgrade"], ["seed"], ["demo"]):
        subprocess.run(flask + command, env=env, cwd=PROJECT_ROOT, check=True,
                       capture_output=True)
    subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "generate.py")], env=env,
                   cwd=PROJECT_ROOT, check=True)


def wait_until_up(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url + BASELINE[1], timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def to_milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


WEBHOOK_REQUESTS = 60_000
AUTH_TOKEN = "bench-twilio-auth-token"  # noqa: S105  (a throwaway token for loopback)


def write_webhook_requests(path: Path, base_url: str) -> None:
    """Signed webhook requests, each a different resident asking for help (AJUDA)."""
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    validator = RequestValidator(AUTH_TOKEN)
    with path.open("w") as out:
        for n in range(WEBHOOK_REQUESTS):
            params = {"MessageSid": f"SM{n:032d}", "From": f"+3461{n:07d}", "Body": "AJUDA",
                      "To": "+34600000000"}
            signature = validator.compute_signature(base_url + "/sms/inbound", params)
            out.write(f"{signature}\t{urlencode(params)}\n")


def run_wrk(url: str, uncached: bool = False, script: str | None = None,
            env: dict | None = None, headers: tuple[str, ...] = (),
            connections: int = CONNECTIONS, seconds: int = DURATION_SECONDS,
            warm_up: bool = True) -> dict:
    header_args = [arg for header in headers for arg in ("-H", header)]
    if script is None and warm_up:
        # Warm up: first requests compile templates and fill the connection pools.
        subprocess.run(["wrk", "-t1", "-c2", "-d1s", "--timeout", "60s", *header_args, url],
                       check=True, capture_output=True)
    if uncached:
        script = str(Path(__file__).parent / "cache_miss.lua")
    script = ["-s", script] if script else []
    output = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
         "--timeout", "60s", "--latency", *header_args, *script, url],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    if re.search(r"\s0 requests in", output):
        raise SystemExit(f"no request to {url} finished within {seconds}s")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": to_milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99": to_milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def calendar_feed_results(base_url: str) -> list:
    """The 5,000-session feed: the first build (timed once per language, each a cold build
    in one of the workers), then wrk on the full response and on the conditional GET."""
    builds, etag, body = [], "", b""
    for lang in ("ca", "es", "en"):
        started = time.perf_counter()
        with urllib.request.urlopen(base_url + FEED_PATH.format(lang=lang), timeout=120) as r:
            body = r.read()
            etag = r.headers["ETag"]
        builds.append((time.perf_counter() - started) * 1000)
    events = body.count(b"BEGIN:VEVENT")
    print(f"calendar feed: {events} sessions, {len(body) / 1e6:.2f} MB; first build "
          f"{', '.join(f'{ms:.0f}' for ms in builds)} ms (ca, es, en)")
    url = base_url + FEED_PATH.format(lang="en")
    return [
        (f"calendar feed, {events} sessions, built", FEED_PATH.format(lang="en"), run_wrk(url)),
        (f"calendar feed, {events} sessions, 304", FEED_PATH.format(lang="en") + " (ETag)",
         run_wrk(url, headers=(f"If-None-Match: {etag}",))),
    ]


USER_AGENT = "i4a-bench"


def coordinator_cookie(base_url: str) -> str:
    """Sign in through the real form; return the session cookie for wrk."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base_url + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": COORDINATOR[0], "password": COORDINATOR[1],
                                   "csrf_token": token, "next": ""}).encode()
    opener.open(base_url + "/login", data=form).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "session" not in cookies or opener.open(base_url + "/reach").status != 200:
        raise SystemExit("could not sign in as the demo coordinator")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def bare_dashboard_sql(database_url: str, by: str) -> float:
    """Median milliseconds to run the dashboard's SQL and fetch the rows, in-process."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from workshops import create_app
    from workshops.db_types import utcnow
    from workshops.extensions import db
    from workshops.reach.queries import (
        ReachFilters,
        default_period,
        local_today,
        statements,
        tune_transaction,
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    timings = []
    with app.app_context():
        for _ in range(BARE_RUNS):
            now = utcnow()
            filters = ReachFilters(*default_period(local_today(now)), by=by)
            started = time.perf_counter()
            tune_transaction()
            for statement in statements(filters, now=now).values():
                db.session.execute(statement).all()
            timings.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        db.engine.dispose()
    return statistics.median(timings)


@contextmanager
def bench_database(engine: str, workdir: Path):
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"i4a_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_engine(engine: str) -> tuple[list, list]:
    workdir = Path(tempfile.mkdtemp(prefix="i4a-bench-"))
    port = free_port()
    try:
        with bench_database(engine, workdir) as database_url:
            env = os.environ | {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "bench-secret-key",
                "FLASK_APP": "app",
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            }
            prepare_database(env)
            base_url = f"http://127.0.0.1:{port}"
            env["PUBLIC_BASE_URL"] = base_url
            requests_file = workdir / "webhook-requests.tsv"
            write_webhook_requests(requests_file, base_url)
            server = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                 "--timeout", "120", "--log-level", "warning", "app:app"],
                cwd=PROJECT_ROOT, env=env,
            )
            try:
                wait_until_up(base_url)
                results = [(name, path, run_wrk(base_url + path))
                           for name, path in [BASELINE, *ROUTES]]
                results += [(name, path, run_wrk(base_url + path, uncached=True))
                            for name, path in UNCACHED_ROUTES]
                webhook = run_wrk(base_url + "/sms/inbound",
                                  script=str(Path(__file__).parent / "webhook.lua"),
                                  env=os.environ | {"WEBHOOK_REQUESTS": str(requests_file)})
                results.append(("SMS webhook, signed, new MessageSid each",
                                "POST /sms/inbound", webhook))
                results += calendar_feed_results(base_url)
                headers = (f"Cookie: {coordinator_cookie(base_url)}",
                           f"User-Agent: {USER_AGENT}")
                dashboard = []
                for (name, path), by in zip(DASHBOARD_ROUTES, ("venue", "home"), strict=True):
                    # One request at a time, long enough for several: the page's latency.
                    # (Signing in above already served /reach once, so this is warm.)
                    page = run_wrk(base_url + path, headers=headers, connections=1,
                                   seconds=DASHBOARD_SECONDS, warm_up=False)
                    dashboard.append((name, path, page, bare_dashboard_sql(database_url, by)))
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results, dashboard


def print_tables(engine: str, results: list, dashboard: list) -> None:
    baseline_rps = results[0][2]["rps"]
    print(f"\ngunicorn 2 workers · wrk 2 threads, {CONNECTIONS} connections, "
          f"{DURATION_SECONDS}s per route · {engine} · {os.cpu_count()} cores\n")
    print("| route | path | requests/s | p50 ms | p99 ms | vs hello world | errors |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, path, r in results:
        errors = r["errors"] + (1 if r["socket_errors"] else 0)
        print(f"| {name} | `{path}` | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{r['rps'] / baseline_rps:.2f} | {errors} |")
        if r["socket_errors"]:
            print(f"|  | socket errors: {r['socket_errors']} | | | | | |")
    target = DASHBOARD_TARGETS_MS[engine]
    print(f"\nreach dashboard · {engine} · one connection · target: page p50 ≤ {target} ms "
          f"and ≤ {DASHBOARD_MAX_RATIO}× the bare SQL (median of {BARE_RUNS} in-process runs)\n")
    print("| page | path | page p50 ms | page p99 ms | bare SQL ms | page ÷ SQL | "
          "target met | errors |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for name, path, page, bare in dashboard:
        ratio = page["p50"] / bare
        met = page["p50"] <= target and ratio <= DASHBOARD_MAX_RATIO
        errors = page["errors"] + (1 if page["socket_errors"] else 0)
        print(f"| {name} | `{path}` | {page['p50']:.0f} | {page['p99']:.0f} | {bare:.0f} | "
              f"{ratio:.2f} | {'yes' if met else 'NO'} | {errors} |")


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it as root)")
    engines = os.environ.get("BENCH_ENGINES", "sqlite postgresql").split()
    for engine in engines:
        results, dashboard = bench_engine(engine)
        print_tables(engine, results, dashboard)


if __name__ == "__main__":
    main()
