"""Demo residents and registrations, so staff pages and statistics have people in them.

Residents live mostly near the venue; some registered by SMS or through staff; full
workshops have a waiting list. Phones are in the 600 000 000 range, reserved for demos.
"""

import random
from datetime import datetime, timedelta

from workshops.catalogue.models import Workshop
from workshops.places.models import Neighbourhood
from workshops.registrations.models import (
    AgeBand,
    Channel,
    Gender,
    Registration,
    RegistrationStatus,
    Resident,
)

FIRST_NAMES = ["Maria", "Josep", "Carme", "Antonio", "Fatima", "Mohammed", "Rosa", "Joan",
               "Dolors", "Manuel", "Aisha", "Wei", "Nuria", "Pilar", "Jordi", "Ana", "Imran",
               "Montse", "Francisco", "Lucia", "Ahmed", "Teresa", "Xin", "Mercè"]
LAST_NAMES = ["Garcia", "Puig", "Martinez", "Serra", "El Amrani", "Khan", "Lopez", "Vidal",
              "Fernandez", "Soler", "Chen", "Rodriguez", "Ferrer", "Benali", "Sanchez"]
AGE_WEIGHTS = [(AgeBand.UNDER_30, 1), (AgeBand.FROM_30, 2), (AgeBand.FROM_45, 3),
               (AgeBand.FROM_65, 4), (AgeBand.FROM_75, 3), (None, 2)]
GENDER_WEIGHTS = [(Gender.WOMAN, 6), (Gender.MAN, 3), (Gender.NON_BINARY, 0.2),
                  (Gender.UNSAID, 1)]
CHANNEL_WEIGHTS = [(Channel.WEB, 4), (Channel.SMS, 4), (Channel.PHONE, 1), (Channel.STAFF, 2)]


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def build_demo_registrations(workshops: list[Workshop], neighbourhoods: list[Neighbourhood],
                             *, now: datetime) -> list[Registration]:
    rng = random.Random(4)  # noqa: S311  (repeatable demo data, not secrets)
    residents: list[Resident] = []
    registrations: list[Registration] = []

    def new_resident(near: Neighbourhood) -> Resident:
        same_district = [n for n in neighbourhoods if n.district_id == near.district_id]
        roll = rng.random()
        # Most live by the venue, many in the same district, a few across the city.
        home = (near if roll < 0.55 else rng.choice(same_district) if roll < 0.9
                else rng.choice(neighbourhoods))
        outside = rng.random() < 0.03
        resident = Resident(
            phone=f"+34600{len(residents) + 1:06d}", phone_takes_sms=True,
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            home_neighbourhood=None if outside else home, lives_outside_barcelona=outside,
            age_band=_pick(rng, AGE_WEIGHTS), gender=_pick(rng, GENDER_WEIGHTS),
            preferred_language=rng.choice(["ca", "ca", "es", "es", "es", "en"]),
            sms_consent=rng.random() < 0.8, created_at=now - timedelta(days=200))
        residents.append(resident)
        return resident

    for workshop in workshops:
        near = workshop.venue.neighbourhood
        published = workshop.published_at or now
        wanted = rng.randint(workshop.capacity // 3, workshop.capacity + 4)
        if workshop.first_session_starts_at > now + timedelta(days=14):
            wanted //= 3  # later workshops are still filling up
        returning = [r for r in residents if r.home_neighbourhood == near]
        people = rng.sample(returning, min(len(returning), wanted // 4))
        people += [new_resident(near) for _ in range(wanted - len(people))]
        for n, resident in enumerate(people):
            at = min(published + timedelta(hours=3 * n + 1), now)
            confirmed = workshop.seats_taken < workshop.capacity
            registrations.append(Registration(
                workshop=workshop, resident=resident,
                status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
                channel=_pick(rng, CHANNEL_WEIGHTS), created_at=at, queued_at=at,
                confirmed_at=at if confirmed else None))
            if confirmed:
                workshop.seats_taken += 1
    return registrations
