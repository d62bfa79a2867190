import click

from workshops.accounts import bp
from workshops.accounts.models import Role
from workshops.accounts.services import AccountError, create_user
from workshops.config import configured_languages
from workshops.extensions import db


@bp.cli.command("create-user")
@click.option("--email", prompt=True, help="Sign-in email.")
@click.option("--name", prompt=True, help="Full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="Role to grant; repeat for several.",
)
@click.option("--language", default=configured_languages()[0],
              type=click.Choice(configured_languages()),
              help="Language of the staff pages for this person.")
@click.password_option(help="At least 12 characters; asked for when not given.")
def create_user_command(email, name, roles, language, password):
    """Create a staff account (the same checks as the admin page: on a refusal nothing is
    created, the reason is printed and the exit status is 1)."""
    try:
        user = create_user(
            email=email, name=name, password=password, roles=roles, preferred_language=language
        )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}")
