"""`make bench`: the app under real gunicorn (2 sync workers) on loopback, on SQLite and on
PostgreSQL, against a bare hello-world Flask app (bench/hello.py) served the same way in the
same run. Every figure is also printed as a ratio to that baseline.

What it prints, per engine:
- the baseline and `/healthz`;
- each public page warm (the same address again and again: the page cache may answer) and
  cold (each request with a query string never seen, so no page cache can answer), and the
  workshop page, which is never cached;
- the signed SMS webhook, a new message from a new number each time;
- sign-up POST throughput: a fixed number of distinct sign-ups by 16 clients (bench/signups.py);
- the 5,000-session calendar feed: its first build, and how many builds one change causes
  across the workers (the `workshops_document_builds_total` counter on /metrics);
- the open data JSON: its first answer after the data it shows changed;
- the reach dashboard, one request at a time as a coordinator, against its bare SQL;
- each worker's memory (resident set) at the end.

`python bench/run.py --profile` prints instead where the time of the workshop page goes: a
profile of 200 requests in one process, on SQLite.

BENCH_ENGINES="sqlite postgresql" (default) chooses the engines; PostgreSQL runs in a
database created on BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
and dropped afterwards. BENCH_SQLITE_COPY (a file) and BENCH_POSTGRES_TEMPLATE (a database
name) reuse bench data generated earlier instead of generating it (minutes) again;
BENCH_MEASURES (say "pages memory") runs only some of the measures, in the order given.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
VENV_BIN = Path(sys.executable).parent
WORKERS = 2
DURATION_SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
WORKSHOP_PAGE = "/workshops/1000?lang=ca"
# (name, path, target ratio to hello world): served warm, then cold.
PAGES = [
    ("home, Catalan", "/?lang=ca"),
    ("home, Spanish", "/?lang=es"),
    ("listing, first page", "/workshops?lang=ca"),
    ("listing, district + free places", "/workshops?lang=es&district=08&free_seats=y"),
    ("listing, page 50", "/workshops?lang=ca&page=50"),
]
TARGETS = {"healthz": 0.90, "warm": 0.45, "cold": 0.10, "workshop page": 0.30,
           "SMS webhook": 0.20}
SIGNUPS = int(os.environ.get("BENCH_SIGNUPS", "500"))
SIGNUP_TARGETS = {"sqlite": 150, "postgresql": 300}
SIGNUP_P99_MS = 300
FEED_PATH = "/calendar.ics?audience=disabled-people&lang={lang}"
FEED_FIRST_BUILD_MS = 1000
OPEN_DATA_PATH = "/open-data/reach.json"
OPEN_DATA_MS = 300
DASHBOARD_ROUTES = [("reach dashboard, by venue", "/reach?lang=ca", "venue"),
                    ("reach dashboard, by home", "/reach?lang=ca&by=home", "home")]
DASHBOARD_TARGETS_MS = {"sqlite": 1500, "postgresql": 600}
DASHBOARD_MAX_RATIO = 1.5
DASHBOARD_SECONDS = int(os.environ.get("BENCH_DASHBOARD_SECONDS", "20"))
BARE_RUNS = 5
MEMORY_TARGET_MB = 120
COORDINATOR = ("coordinator@example.org", "coordinator-demo-2026")
USER_AGENT = "i4a-bench"
WEBHOOK_REQUESTS = 60_000
AUTH_TOKEN = "bench-twilio-auth-token"  # noqa: S105  (a throwaway token for loopback)
BUILDS_METRIC = 'workshops_documents_built_total{kind="%s"}'


@dataclass
class Report:
    engine: str
    rows: list = field(default_factory=list)  # (name, path, wrk result, target ratio or None)
    lines: list = field(default_factory=list)  # free-form findings, each with its verdict
    baseline_rps: float = 0.0

    def verdict(self, met: bool) -> str:
        return "met" if met else "MISSED"


# Servers and load

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def start_gunicorn(app: str, port: int, env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning", app],
        cwd=cwd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def resident_megabytes(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def to_milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, script: str | None = None, env: dict | None = None,
            headers: tuple[str, ...] = (), connections: int = CONNECTIONS,
            seconds: int = DURATION_SECONDS, warm_up: bool = True) -> dict:
    header_args = [arg for header in headers for arg in ("-H", header)]
    if warm_up:
        # First requests compile templates and fill the connection pools.
        subprocess.run(["wrk", "-t1", "-c2", "-d1s", "--timeout", "60s", *header_args, url],
                       check=True, capture_output=True)
    script_args = ["-s", script] if script else []
    output = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
         "--timeout", "60s", "--latency", *header_args, *script_args, url],
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
        "errors": (int(errors.group(1)) if errors else 0) + (1 if socket_errors else 0),
    }


def timed_get(url: str, headers: dict | None = None) -> tuple[float, bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        return (time.perf_counter() - started) * 1000, body, dict(response.headers)


def concurrent_gets(url: str, clients: int) -> list[float]:
    """`clients` GETs of `url` at once (each on its own connection): their durations."""
    durations: list[float] = []
    barrier = threading.Barrier(clients)

    def fetch():
        barrier.wait()
        durations.append(timed_get(url)[0])

    threads = [threading.Thread(target=fetch) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return durations


def metric_total(base_url: str, name: str) -> float:
    body = urllib.request.urlopen(base_url + "/metrics", timeout=30).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith(name) and not line.startswith("#"))


# Data

def prepare_database(env: dict) -> None:
    flask = [str(VENV_BIN / "flask"), "--app", "app"]
    for command in (["db", "upgrade"], ["seed"], ["demo"]):
        subprocess.run(flask + command, env=env, cwd=PROJECT_ROOT, check=True,
                       capture_output=True)
    subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "generate.py")], env=env,
                   cwd=PROJECT_ROOT, check=True)


@contextmanager
def bench_database(engine: str, workdir: Path, env: dict):
    """A database with the bench data: yields its URL."""
    if engine == "sqlite":
        path = workdir / "bench.sqlite3"
        url = f"sqlite:///{path}"
        if os.environ.get("BENCH_SQLITE_COPY"):
            shutil.copy(os.environ["BENCH_SQLITE_COPY"], path)
            run_flask(["db", "upgrade"], env | {"DATABASE_URL": url})
        else:
            prepare_database(env | {"DATABASE_URL": url})
        yield url
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"i4a_bench_{uuid.uuid4().hex[:12]}"
    template = os.environ.get("BENCH_POSTGRES_TEMPLATE")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'
                                + (f' TEMPLATE "{template}"' if template else "")))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        if template:
            run_flask(["db", "upgrade"], env | {"DATABASE_URL": url})
        else:
            prepare_database(env | {"DATABASE_URL": url})
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_flask(command: list[str], env: dict) -> None:
    subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *command], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True)


def in_app(function: str, env: dict) -> None:
    """Run bench/changes.py's `function` in a process of its own, as another client would."""
    script = ("from workshops import create_app\n"
              f"from bench.changes import {function}\n"
              "with create_app().app_context():\n"
              f"    {function}()\n")
    subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True)


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


