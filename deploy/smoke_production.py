"""`make smoke-production`: the deployment in deploy/, brought up on loopback and checked.

Against a throw-away PostgreSQL database on the local server (SMOKE_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432/postgres), it starts Debian's nginx with the shipped
site (deploy/nginx/workshops.conf, loopback ports put in), two gunicorn nodes from
deploy/gunicorn.conf.py and two SMS workers with the log backend, then, as a client:
registers on the web through nginx, checks compression and static caching, sees the
confirmation sent exactly once, manages the registration on the other node, signs a staff
member out on one node and checks the other, reads /readyz and /metrics, backs up and
restores into an empty database. Everything stops and the databases go, even on failure.
"""

import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("SMOKE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STARTUP_SECONDS = 30
TIMINGS: list[tuple[str, float]] = []


class SmokeFailure(Exception):
    pass


def check(condition, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)
    print(f"  ok  {what}")


@contextmanager
def step(name: str):
    print(f"- {name}")
    started = time.perf_counter()
    yield
    TIMINGS.append((name, time.perf_counter() - started))


def database_url(name: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(path="/" + name))


def admin_connection():
    return psycopg.connect(POSTGRES_URL, autocommit=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render_nginx_site(folder: Path, nginx_port: int, node_ports: list[int]) -> Path:
    """The shipped site with its listening address, upstream nodes and log file moved to
    loopback and the temporary folder; each replacement must happen."""
    site = (ROOT / "deploy" / "nginx" / "workshops.conf").read_text()
    replacements = [
        (r"\n\s*listen \[::\]:80;", ""),
        (r"listen 80;", f"listen 127.0.0.1:{nginx_port};"),
        (r"server 127\.0\.0\.1:8000 ([^;]*);",
         "\n    ".join(f"server 127.0.0.1:{port} \\1;" for port in node_ports)),
        (r"/var/log/nginx/workshops\.access\.log", str(folder / "nginx-access.log")),
    ]
    for pattern, replacement in replacements:
        site, count = re.subn(pattern, replacement, site)
        if count != 1:
            raise SmokeFailure(f"deploy/nginx/workshops.conf: {pattern!r} not found once")
    (folder / "workshops.conf").write_text(site)
    user = f"user {os.environ.get('USER', 'root')};" if os.geteuid() == 0 else ""
    temp_paths = "\n".join(f"    {kind}_temp_path {folder / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = folder / "nginx.conf"
    main.write_text(f"""{user}
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'nginx-error.log'} warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp_paths}
    include {folder / 'workshops.conf'};
}}
""")
    return main


class Deployment:
    def __init__(self, folder: Path, database: str):
        self.folder = folder
        self.processes: list[tuple[str, subprocess.Popen, int]] = []
        self.nginx_port = free_port()
        self.node_ports = [free_port(), free_port()]
        self.base = f"http://127.0.0.1:{self.nginx_port}"
        self.environment = {
            **os.environ,
            "DATABASE_URL": database_url(database),
            "SECRET_KEY": secrets.token_hex(32),
            "PUBLIC_BASE_URL": self.base,
            "PROXY_FIX_HOPS": "1",
            "SMS_BACKEND": "log",
            "LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
            "FLASK_APP": "app",
        }

    def flask(self, *arguments: str, **environment) -> str:
        finished = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *arguments], cwd=ROOT,
            env={**self.environment, **environment}, capture_output=True, text=True)
        if finished.returncode:
            raise SmokeFailure(f"flask {' '.join(arguments)} failed:\n{finished.stderr[-3000:]}")
        return finished.stdout

    def start(self, name: str, command: list[str], stop_signal=signal.SIGTERM, **environment):
        with open(self.folder / f"{name}.log", "w") as log:  # the child keeps its copy
            process = subprocess.Popen(command, cwd=ROOT, env={**self.environment, **environment},
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.processes.append((name, process, stop_signal))
        return process

    def start_all(self) -> None:
        for letter, port in zip("ab", self.node_ports, strict=True):
            metrics = self.folder / f"metrics-{letter}"
            self.start(f"web-{letter}", [sys.executable, "-m", "gunicorn", "--config",
                                         "deploy/gunicorn.conf.py", "app:app"],
                       GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2",
                       PROMETHEUS_MULTIPROC_DIR=str(metrics))
            self.start(f"worker-{letter}", [sys.executable, "-m", "flask", "--app", "app",
                                            "sms", "worker", "--no-purge", "--interval", "0.5"],
                       PROMETHEUS_MULTIPROC_DIR=str(metrics))
        configuration = render_nginx_site(self.folder, self.nginx_port, self.node_ports)
        self.start("nginx", [NGINX, "-p", str(self.folder), "-c", str(configuration),
                             "-e", str(self.folder / "nginx-error.log"), "-g", "daemon off;"],
                   stop_signal=signal.SIGQUIT)
        for url in [f"http://127.0.0.1:{port}/healthz" for port in self.node_ports] + [
                f"{self.base}/healthz"]:
            self.wait_for(url)

    def wait_for(self, url: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            for name, process, _ in self.processes:
                if process.poll() is not None:
                    raise SmokeFailure(f"{name} exited with {process.returncode}")
            with suppress(requests.ConnectionError, requests.Timeout):
                if requests.get(url, timeout=5).status_code == 200:
                    return
            time.sleep(0.2)
        raise SmokeFailure(f"{url} did not answer within {STARTUP_SECONDS}s")

    def stop_all(self) -> list[str]:
        """Stop every process gracefully (forcefully after 15 s); name those that had to be
        killed or that exited with an error."""
        for _, process, stop_signal in self.processes:
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, stop_signal)
        problems = []
        for name, process, _ in self.processes:
            try:
                code = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                problems.append(f"{name} had to be killed")
                continue
            if code not in (0, -signal.SIGTERM, -signal.SIGINT, -signal.SIGQUIT):
                problems.append(f"{name} exited with {code}")
        return problems

    def log_lines(self, name: str) -> list[dict]:
        entries = []
        for line in (self.folder / f"{name}.log").read_text().splitlines():
            with suppress(ValueError):
                entries.append(json.loads(line))
        return entries


def raw_body(response: requests.Response) -> bytes:
    return response.raw.read(decode_content=False)


def fetch(session, url, encoding="gzip", **options):
    response = session.get(url, headers={"Accept-Encoding": encoding}, stream=True,
                           allow_redirects=False, timeout=10, **options)
    body = raw_body(response)
    return response, body


def page_weights(base: str, workshop_path: str) -> dict[str, dict[str, int]]:
    weights = {}
    for label, path in (("home page", "/"), ("workshop page", workshop_path)):
        weights[label] = {encoding: len(fetch(requests, base + path, encoding)[1])
                          for encoding in ("identity", "gzip", "br")}
    return weights


def form_fields(html: str, action: str) -> dict[str, str]:
    # The action may end in a fragment (#error-summary): the browser drops it when posting.
    form = re.search(rf'<form[^>]*action="{re.escape(action)}(?:#[\w-]*)?".*?</form>', html,
                     re.S)
    if form is None:
        raise SmokeFailure(f"no form posting to {action}")
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form.group(0)):
        attributes = dict(re.findall(r'([a-z_-]+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def run_checks(deployment: Deployment, database: str) -> None:
    base = deployment.base
    nodes = [f"http://127.0.0.1:{port}" for port in deployment.node_ports]
    resident = requests.Session()

    with step("pages through nginx: compression and static caching"):
        home, body = fetch(resident, base + "/")
        check(home.status_code == 200 and home.headers.get("Content-Encoding") == "gzip",
              "the home page comes gzip-compressed to a client that accepts gzip")
        html = gzip.decompress(body).decode()
        check(re.fullmatch(r"[0-9a-f]{32}", home.headers.get("X-Request-Id", "")),
              "every answer carries an X-Request-Id (nginx's $request_id)")
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html)
        check(stylesheet, "the stylesheet has a content-hashed name")
        css, css_body = fetch(resident, base + stylesheet.group(1))
        check(css.headers.get("Cache-Control") == "public, max-age=31536000, immutable",
              "a hashed static file is cached for a year, immutable")
        check(css.headers.get("Content-Encoding") == "gzip" and gzip.decompress(css_body),
              "the stylesheet comes compressed")
        workshop_path = next(
            path for path in dict.fromkeys(re.findall(r'href="(/workshops/\d+)"', html))
            if f'action="{path}/register' in resident.get(base + path, timeout=10).text)

    with step("a resident registers on the web through nginx"):
        page = resident.get(base + workshop_path, timeout=10).text
        action = workshop_path + "/register"
        select = re.search(r'<select[^>]*name="home_neighbourhood".*?</select>', page, re.S)
        neighbourhood = re.findall(r'<option value="(\d+)"', select.group(0))[0]
        phone = f"6{secrets.randbelow(10**8):08d}"
        answer = resident.post(base + action, data={
            **form_fields(page, action), "name": "Smoke Test", "phone": phone,
            "home_neighbourhood": neighbourhood, "sms_consent": "y", "gender": "unsaid"},
            allow_redirects=False, timeout=10)
        check(answer.status_code == 303 and "/r/" in answer.headers["Location"],
              "the sign-up is taken (a place or the waiting list) and leads to the personal page")
        manage_path = urlsplit(answer.headers["Location"]).path
        for node in nodes:
            check(requests.get(node + manage_path, timeout=10).status_code == 200,
                  f"the personal page opens on node {node}")

    with step("the SMS workers send the confirmation exactly once"):
        with psycopg.connect(database_url(database)) as connection:
            registration_id = connection.execute(
                "SELECT id FROM registration WHERE channel = 'web' ORDER BY id DESC LIMIT 1"
            ).fetchone()[0]
            deadline = time.monotonic() + 20
            while True:
                rows = connection.execute(
                    "SELECT id, status, attempts FROM outbox_message WHERE registration_id = %s"
                    " AND kind IN ('registration-confirmed', 'waitlisted')",
                    (registration_id,)).fetchall()
                connection.commit()
                if rows and rows[0][1] == "sent" or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
        check(len(rows) == 1 and rows[0][1:] == ("sent", 1),
              f"one confirmation in the outbox, sent at the first attempt ({rows})")
        sends = [entry for name in ("worker-a", "worker-b")
                 for entry in deployment.log_lines(name)
                 if entry.get("outbox_id") == rows[0][0]
                 and entry["message"] == "outbox message sent"]
        check(len(sends) == 1, "exactly one worker sent it (one log line across both)")

    with step("a staff session ends on both nodes when it ends on one"):
        staff = requests.Session()
        login = staff.get(nodes[0] + "/login", timeout=10).text
        signed_in = staff.post(nodes[0] + "/login", data={
            **form_fields(login, "/login"), "email": "admin@example.org",
            "password": "admin-demo-2026"}, allow_redirects=False, timeout=10)
        check(signed_in.status_code == 302, "the demo admin signs in on node a")
        check(staff.get(nodes[1] + "/staff", allow_redirects=False, timeout=10).status_code
              == 200, "the session works on node b")
        staff_page = staff.get(nodes[1] + "/staff", timeout=10).text
        signed_out = staff.post(nodes[1] + "/logout", data=form_fields(staff_page, "/logout"),
                                allow_redirects=False, timeout=10)
        check(signed_out.status_code == 302, "signing out on node b")
        stolen = requests.Session()
        stolen.cookies.update({cookie.name: cookie.value for cookie in signed_in.cookies})
        check(stolen.get(nodes[0] + "/staff", allow_redirects=False, timeout=10).status_code
              == 302, "the cookie from before signing out no longer works on node a")

    with step("/readyz and /metrics"):
        deadline = time.monotonic() + 15
        while True:
            ready = requests.get(base + "/readyz", timeout=10)
            if ready.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        figures = ready.json()
        check(ready.status_code == 200 and figures["ready"], f"/readyz is ready: {figures}")
        check(figures["sms_worker_heartbeat_age_seconds"] < 10, "a worker beat recently")
        metrics = requests.get(base + "/metrics", timeout=10)
        check(metrics.status_code == 200, "/metrics answers a client on loopback")
        # Each node adds up its own processes and its machine's worker: read both.
        text = "".join(requests.get(node + "/metrics", timeout=10).text for node in nodes)
        for expected in ('workshops_http_requests_total{method="POST",'
                         'route="/workshops/<int:workshop_id>/register",status="303"}',
                         "workshops_http_request_duration_seconds_bucket",
                         'workshops_registrations{channel="web"}',
                         "workshops_outbox_unsent_messages 0.0",
                         "workshops_outbox_oldest_unsent_age_seconds",
                         'workshops_sms_sends_total{result="sent"}'):
            check(expected in text, f"the nodes' metrics hold {expected.split('{')[0]}")

    with step("back up, restore into an empty database, compare every table"):
        backup = deployment.folder / "portal.dump"
        deployment.flask("backup", "create", str(backup))
        restored = database + "_restored"
        with admin_connection() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored)))
        deployment.flask("backup", "restore", str(backup), "--database-url",
                         database_url(restored))
        counts = [table_counts(database_url(name)) for name in (database, restored)]
        check(counts[0] == counts[1] and sum(counts[0].values()) > 1000,
              f"the restored database holds the same rows ({sum(counts[0].values())} in "
              f"{len(counts[0])} tables)")

    with step("logs: JSON lines, no phone number, no personal token"):
        token = manage_path.rsplit("/", 1)[-1]
        logs = "".join((deployment.folder / f"{name}.log").read_text()
                       for name in ("web-a", "web-b", "worker-a", "worker-b", "nginx-access"))
        check(phone not in logs and phone[-6:] not in logs and token not in logs,
              "no log line holds the resident's phone or her link's token")
        check(any(entry.get("route") == "/r/<token>" for entry in deployment.log_lines("web-a")
                  + deployment.log_lines("web-b")), "requests are logged by route")

    weights = page_weights(base, workshop_path)
    print("\nPage weight through nginx (bytes):")
    print(f"  {'page':<15}{'identity':>10}{'gzip':>10}{'br':>10}")
    for label, sizes in weights.items():
        print(f"  {label:<15}{sizes['identity']:>10}{sizes['gzip']:>10}{sizes['br']:>10}")


