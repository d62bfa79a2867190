"""Small factories: each makes a valid object with defaults a test can override."""

import itertools
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from workshops.accounts.models import Role
from workshops.accounts.services import create_user
from workshops.catalogue.local_time import Slot
from workshops.catalogue.models import Topic, Workshop
from workshops.catalogue.services import WorkshopDetails, create_workshop
from workshops.catalogue.services import publish as publish_workshop
from workshops.extensions import db
from workshops.places.models import District, Neighbourhood, Venue
from workshops.registrations.models import Channel
from workshops.registrations.phones import parse_phone
from workshops.registrations.services import ResidentDetails, issue_manage_link
from workshops.registrations.services import register as register_service

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
              "directions_texts": {"ca": "Metro L4"}, "step_free_access": True}
    venue = Venue(neighbourhood=neighbourhood or make_neighbourhood(), **(values | overrides))
    db.session.add(venue)
    db.session.commit()
    return venue


def make_topic(**overrides):
    n = next(_sequence)
    values = {"key": f"topic-{n}",
              "name_texts": {"ca": f"Tema {n}", "es": f"Tema {n}", "en": f"Topic {n}"},
              "position": n, "active": True}
    topic = Topic(**(values | overrides))
    db.session.add(topic)
    db.session.commit()
    return topic


def details(**overrides):
    """Valid WorkshopDetails; pass venue=, topic= or let them be made."""
    values = {
        "titles": {"ca": "Taller de mòbil", "es": "", "en": ""},
        "summaries": {"ca": "Aprendre a fer servir el mòbil.", "es": "", "en": ""},
        "descriptions": {"ca": "", "es": "", "en": ""},
        "topic": None, "level": "beginner", "instruction_language": "ca", "audiences": [],
        "venue": None, "capacity": 12,
    }
    values |= overrides
    values["topic"] = values["topic"] or make_topic()
    values["venue"] = values["venue"] or make_venue()
    return WorkshopDetails(**values)


# Codes from here up go to workshops made without one; a test that wants a code asks for
# one below it (public_code="123"). With the service's random free code, a workshop made
# first could take the code a test then asked for, one run in several hundred.
FIRST_FACTORY_CODE = 900


def _unasked_code() -> str:
    """The first code from FIRST_FACTORY_CODE that no workshop holds: one query."""
    held = set(db.session.scalars(select(Workshop.public_code)))
    return next(str(code) for code in range(FIRST_FACTORY_CODE, 10000) if str(code) not in held)


def make_workshop(*, organiser=None, slots=None, now=None, publish=True, **detail_overrides):
    """A workshop through the real services; by default one session a week from now."""
    now = now or datetime.now(UTC)
    if not detail_overrides.get("public_code"):
        detail_overrides["public_code"] = _unasked_code()
    organiser = organiser or make_user([Role.ORGANISER])
    if slots is None:
        start = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
        slots = [Slot(start, start + timedelta(hours=2))]
    workshop = create_workshop(details(**detail_overrides), organiser=organiser, slots=slots,
                               now=now)
    if publish:
        publish_workshop(workshop, now=now)
    db.session.commit()
    return workshop


def resident_details(phone="612345678", **overrides):
    """ResidentDetails for a (mobile, consenting) resident; phone=None for none at all."""
    values = {"phone": parse_phone(phone) if phone else None, "name": f"Resident {phone}",
              "sms_consent": True}
    return ResidentDetails(**(values | overrides))


def register(workshop, phone="612345678", *, channel=Channel.WEB, now=None, **overrides):
    registration = register_service(workshop.id, resident_details(phone, **overrides),
                                    channel=channel, now=now or datetime.now(UTC))
    db.session.commit()
    return registration


def manage_token(registration, *, now=None) -> str:
    """A new personal link's token for `registration` (only its hash is stored)."""
    token = issue_manage_link(registration, now=now or datetime.now(UTC))
    db.session.commit()
    return token


def token_in(text: str) -> str:
    """The token of the (first) personal link in a text or address: ".../r/AbC" → "AbC"."""
    return re.search(r"/r/([\w-]+)", text).group(1)


def mobile(n: int) -> str:
    """A distinct valid Spanish mobile number for each n."""
    return f"6{n:08d}"


def _workshop_by_id(workshop_id):
    from workshops.catalogue.models import Workshop

    return db.session.get(Workshop, workshop_id)


def attend(registration, session, present=True):
    """An attendance mark as the tablet would leave it (marked when the session ended)."""
    from workshops.attendance.models import Attendance

    mark = Attendance(session_id=session.id, registration_id=registration.id, present=present,
                      marked_at=session.ends_at, recorded_at=session.ends_at, change_id="")
    db.session.add(mark)
    db.session.commit()
    return mark


def walk_in(workshop, session, phone, **overrides):
    """Someone who turned up at `session` and was added at the door: confirmed even when the
    workshop is full (they are in the room), and marked present."""
    from workshops.registrations.models import Registration, RegistrationStatus
    from workshops.registrations.services import resident_for

    now = session.starts_at
    registration = Registration(
        workshop_id=workshop.id, status=RegistrationStatus.CONFIRMED, channel=Channel.WALK_IN,
        resident=resident_for(resident_details(phone, **overrides), proven=False, now=now),
        created_at=now, queued_at=now, confirmed_at=now)
    db.session.add(registration)
    db.session.commit()
    attend(registration, session)
    return registration
