"""`make bench`: the app under real gunicorn (2 workers) on loopback, driven by wrk.

Prints one row per route: requests/s, p50 and p99 latency, and throughput relative to
`/healthz`, a hello-world route served by the same server in the same run.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
BASELINE = ("hello world (/healthz)", "/healthz")
# Later issues add their routes here.
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
# A feed of 5,000 sessions (see bench/generate.py).
FEED_PATH = "/calendar.ics?audience=disabled-people&lang={lang}"
DURATION_SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))


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


def calendar_feed_results(base_url: str) -> list:
    """The 5,000-session feed: the first build (timed once per language, each a cold build
    in one of the workers), then wrk on the full response and on the conditional GET."""
    builds, etag = [], ""
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
         run_wrk(url, headers=[f"If-None-Match: {etag}"])),
    ]


def run_wrk(url: str, uncached: bool = False, script: str | None = None,
            env: dict | None = None, headers: list[str] = ()) -> dict:
    if script is None:
        # Warm up: first requests compile templates and fill the connection pools.
        subprocess.run(["wrk", "-t1", "-c2", "-d1s", url], check=True, capture_output=True)
    if uncached:
        script = str(Path(__file__).parent / "cache_miss.lua")
    script = ["-s", script] if script else []
    header_options = [option for header in headers for option in ("-H", header)]
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_SECONDS}s", "--latency", *script,
         *header_options, url],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": to_milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99": to_milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it as root)")
    workdir = Path(tempfile.mkdtemp(prefix="i4a-bench-"))
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL",
                                       f"sqlite:///{workdir / 'bench.sqlite3'}"),
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
         "--log-level", "warning", "app:app"],
        cwd=PROJECT_ROOT, env=env,
    )
    try:
        wait_until_up(base_url)
        results = [(name, path, run_wrk(base_url + path)) for name, path in [BASELINE, *ROUTES]]
        results += [(name, path, run_wrk(base_url + path, uncached=True))
                    for name, path in UNCACHED_ROUTES]
        webhook = run_wrk(base_url + "/sms/inbound", script=str(Path(__file__).parent
                                                                 / "webhook.lua"),
                          env=os.environ | {"WEBHOOK_REQUESTS": str(requests_file)})
        results.append(("SMS webhook, signed, new MessageSid each", "POST /sms/inbound",
                        webhook))
        results += calendar_feed_results(base_url)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    baseline_rps = results[0][2]["rps"]
    engine = env["DATABASE_URL"].split(":", 1)[0]
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


if __name__ == "__main__":
    main()
