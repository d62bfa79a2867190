import logging
import time

import click
from flask import current_app

from workshops.database import write_transaction
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.sms import bp
from workshops.sms.senders import make_sender
from workshops.sms.worker import schedule_reminders, send_due


@bp.cli.command("worker")
@click.option("--once", is_flag=True, help="Send what is due and stop (for cron or tests).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def worker_command(once, interval):
    """Send the outbox: confirmations, waiting list, promotions, reminders, changes."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sender = make_sender(current_app)
    while True:
        with write_transaction():
            schedule_reminders(now=utcnow())
            db.session.commit()
        result = send_due(sender, now=utcnow())
        if result.sent or result.failed or result.retried or result.skipped:
            click.echo(f"sent {result.sent}, failed {result.failed}, retrying "
                       f"{result.retried}, skipped {result.skipped}")
        if once:
            return
        time.sleep(interval)


@bp.cli.command("reminders")
def reminders_command():
    """Queue tomorrow's session reminders (idempotent; the worker also does this)."""
    with write_transaction():
        queued = schedule_reminders(now=utcnow())
        db.session.commit()
    click.echo(f"{queued} reminders queued")
