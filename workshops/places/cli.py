from pathlib import Path

import click
from flask_babel import force_locale

from workshops.config import configured_languages
from workshops.database import write_transaction
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.places import bp
from workshops.places.boundaries import BoundaryError, import_boundaries


@bp.cli.command("import-boundaries")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--language", default=configured_languages()[0],
              type=click.Choice(configured_languages()),
              help="Language of the messages.")
def import_boundaries_command(file: Path, language: str):
    """Import neighbourhood boundaries from Open Data BCN's barris GeoJSON (WGS84).

    Replaces the boundaries imported before; on any error (a neighbourhood's shape that
    cannot be drawn among them) nothing changes, the reason is printed and the exit status
    is 1.
    """
    with force_locale(language), write_transaction():
        try:
            result = import_boundaries(file, now=utcnow())
        except BoundaryError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        db.session.commit()
        for line in result.summary():
            click.echo(line)
