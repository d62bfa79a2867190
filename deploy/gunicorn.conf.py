"""gunicorn settings for a web node: `gunicorn --config deploy/gunicorn.conf.py app:app`.

Each value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS...), which
is how the systemd unit and `make smoke-production` use this same file.
"""

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Pages are rendered in Python and wait on PostgreSQL: two processes a core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request that takes longer than this is stuck: the worker is replaced. nginx gives up
# a little later (proxy_read_timeout 35s), so a client sees gunicorn's answer, not nginx's.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Replace each worker after about a thousand requests, not all at once.
max_requests = 1000
max_requests_jitter = 100
forwarded_allow_ips = "127.0.0.1,::1"
# systemd manages the processes: no control socket (it would sit in the user's home).
control_socket_disable = True

# One JSON object per line on stderr (journald), the app's own lines included. The access
# log is the app's: one line per request with the route (`/r/<token>`), never the path,
# which can hold a resident's personal token, and with the X-Request-Id it answered.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "workshops.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stderr"}},
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"],
                                   "propagate": False}},
}

# Prometheus multiprocess mode: each worker writes its counters to files in this folder
# and /metrics adds them up. The SMS worker on the same machine writes there too.
metrics_folder = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                            "/run/workshops/metrics"))


def on_starting(server):
    """Keep the files of processes still running (the SMS worker's); drop the others'."""
    metrics_folder.mkdir(parents=True, exist_ok=True)
    for path in metrics_folder.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            path.unlink(missing_ok=True)
