"""/readyz for the load balancer and /metrics for Prometheus.

/healthz (workshops.operations.liveness) only says the process answers; /readyz says
whether this node can do its job: the database answers, an SMS worker finished a round
recently, and no due message has waited too long. Each limit is a setting (0 turns that check off).
"""

import hmac
import ipaddress
import os

from flask import abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.operations import bp
from workshops.operations.readiness import backlog
from workshops.registrations.models import Registration

NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/readyz")
def readyz():
    config = current_app.config
    try:
        db.session.execute(text("SELECT 1"))
        figures = backlog(now=utcnow())
    except SQLAlchemyError:
        current_app.logger.exception("readiness: the database does not answer")
        db.session.rollback()
        return jsonify(ready=False, failing=["database"]), 503, NO_STORE
    failing = []
    heartbeat_limit = config["READY_MAX_HEARTBEAT_AGE_SECONDS"]
    if heartbeat_limit and (figures.heartbeat_age_seconds is None
                            or figures.heartbeat_age_seconds > heartbeat_limit):
        failing.append("sms_worker_heartbeat")
    outbox_limit = config["READY_MAX_OUTBOX_AGE_SECONDS"]
    if outbox_limit and (figures.oldest_unsent_age_seconds or 0) > outbox_limit:
        failing.append("outbox_age")
    return jsonify(
        ready=not failing, failing=failing, database="ok",
        sms_worker_heartbeat_age_seconds=figures.heartbeat_age_seconds,
        unsent_messages=figures.unsent,
        oldest_unsent_message_age_seconds=figures.oldest_unsent_age_seconds,
    ), 503 if failing else 200, NO_STORE


class DatabaseFigures:
    """Gauges read from the database at scrape time: the same on every node."""

    def collect(self):
        figures = backlog(now=utcnow())
        yield GaugeMetricFamily("workshops_outbox_unsent_messages",
                                "Messages due and not yet sent.", value=figures.unsent)
        yield GaugeMetricFamily(
            "workshops_outbox_oldest_unsent_age_seconds",
            "How long the oldest due message has waited (0 when none waits).",
            value=figures.oldest_unsent_age_seconds or 0)
        if figures.heartbeat_age_seconds is not None:
            yield GaugeMetricFamily(
                "workshops_sms_worker_heartbeat_age_seconds",
                "Time since an SMS worker last finished a round.",
                value=figures.heartbeat_age_seconds)
        registrations = GaugeMetricFamily(
            "workshops_registrations", "Registrations stored, per channel.", labels=["channel"])
        for channel, count in db.session.execute(
                select(Registration.channel, func.count()).group_by(Registration.channel)):
            registrations.add_metric([str(channel)], count)
        yield registrations


def _may_read_metrics() -> bool:
    """From this machine (after ProxyFix, the client behind the proxy), or with the token."""
    token = current_app.config["METRICS_TOKEN"]
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if token and hmac.compare_digest(offered.encode(), token.encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics():
    if not _may_read_metrics():
        abort(403)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseFigures())
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST, **NO_STORE}


class _ThisProcess:
    """The default registry's metrics, when one process serves (no gunicorn)."""

    def collect(self):
        yield from REGISTRY.collect()