def table_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        return {table: connection.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
                for table in tables}


def main() -> int:
    started = time.perf_counter()
    database = f"workshops_smoke_{secrets.token_hex(4)}"
    folder = Path(tempfile.mkdtemp(prefix="workshops-smoke-"))
    deployment = Deployment(folder, database)
    failure = None
    try:
        with step("create the database, migrate, seed, demo data"):
            with admin_connection() as connection:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(
                    sql.Identifier(database)))
            deployment.flask("db", "upgrade")
            deployment.flask("seed")
            deployment.flask("demo")
        with step("start nginx, two gunicorn nodes, two SMS workers"):
            deployment.start_all()
        run_checks(deployment, database)
    except (SmokeFailure, requests.RequestException, psycopg.Error) as error:
        failure = error
    finally:
        with step("stop everything"):
            problems = deployment.stop_all()
        if failure is not None or problems:
            for log in sorted(folder.glob("*.log")):
                print(f"\n--- {log.name} (last lines) ---")
                print("\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        with admin_connection() as connection:
            for name in (database, database + "_restored"):
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
        shutil.rmtree(folder, ignore_errors=True)
    print("\nTimings:")
    for name, seconds in TIMINGS:
        print(f"  {seconds:6.1f} s  {name}")
    print(f"  {time.perf_counter() - started:6.1f} s  in all")
    if failure is not None:
        print(f"\nFAILED: {failure}")
        return 1
    if problems:
        print(f"\nFAILED to stop cleanly: {'; '.join(problems)}")
        return 1
    print("\nsmoke-production passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
