"""Sign-up POSTs under load, as residents send them: for `make bench` (bench/run.py).

Each of `clients` threads opens one workshop page (GET /workshops/<id>) for a session
cookie and the form's CSRF token, then sends its share of `total` sign-ups, each with its own
phone (+34 6…) and submission key, spread over the workshops given (so places and waiting
lists fill as they would). Every request is a new connection closed after the answer
(`Connection: close`): nothing holds an idle connection on a sync worker. A sign-up is sent
with the session of the page it came from, as a new visitor's would be (the answer's cookie,
which carries the flash message, is not kept).

The server must let one address sign up this often: run it with
REGISTRATION_LIMIT_PER_ADDRESS at least `total` (every request comes from 127.0.0.1).

    from bench.signups import open_workshop_ids, run_signups
    ids = open_workshop_ids(database_url)          # before starting gunicorn, or any time
    result = run_signups(base_url, ids, total=500, clients=16)
    # {"rps": …, "p50": … ms, "p99": … ms, "errors": 0, "socket_errors": "",
    #  "requests": 500, "seconds": …, "statuses": {303: 500}, …}: run_wrk's keys and more

Run alone: python bench/signups.py BASE_URL DATABASE_URL [TOTAL [CLIENTS]]
"""

import http.client
import re
import statistics
import sys
import threading
import time
import urllib.parse
from collections import Counter

CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEIGHBOURHOOD_OPTION = re.compile(r'<option[^>]*value="(\d+)"')


def _request(base: urllib.parse.SplitResult, method: str, path: str, body: str = "",
             cookie: str = "") -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=60)
    headers = {"Connection": "close"}
    if cookie:
        headers["Cookie"] = cookie
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _open_form(base, workshop_id: int) -> tuple[str, str, str]:
    """(session cookie, CSRF token, a neighbourhood id) from a workshop page."""
    status, headers, body = _request(base, "GET", f"/workshops/{workshop_id}")
    if status != 200:
        raise RuntimeError(f"GET /workshops/{workshop_id} answered {status}")
    cookies = [value.split(";", 1)[0] for name, value in headers.items()
               if name.lower() == "set-cookie"]
    html = body.decode()
    return "; ".join(cookies), CSRF_TOKEN.search(html).group(1), \
        NEIGHBOURHOOD_OPTION.search(html).group(1)


def run_signups(base_url: str, workshop_ids: list[int], *, total: int = 500,
                clients: int = 16, seed: int | None = None) -> dict:
    """Send `total` distinct sign-ups with `clients` concurrent clients; the POSTs' rate,
    latency percentiles and errors (any answer but 303: a sign-up, confirmed or on the
    waiting list, redirects to its manage page)."""
    base = urllib.parse.urlsplit(base_url)
    # Two digits of each phone tell runs apart (another run's phone would be a resident
    # already, perhaps registered for the same workshop).
    run = (seed if seed is not None else int(time.time())) % 90 + 10
    forms = [_open_form(base, workshop_ids[n % len(workshop_ids)]) for n in range(clients)]
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        cookie, token, neighbourhood = forms[n]
        start_line.wait()
        for i in range(n, total, clients):
            workshop_id = workshop_ids[i % len(workshop_ids)]
            body = urllib.parse.urlencode({
                "csrf_token": token, "name": f"Bench Resident {i}",
                "phone": f"6{run:02d}{i:06d}", "home_neighbourhood": neighbourhood,
                "sms_consent": "y", "submission_key": f"bench-{run}-{i}"})
            began = time.perf_counter()
            try:
                status = _request(base, "POST", f"/workshops/{workshop_id}/register", body,
                                  cookie)[0]
            except OSError:
                status = "connection error"
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    latencies.sort()
    # The keys of bench/run.py's run_wrk (milliseconds), so a row prints like the others.
    return {
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": sum(count for status, count in statuses.items() if status != 303),
        "socket_errors": (f"{statuses['connection error']} connection errors"
                          if statuses["connection error"] else ""),
        "requests": len(latencies),
        "seconds": seconds,
        "statuses": dict(statuses),
        "phones": f"+34 6{run:02d} followed by the sign-up's number",
    }


def run_gets(base_url: str, path: str, *, total: int = 500, clients: int = 16) -> dict:
    """The same client on a GET (say the bare hello-world app): the baseline to compare
    the sign-ups' rate with, paying the same client and connection costs."""
    base = urllib.parse.urlsplit(base_url)
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(n: int) -> None:
        for _i in range(n, total, clients):
            began = time.perf_counter()
            status = _request(base, "GET", path)[0]
            with lock:
                latencies.append(time.perf_counter() - began)
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    latencies.sort()
    return {"rps": len(latencies) / seconds, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000,
            "errors": sum(count for status, count in statuses.items() if status != 200),
            "socket_errors": "", "requests": len(latencies)}


def open_workshop_ids(database_url: str, count: int = 200) -> list[int]:
    """Up to `count` workshops open for sign-up now, spread over the whole catalogue."""
    from sqlalchemy import select

    from workshops import create_app
    from workshops.catalogue.models import Workshop
    from workshops.db_types import utcnow
    from workshops.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        ids = db.session.scalars(select(Workshop.id).where(
            Workshop.registration_is_open(utcnow())).order_by(Workshop.id)).all()
        db.engine.dispose()
    step = max(1, len(ids) // count)
    return ids[::step][:count]


if __name__ == "__main__":
    url, database = sys.argv[1], sys.argv[2]
    sizes = dict(zip(("total", "clients"), map(int, sys.argv[3:5]), strict=False))
    print(run_signups(url, open_workshop_ids(database), **sizes))
