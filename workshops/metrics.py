"""Prometheus metrics kept in each process (official prometheus_client).

Under gunicorn every worker process writes its values to files in
PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py sets it up) and /metrics adds them up;
the SMS worker on the same machine writes to the same folder. Figures read from the
database (outbox depth, registrations, heartbeat) are computed at scrape time instead:
see workshops/operations/views.py.
"""

from time import perf_counter

from flask import Flask, g, request
from prometheus_client import Counter, Histogram

REQUESTS = Counter("workshops_http_requests_total", "HTTP requests answered, per route.",
                   ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "workshops_http_request_duration_seconds", "Time to answer a request, per route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
SMS_SENDS = Counter("workshops_sms_sends_total",
                    "Outbox messages handled by the SMS worker, per result.", ["result"])
WEBHOOK_REJECTIONS = Counter(
    "workshops_webhook_rejections_total",
    "Twilio webhook requests refused (403: bad signature; 400: not Twilio's shape).",
    ["endpoint", "status"])

WEBHOOK_ENDPOINTS = ("sms.inbound", "sms.status", "voice.")


def route_of_request() -> str:
    """The route's rule (`/r/<token>`), never the path: a path can hold a personal token."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def _start_timer() -> None:
    g.metrics_started = perf_counter()


def _count(response):
    started = g.pop("metrics_started", None)
    route = route_of_request()
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    if started is not None:
        REQUEST_SECONDS.labels(request.method, route).observe(perf_counter() - started)
    endpoint = request.endpoint or ""
    if response.status_code in (400, 403) and endpoint.startswith(WEBHOOK_ENDPOINTS):
        WEBHOOK_REJECTIONS.labels(endpoint, str(response.status_code)).inc()
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_count)
