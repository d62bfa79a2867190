"""Logs as one JSON object per line, each with the id of the request it belongs to.

The id comes from the proxy's X-Request-Id when it looks like one (nginx sends
$request_id), else it is made here; it goes back in the response's X-Request-Id, so a
resident's or operator's report can be matched to the log. One line per request names
the route (`/r/<token>`), never the path, which can hold a personal token. No log line
may carry a phone number, a message body or a token: code logs ids and kinds, SQL
parameters are hidden (hide_parameters), and the formatter masks anything that still
looks like a phone number or a personal link as a last line of defence.
"""

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from time import perf_counter

from flask import Flask, g, has_request_context, request

from workshops.metrics import route_of_request

REQUEST_ID_HEADER = "X-Request-Id"
ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# 9 to 15 digits, perhaps after a + and spaced or dotted: a phone number, not a date.
PHONE_LIKE = re.compile(r"(?<![\w-])\+?\d(?:[ .]?\d){8,14}(?![\w-])")
PERSONAL_LINK = re.compile(r"/(r|verify)/[A-Za-z0-9_-]{8,}")
# Attributes every LogRecord has: anything else was passed with extra= and is logged.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}

access_logger = logging.getLogger("workshops.access")


def mask(text: str) -> str:
    return PERSONAL_LINK.sub(r"/\1/…", PHONE_LIKE.sub("[number]", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool) else mask(str(value))
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class WithoutWerkzeugRequestLines(logging.Filter):
    """The development server's request lines carry the path (and so tokens): the app's
    own access line replaces them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != '"%s" %s %s'


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def configure(level: str = "INFO") -> None:
    """Send every log line to stderr as JSON (once per process)."""
    root = logging.getLogger()
    if any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").addFilter(WithoutWerkzeugRequestLines())


def _start_request() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if ACCEPTED_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    g.log_started = perf_counter()


def _log_request(response):
    response.headers[REQUEST_ID_HEADER] = g.request_id
    access_logger.info("request", extra={
        "method": request.method, "route": route_of_request(), "status": response.status_code,
        "duration_ms": round((perf_counter() - g.log_started) * 1000, 1),
        "bytes": response.calculate_content_length() or 0})
    return response


def init_app(app: Flask) -> None:
    if app.config["LOG_FORMAT"] == "json":
        configure(app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_log_request)