# The measures

def measure_pages(report: Report, base_url: str) -> None:
    report.rows.append(("/healthz", "/healthz", run_wrk(base_url + "/healthz"),
                        TARGETS["healthz"]))
    report.rows.append(("workshop page (never cached)", WORKSHOP_PAGE,
                        run_wrk(base_url + WORKSHOP_PAGE), TARGETS["workshop page"]))
    miss = str(Path(__file__).parent / "cache_miss.lua")
    for name, path in PAGES:
        report.rows.append((f"{name}, warm", path, run_wrk(base_url + path), TARGETS["warm"]))
        report.rows.append((f"{name}, cold", path + " (new query each)",
                            run_wrk(base_url + path, script=miss), TARGETS["cold"]))


def measure_webhook(report: Report, base_url: str, workdir: Path) -> None:
    requests_file = workdir / "webhook-requests.tsv"
    write_webhook_requests(requests_file, base_url)
    result = run_wrk(base_url + "/sms/inbound",
                     script=str(Path(__file__).parent / "webhook.lua"),
                     env=os.environ | {"WEBHOOK_REQUESTS": str(requests_file)}, warm_up=False)
    report.rows.append(("SMS webhook, signed, new MessageSid each", "POST /sms/inbound",
                        result, TARGETS["SMS webhook"]))


def registrations_stored(database_url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from workshops.config import normalise_database_url
    from workshops.registrations.models import Registration

    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Registration))
    finally:
        engine.dispose()


def measure_signups(report: Report, base_url: str, database_url: str) -> None:
    from bench.signups import open_workshop_ids, run_signups

    workshop_ids = open_workshop_ids(database_url)
    before = registrations_stored(database_url)
    result = run_signups(base_url, workshop_ids, total=SIGNUPS, clients=CONNECTIONS)
    landed = registrations_stored(database_url) - before
    target = SIGNUP_TARGETS[report.engine]
    met = (result["rps"] >= target and result["p99"] <= SIGNUP_P99_MS
           and result["errors"] == 0 and landed == SIGNUPS)
    report.lines.append(
        f"sign-ups: {SIGNUPS} distinct phones over {len(workshop_ids)} workshops, "
        f"{CONNECTIONS} clients: {result['rps']:.0f} POSTs/s, p50 {result['p50']:.0f} ms, "
        f"p99 {result['p99']:.0f} ms, {result['errors']} errors, {landed} registrations stored "
        f"(target ≥ {target}/s, p99 ≤ {SIGNUP_P99_MS} ms): {report.verdict(met)}")


