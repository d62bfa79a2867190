"""Top-level operational commands: `flask seed` and `flask demo`."""

import click
from flask import Flask

from workshops.extensions import db


@click.command("seed")
def seed_command():
    """Load or update Barcelona's districts and neighbourhoods, and the default topics."""
    from workshops.catalogue.seed import seed_topics
    from workshops.places.seed import seed_places

    result = seed_places()
    topics_added = seed_topics()
    db.session.commit()
    click.echo(
        f"Places: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )
    click.echo(f"Topics: {topics_added} added.")


@click.command("demo")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the database already has staff users."
)
def demo_command(if_empty):
    """Create demo staff (one per role) and venues in priority neighbourhoods."""
    from workshops.demo import DemoError, create_demo_data, database_is_empty

    if if_empty and not database_is_empty():
        click.echo("Demo data skipped: the database already has staff users.")
        return
    try:
        report = create_demo_data()
    except DemoError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(report)


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_command)
