"""Small factories: each makes a valid object with defaults a test can override."""

import itertools

from workshops.accounts.models import Role
from workshops.accounts.services import create_user
from workshops.extensions import db
from workshops.places.models import District, Neighbourhood, Venue

DEFAULT_PASSWORD = "a-long-test-password"
_sequence = itertools.count(1)


def make_user(roles=(Role.ORGANISER,), *, email=None, name=None, password=DEFAULT_PASSWORD,
              language="ca", active=True):
    n = next(_sequence)
    user = create_user(
        email=email or f"staff{n}@example.org",
        name=name or f"Staff Member {n}",
        password=password,
        roles=roles,
        preferred_language=language,
    )
    user.active = active
    db.session.commit()
    return user


def make_district(**overrides):
    n = next(_sequence)
    values = {"code": chr(65 + n % 26) + chr(65 + n // 26 % 26), "name": f"District {n}",
              "population": 100_000, "population_year": 2024, "income_index": 90.0,
              "income_year": 2016}
    district = District(**(values | overrides))
    db.session.add(district)
    db.session.commit()
    return district


def make_neighbourhood(district=None, **overrides):
    n = next(_sequence)
    values = {"code": 1000 + n, "name": f"Neighbourhood {n}", "population": 20_000,
              "population_year": 2024, "income_index": 70.0, "income_year": 2014,
              "priority": True}
    neighbourhood = Neighbourhood(district=district or make_district(), **(values | overrides))
    db.session.add(neighbourhood)
    db.session.commit()
    return neighbourhood


def make_venue(neighbourhood=None, **overrides):
    n = next(_sequence)
    values = {"name": f"Civic Centre {n}", "address": f"Carrer de Prova, {n}",
              "directions_ca": "Metro L4", "step_free_access": True}
    venue = Venue(neighbourhood=neighbourhood or make_neighbourhood(), **(values | overrides))
    db.session.add(venue)
    db.session.commit()
    return venue
