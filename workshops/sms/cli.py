import logging
import os
import signal
import socket
import threading

import click
from flask import current_app

from workshops.database import write_transaction
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.notifications import worker
from workshops.outcomes import follow_ups
from workshops.sms import bp


@bp.cli.command("worker")
@click.option("--once", is_flag=True, help="Send what is due and stop (for cron or tests).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option("--purge/--no-purge", default=True, show_default=True,
              help="Run the daily privacy purge too (--no-purge when a timer runs it).")
def worker_command(once, interval, purge):
    """Send the outbox: confirmations, waiting list, promotions, reminders, changes."""
    # Here, not at the top: the Twilio REST client and `requests` weigh about 17 MB in each
    # web worker, which never sends.
    from workshops.sms.senders import make_sender

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sender = make_sender(current_app)
    name = f"{socket.gethostname()}:{os.getpid()}"
    stopping = threading.Event()
    if not once:  # SIGTERM (systemd, docker) ends the loop after the round under way
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    last_purge = None
    while not stopping.is_set():
        if purge and not once:  # with cron, schedule `flask privacy purge` daily instead
            last_purge = purge_daily(last_purge, now=utcnow())
        with write_transaction():
            worker.schedule_reminders(now=utcnow())
            follow_ups.schedule(now=utcnow())
            db.session.commit()
        result = worker.send_due(sender, now=utcnow())
        with write_transaction():
            worker.beat(name, now=utcnow())
            db.session.commit()
        refresh_open_data()
        if result.sent or result.failed or result.retried or result.skipped:
            summary = (f"sent {result.sent}, failed {result.failed}, retrying "
                       f"{result.retried}, skipped {result.skipped}")
            # A run for cron answers on stdout; a running worker logs (one JSON line).
            click.echo(summary) if once else logging.getLogger(__name__).info(summary)
        if once:
            return
        stopping.wait(interval)


def refresh_open_data() -> None:
    """Build the open data for the current version of its data if no process has yet, so
    the first visitor after a change rarely waits for it. A failure is logged: sending goes
    on, and the next visitor builds it."""
    from workshops.reach import open_data

    try:
        open_data.refresh(now=utcnow())
        db.session.commit()
    except Exception:
        db.session.rollback()
        logging.getLogger(__name__).exception("building the open data failed")


def purge_daily(last_run, *, now):
    """Apply the retention periods once a day (`flask privacy purge`); returns when the
    purge last ran. A failed purge is logged and tried again the next day: sending goes on."""
    from workshops.privacy.cli import describe, run_purge
    from workshops.privacy.retention import purge_if_due

    if not purge_if_due(last_run, now=now):
        return last_run
    try:
        for outcome in run_purge(now=now):
            if outcome.count:
                logging.getLogger(__name__).info("privacy purge: %s", describe(outcome, False))
    except Exception:
        logging.getLogger(__name__).exception("privacy purge failed")
    return now


@bp.cli.command("reminders")
def reminders_command():
    """Queue tomorrow's session reminders (idempotent; the worker also does this)."""
    with write_transaction():
        queued = worker.schedule_reminders(now=utcnow())
        db.session.commit()
    click.echo(f"{queued} reminders queued")


@bp.cli.command("follow-ups")
def follow_ups_command():
    """Queue the follow-up questions due and their one reminder (idempotent; the worker
    also does this)."""
    with write_transaction():
        asked, chased = follow_ups.schedule(now=utcnow())
        db.session.commit()
    click.echo(f"{asked} follow-up questions and {chased} reminders queued")
