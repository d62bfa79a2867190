from pathlib import Path

import click
from flask import current_app

from workshops.operations import bp
from workshops.operations.backups import BackupError, backup, restore


def _database_url(given: str | None) -> str:
    return given or current_app.config["SQLALCHEMY_DATABASE_URI"]


@bp.cli.command("create")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", help="Back up this database instead of DATABASE_URL's.")
def create_command(destination, database_url):
    """Copy the database to DESTINATION while the portal runs (see README: Backups)."""
    try:
        backup(_database_url(database_url), destination)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {destination} ({destination.stat().st_size} bytes)")


@bp.cli.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", help="Restore into this (empty) database instead of "
                                     "DATABASE_URL's.")
def restore_command(source, database_url):
    """Restore SOURCE into an empty database: every row comes back."""
    try:
        restore(source, _database_url(database_url))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {source}")
