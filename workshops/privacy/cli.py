import click

from workshops.database import write_transaction
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.privacy import bp
from workshops.privacy.retention import Outcome, purge


def describe(outcome: Outcome, dry_run: bool) -> str:
    verb = f"would be {outcome.action}" if dry_run else outcome.action
    return f"{outcome.kind}: {outcome.count} {verb} ({outcome.description})"


def run_purge(*, now, dry_run: bool = False) -> list[Outcome]:
    """One purge in its own transaction, committed unless it is a dry run."""
    with write_transaction():
        try:
            outcomes = purge(now=now, dry_run=dry_run)
        except BaseException:
            db.session.rollback()
            raise
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    return outcomes


@bp.cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Print what would go, per kind, and change nothing.")
def purge_command(dry_run):
    """Delete or anonymise personal data past its retention period (see README)."""
    for outcome in run_purge(now=utcnow(), dry_run=dry_run):
        click.echo(describe(outcome, dry_run))