def measure_feed(report: Report, base_url: str, env: dict) -> None:
    """The first build of the 5,000-session feed, with one request per connection of both
    workers at once; then one change, and the same again: how many builds each caused."""
    url = base_url + FEED_PATH.format(lang="en")
    builds_metric = BUILDS_METRIC % "calendar"
    before = metric_total(base_url, builds_metric)
    first = concurrent_gets(url, 2 * WORKERS)
    after_first = metric_total(base_url, builds_metric)
    _elapsed, body, _headers = timed_get(url)
    events = body.count(b"BEGIN:VEVENT")
    in_app("edit_a_feed_workshop", env)
    second = concurrent_gets(url, 2 * WORKERS)
    after_change = metric_total(base_url, builds_metric)
    builds = (after_first - before, after_change - after_first)
    met = max(max(first), max(second)) <= FEED_FIRST_BUILD_MS and builds == (1, 1)
    report.lines.append(
        f"calendar feed, {events} sessions, {len(body) / 1e6:.2f} MB: {2 * WORKERS} clients at "
        f"once, first answer after start {max(first):.0f} ms and after a change "
        f"{max(second):.0f} ms; builds: {builds[0]:.0f} at start, {builds[1]:.0f} for the "
        f"change (target ≤ {FEED_FIRST_BUILD_MS} ms, one build each): {report.verdict(met)}")
    report.rows.append(("calendar feed, built", FEED_PATH.format(lang="en"), run_wrk(url), None))


def measure_open_data(report: Report, base_url: str, env: dict) -> None:
    """The first answer after a facilitator's mark changed the figures: as deployed, where
    the SMS worker's next round (every 5 s) builds them ahead of visitors, and when a
    visitor comes before that round (she then waits for the one build, or builds it)."""
    url = base_url + OPEN_DATA_PATH
    builds_metric = BUILDS_METRIC % "open-data"
    timed_get(url)
    in_app("mark_one_attendance", env)
    run_flask(["sms", "worker", "--once", "--no-purge"], env)
    after_round, _body, _headers = timed_get(url)
    in_app("mark_one_attendance", env)
    before = metric_total(base_url, builds_metric)
    right_after = concurrent_gets(url, 2 * WORKERS)
    builds = metric_total(base_url, builds_metric) - before
    again, _body, _headers = timed_get(url)
    met = after_round <= OPEN_DATA_MS
    report.lines.append(
        f"open data JSON, first answer after its data changed: {after_round:.0f} ms once the "
        f"SMS worker's round has built it (target ≤ {OPEN_DATA_MS} ms): {report.verdict(met)}; "
        f"before that round, {2 * WORKERS} visitors at once waited up to "
        f"{max(right_after):.0f} ms for {builds:.0f} build; the next answer {again:.0f} ms")


def measure_dashboard(report: Report, base_url: str, database_url: str) -> None:
    headers = (f"Cookie: {coordinator_cookie(base_url)}", f"User-Agent: {USER_AGENT}")
    target = DASHBOARD_TARGETS_MS[report.engine]
    for name, path, by in DASHBOARD_ROUTES:
        # One request at a time, long enough for several: the page's latency.
        page = run_wrk(base_url + path, headers=headers, connections=1,
                       seconds=DASHBOARD_SECONDS, warm_up=False)
        bare = bare_dashboard_sql(database_url, by)
        met = page["p50"] <= target and page["p50"] / bare <= DASHBOARD_MAX_RATIO
        report.lines.append(
            f"{name}: page p50 {page['p50']:.0f} ms, p99 {page['p99']:.0f} ms, bare SQL "
            f"{bare:.0f} ms, page ÷ SQL {page['p50'] / bare:.2f} (target p50 ≤ {target} ms "
            f"and ≤ {DASHBOARD_MAX_RATIO}× the SQL), {page['errors']} errors: "
            f"{report.verdict(met)}")


def measure_memory(report: Report, server: subprocess.Popen) -> None:
    sizes = [resident_megabytes(pid) for pid in worker_pids(server.pid)]
    met = max(sizes) <= MEMORY_TARGET_MB
    report.lines.append(
        f"worker memory after the bench: {', '.join(f'{mb:.0f}' for mb in sizes)} MB "
        f"(target ≤ {MEMORY_TARGET_MB} MB each): {report.verdict(met)}")


