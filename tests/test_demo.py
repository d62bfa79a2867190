from sqlalchemy import func, select

from workshops.accounts.models import Role, User
from workshops.demo import DEMO_USERS
from workshops.extensions import db
from workshops.places.models import Venue


def test_demo_needs_the_neighbourhoods_first(runner, app_context):
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "flask --app app seed" in result.output


def test_demo_creates_one_user_per_role_and_venues_in_priority_areas(runner, seeded):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    users = db.session.scalars(select(User)).all()
    assert {role for user in users for role in user.roles} == set(Role)
    for email, _name, password, _roles in DEMO_USERS:
        assert f"{email}" in result.output and password in result.output
    venues = db.session.scalars(select(Venue)).all()
    assert len(venues) >= 6
    assert all(venue.neighbourhood.priority for venue in venues)
    assert len({venue.neighbourhood.district_id for venue in venues}) >= 4


def test_demo_runs_only_on_an_empty_database_when_asked(runner, seeded):
    runner.invoke(args=["demo", "--if-empty"])
    again = runner.invoke(args=["demo", "--if-empty"])
    assert "skipped" in again.output
    explicit = runner.invoke(args=["demo"])
    assert explicit.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)


def test_demo_users_can_sign_in_with_the_published_passwords(runner, client, auth, seeded):
    runner.invoke(args=["demo"])
    for email, _name, password, _roles in DEMO_USERS:
        assert auth.login(email, password).status_code == 302
        auth.logout()
