"""Demo data for local runs and demos: staff for every role and venues where the gap is widest.

Running it twice adds nothing twice. The passwords are public (README): never run this
against a production database.
"""

from sqlalchemy import func, select

from workshops.accounts.models import Role, User
from workshops.accounts.services import create_user, find_user_by_email
from workshops.catalogue.models import Topic, Workshop
from workshops.catalogue.seed import seed_topics
from workshops.db_types import utcnow
from workshops.demo_registrations import build_demo_registrations
from workshops.demo_workshops import build_demo_workshops
from workshops.extensions import db
from workshops.places.models import Neighbourhood, Venue

DEMO_USERS = [
    ("admin@example.org", "Ada Admin", "admin-demo-2026", [Role.ADMIN]),
    ("coordinator@example.org", "Carme Coordinadora", "coordinator-demo-2026", [Role.COORDINATOR]),
    ("organiser@example.org", "Oriol Organitzador", "organiser-demo-2026", [Role.ORGANISER]),
    ("facilitator@example.org", "Fàtima Facilitadora", "facilitator-demo-2026",
     [Role.FACILITATOR]),
]

# (neighbourhood code, name, address, directions ca/es/en, accessibility)
DEMO_VENUES = [
    (53, "Casal de Barri Trinitat Nova", "Carrer de la Fosca, 10",
     ("Metro L4/L11 Trinitat Nova, sortida Pedraforca.",
      "Metro L4/L11 Trinitat Nova, salida Pedraforca.",
      "Metro L4/L11 Trinitat Nova, Pedraforca exit."),
     {"step_free_access": True, "accessible_toilet": True, "devices_lent": True,
      "free_wifi": True}),
    (50, "Biblioteca Les Roquetes", "Via Favència, 288",
     ("Bus V29 i 47, parada Via Favència.", "Bus V29 y 47, parada Via Favència.",
      "Bus V29 and 47, Via Favència stop."),
     {"step_free_access": True, "accessible_toilet": True, "hearing_loop": True,
      "free_wifi": True}),
    (1, "Centre Cívic Drassanes", "Carrer Nou de la Rambla, 43",
     ("Metro L3 Drassanes o Liceu. Sala de la primera planta, amb ascensor.",
      "Metro L3 Drassanes o Liceu. Sala de la primera planta, con ascensor.",
      "Metro L3 Drassanes or Liceu. First-floor room, lift available."),
     {"step_free_access": True, "accessible_toilet": True, "childcare": True,
      "devices_lent": True, "free_wifi": True}),
    (59, "Biblioteca Bon Pastor", "Carrer de Sant Adrià, 20",
     ("Metro L9 Nord Bon Pastor.", "Metro L9 Norte Bon Pastor.", "Metro L9 North Bon Pastor."),
     {"step_free_access": True, "free_wifi": True}),
    (37, "Biblioteca El Carmel - Juan Marsé", "Carrer de la Murtra, 135",
     ("Metro L5 El Carmel. Hi ha escales a l'entrada lateral; useu la principal.",
      "Metro L5 El Carmel. Hay escaleras en la entrada lateral; usad la principal.",
      "Metro L5 El Carmel. The side entrance has steps; use the main one."),
     {"step_free_access": True, "accessible_toilet": True, "free_wifi": True}),
    (13, "Biblioteca Francesc Candel", "Carrer d'Ulldecona, 2",
     ("Metro L10 Sud Foc Cisell.", "Metro L10 Sur Foc Cisell.", "Metro L10 South Foc Cisell."),
     {"step_free_access": True, "devices_lent": True, "free_wifi": True}),
    (70, "Centre Cívic Besòs", "Rambla de Prim, 87",
     ("Metro L4 Besòs.", "Metro L4 Besòs.", "Metro L4 Besòs."),
     {"step_free_access": True, "accessible_toilet": True, "childcare": True,
      "free_wifi": True}),
    (11, "Biblioteca Poble-sec - Francesc Boix", "Carrer de Blesa, 34",
     ("Metro L3 Paral·lel. Entrada per escala; no hi ha accés sense graons.",
      "Metro L3 Paral·lel. Entrada con escaleras; no hay acceso sin escalones.",
      "Metro L3 Paral·lel. Entrance by stairs; no step-free access."),
     {"hearing_loop": True, "free_wifi": True}),
]


class DemoError(Exception):
    pass


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def create_demo_data() -> str:
    """Create what is missing and return a report that shows the demo sign-ins."""
    neighbourhoods = {n.code: n for n in db.session.scalars(select(Neighbourhood))}
    if not neighbourhoods:
        raise DemoError("Seed the neighbourhoods first: flask --app app seed")

    lines = ["Demo staff accounts (sign in at /login):"]
    for email, name, password, roles in DEMO_USERS:
        if find_user_by_email(email) is None:
            create_user(email=email, name=name, password=password, roles=roles)
        lines.append(f"  {roles[0].value:<12} {email:<26} password: {password}")

    existing_venues = set(db.session.scalars(select(Venue.name)))
    created = 0
    for code, name, address, directions, access in DEMO_VENUES:
        if name in existing_venues:
            continue
        ca, es, en = directions
        db.session.add(
            Venue(
                name=name,
                address=address,
                neighbourhood=neighbourhoods[code],
                directions_ca=ca,
                directions_es=es,
                directions_en=en,
                **access,
            )
        )
        created += 1
    db.session.flush()
    lines.append(f"Demo venues: {created} created, {len(DEMO_VENUES) - created} already there.")
    lines.append(_create_demo_workshops())
    return "\n".join(lines)


def _create_demo_workshops() -> str:
    if db.session.scalar(select(func.count()).select_from(Workshop)):
        return "Demo workshops skipped: there are workshops already."
    seed_topics()
    venue_names = [name for _code, name, *_rest in DEMO_VENUES]
    venues_by_name = {v.name: v for v in db.session.scalars(select(Venue))}
    workshops = build_demo_workshops(
        now=utcnow(),
        venues=[venues_by_name[name] for name in venue_names],
        topics={t.key: t for t in db.session.scalars(select(Topic))},
        organiser=find_user_by_email(DEMO_USERS[2][0]),
        facilitator=find_user_by_email(DEMO_USERS[3][0]),
    )
    registrations = build_demo_registrations(
        workshops, list(db.session.scalars(select(Neighbourhood))), now=utcnow())
    db.session.add_all(workshops)
    db.session.add_all(registrations)
    db.session.flush()
    residents = len({r.resident for r in registrations})
    return (f"Demo workshops: {len(workshops)} created, with {len(registrations)} "
            f"registrations of {residents} residents.")