def bench_engine(engine: str) -> Report:
    report = Report(engine)
    workdir = Path(tempfile.mkdtemp(prefix="i4a-bench-"))
    port, hello_port = free_port(), free_port()
    metrics_folder = workdir / "metrics"
    metrics_folder.mkdir()
    # Logs as in production (LOG_LEVEL=INFO: a line a request), into the run's log file.
    env = os.environ | {"SECRET_KEY": "bench-secret-key", "FLASK_APP": "app",
                        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "LOG_LEVEL": "INFO"}
    try:
        with bench_database(engine, workdir, env) as database_url:
            base_url = f"http://127.0.0.1:{port}"
            env |= {"DATABASE_URL": database_url, "PUBLIC_BASE_URL": base_url,
                    "PROMETHEUS_MULTIPROC_DIR": str(metrics_folder),
                    # Every sign-up comes from 127.0.0.1: the per-address limit would refuse
                    # all but the first 60 of them (the per-phone limit stays).
                    "REGISTRATION_LIMIT_PER_ADDRESS": str(10 * SIGNUPS)}
            log = workdir / "gunicorn.log"
            hello = start_gunicorn("hello:app", hello_port, env, Path(__file__).parent, log)
            server = start_gunicorn("app:app", port, env, PROJECT_ROOT, log)
            try:
                wait_until_up(f"http://127.0.0.1:{hello_port}/")
                wait_until_up(base_url + "/healthz")
                hello_before = run_wrk(f"http://127.0.0.1:{hello_port}/")
                measures = {
                    "feed": lambda: measure_feed(report, base_url, env),
                    "pages": lambda: measure_pages(report, base_url),
                    "webhook": lambda: measure_webhook(report, base_url, workdir),
                    "signups": lambda: measure_signups(report, base_url, database_url),
                    "open-data": lambda: measure_open_data(report, base_url, env),
                    "dashboard": lambda: measure_dashboard(report, base_url, database_url),
                    "memory": lambda: measure_memory(report, server),
                }
                for name in os.environ.get("BENCH_MEASURES", " ".join(measures)).split():
                    measures[name]()
                hello_after = run_wrk(f"http://127.0.0.1:{hello_port}/")
            finally:
                for process in (server, hello):
                    process.terminate()
                    process.wait(timeout=30)
            hello_result = {key: (hello_before[key] + hello_after[key]) / 2
                            for key in hello_before}
            report.baseline_rps = hello_result["rps"]
            report.rows.insert(0, ("hello world, bare Flask (mean of first and last)", "/",
                                   hello_result, None))
            errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
            if errors:
                report.lines.append(f"server log: {len(errors)} tracebacks, see a re-run")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def print_report(report: Report) -> None:
    print(f"\n## {report.engine} · gunicorn {WORKERS} sync workers · wrk 2 threads, "
          f"{CONNECTIONS} connections, {DURATION_SECONDS} s a row · {os.cpu_count()} cores\n")
    print("| measure | path | requests/s | p50 ms | p99 ms | vs hello world | target | errors |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for name, path, result, target in report.rows:
        ratio = result["rps"] / report.baseline_rps
        verdict = "" if target is None else (
            f"≥ {target:.2f} {report.verdict(ratio >= target)}")
        print(f"| {name} | `{path}` | {result['rps']:.0f} | {result['p50']:.2f} | "
              f"{result['p99']:.2f} | {ratio:.3f} | {verdict} | {result['errors']:.0f} |")
    print()
    for line in report.lines:
        print(f"- {line}")
    sys.stdout.flush()


def profile_workshop_page(requests: int = 200) -> None:
    """Where the time of the workshop page goes, in one process on the SQLite bench data."""
    from bench.where_time_goes import profile_page

    workdir = Path(tempfile.mkdtemp(prefix="i4a-profile-"))
    os.environ.update(SECRET_KEY="bench-secret-key", LOG_LEVEL="WARNING")  # noqa: S106
    env = dict(os.environ)
    try:
        with bench_database("sqlite", workdir, env) as database_url:
            profile_page(database_url, WORKSHOP_PAGE, requests)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true",
                        help="where the workshop page's time goes, instead of the bench")
    if parser.parse_args().profile:
        profile_workshop_page()
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it as root)")
    for engine in os.environ.get("BENCH_ENGINES", "sqlite postgresql").split():
        print_report(bench_engine(engine))


if __name__ == "__main__":
    main()
