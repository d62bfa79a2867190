"""Demo data for local runs and demos: staff for every role, venues where the gap is widest,
workshops, and half a year of history (attendance, walk-ins, follow-up answers) for the
reach statistics.

Running it twice adds nothing twice. The passwords are public (README): never run this
against a production database.
"""

from sqlalchemy import func, select

from workshops.accounts.models import Role, User
from workshops.accounts.services import create_user, find_user_by_email
from workshops.catalogue.models import Topic, Workshop
from workshops.catalogue.seed import seed_topics
from workshops.db_types import utcnow
from workshops.demo.attendance import build_demo_attendance
from workshops.demo.outcomes import add_demo_follow_ups
from workshops.demo.registrations import build_demo_registrations
from workshops.demo.workshops import build_demo_workshops
from workshops.extensions import db
from workshops.places.models import Neighbourhood, Venue

DEMO_USERS = [
    ("admin@example.org", "Ada Admin", "admin-demo-2026", [Role.ADMIN]),
    ("coordinator@example.org", "Carme Coordinadora", "coordinator-demo-2026", [Role.COORDINATOR]),
    ("organiser@example.org", "Oriol Organitzador", "organiser-demo-2026", [Role.ORGANISER]),
    ("facilitator@example.org", "Fàtima Facilitadora", "facilitator-demo-2026",
     [Role.FACILITATOR]),
]

# (neighbourhood code, name, address, directions ca/es/en, coordinates and accessibility)
DEMO_VENUES = [
    (53, "Casal de Barri Trinitat Nova", "Carrer de la Fosca, 10",
     ("Metro L4/L11 Trinitat Nova, sortida Pedraforca.",
      "Metro L4/L11 Trinitat Nova, salida Pedraforca.",
      "Metro L4/L11 Trinitat Nova, Pedraforca exit."),
     {"latitude": 41.4494, "longitude": 2.183,
      "step_free_access": True, "accessible_toilet": True, "devices_lent": True,
      "free_wifi": True}),
    (50, "Biblioteca Les Roquetes", "Via Favència, 288",
     ("Bus V29 i 47, parada Via Favència.", "Bus V29 y 47, parada Via Favència.",
      "Bus V29 and 47, Via Favència stop."),
     {"latitude": 41.4479, "longitude": 2.1752,
      "step_free_access": True, "accessible_toilet": True, "hearing_loop": True,
      "free_wifi": True}),
    (1, "Centre Cívic Drassanes", "Carrer Nou de la Rambla, 43",
     ("Metro L3 Drassanes o Liceu. Sala de la primera planta, amb ascensor.",
      "Metro L3 Drassanes o Liceu. Sala de la primera planta, con ascensor.",
      "Metro L3 Drassanes or Liceu. First-floor room, lift available."),
     {"latitude": 41.3776, "longitude": 2.1735,
      "step_free_access": True, "accessible_toilet": True, "childcare": True,
      "devices_lent": True, "free_wifi": True}),
    (59, "Biblioteca Bon Pastor", "Carrer de Sant Adrià, 20",
     ("Metro L9 Nord Bon Pastor.", "Metro L9 Norte Bon Pastor.", "Metro L9 North Bon Pastor."),
     {"latitude": 41.4356, "longitude": 2.2036,
      "step_free_access": True, "free_wifi": True}),
    (37, "Biblioteca El Carmel - Juan Marsé", "Carrer de la Murtra, 135",
     ("Metro L5 El Carmel. Hi ha escales a l'entrada lateral; useu la principal.",
      "Metro L5 El Carmel. Hay escaleras en la entrada lateral; usad la principal.",
      "Metro L5 El Carmel. The side entrance has steps; use the main one."),
     {"latitude": 41.4246, "longitude": 2.1583,
      "step_free_access": True, "accessible_toilet": True, "free_wifi": True}),
    (13, "Biblioteca Francesc Candel", "Carrer d'Ulldecona, 2",
     ("Metro L10 Sud Foc Cisell.", "Metro L10 Sur Foc Cisell.", "Metro L10 South Foc Cisell."),
     {"latitude": 41.3597, "longitude": 2.14,
      "step_free_access": True, "devices_lent": True, "free_wifi": True}),
    (70, "Centre Cívic Besòs", "Rambla de Prim, 87",
     ("Metro L4 Besòs.", "Metro L4 Besòs.", "Metro L4 Besòs."),
     {"latitude": 41.4167, "longitude": 2.212,
      "step_free_access": True, "accessible_toilet": True, "childcare": True,
      "free_wifi": True}),
    (11, "Biblioteca Poble-sec - Francesc Boix", "Carrer de Blesa, 34",
     ("Metro L3 Paral·lel. Entrada per escala; no hi ha accés sense graons.",
      "Metro L3 Paral·lel. Entrada con escaleras; no hay acceso sin escalones.",
      "Metro L3 Paral·lel. Entrance by stairs; no step-free access."),
     {"latitude": 41.3728, "longitude": 2.1636,
      "hearing_loop": True, "free_wifi": True}),
]


# Where past workshops were held as well: more priority neighbourhoods, and a few others
# from before the programme focused on the widest gaps.
HISTORY_VENUES = [
    (55, "Casal de Barri Ciutat Meridiana", "Carrer de les Agudes, 18",
     ("Metro L11 Ciutat Meridiana.", "Metro L11 Ciutat Meridiana.", "Metro L11 Ciutat Meridiana."),
     {"latitude": 41.4606, "longitude": 2.1745,
      "step_free_access": True, "free_wifi": True}),
    (57, "Casal de Barri Trinitat Vella", "Carrer de la Foradada, 36",
     ("Metro L1 Trinitat Vella.", "Metro L1 Trinitat Vella.", "Metro L1 Trinitat Vella."),
     {"latitude": 41.45, "longitude": 2.1926,
      "step_free_access": True, "accessible_toilet": True, "devices_lent": True}),
    (45, "Biblioteca Nou Barris", "Carrer de Pla i Armengol, 0",
     ("Metro L4 Llucmajor.", "Metro L4 Llucmajor.", "Metro L4 Llucmajor."),
     {"latitude": 41.4377, "longitude": 2.1768,
      "step_free_access": True, "accessible_toilet": True, "hearing_loop": True,
      "free_wifi": True}),
    (73, "Centre Cívic Sant Martí", "Carrer de Selva de Mar, 215",
     ("Metro L2 Verneda.", "Metro L2 Verneda.", "Metro L2 Verneda."),
     {"latitude": 41.4186, "longitude": 2.2048,
      "step_free_access": True, "childcare": True, "free_wifi": True}),
    (12, "Centre Cívic La Marina", "Passeig de la Zona Franca, 185",
     ("Bus V3 i 21, parada Passeig de la Zona Franca.",
      "Bus V3 y 21, parada Paseo de la Zona Franca.",
      "Bus V3 and 21, Passeig de la Zona Franca stop."),
     {"latitude": 41.355, "longitude": 2.1414,
      "step_free_access": True, "devices_lent": True, "free_wifi": True}),
    (18, "Biblioteca Vapor Vell", "Carrer del Perill, 2",
     ("Metro L1/L5 Plaça de Sants.", "Metro L1/L5 Plaza de Sants.", "Metro L1/L5 Plaça de Sants."),
     {"latitude": 41.3794, "longitude": 2.1359,
      "step_free_access": True, "accessible_toilet": True, "free_wifi": True}),
    (31, "Biblioteca Vila de Gràcia", "Carrer de Torrijos, 59",
     ("Metro L3 Fontana.", "Metro L3 Fontana.", "Metro L3 Fontana."),
     {"latitude": 41.4025, "longitude": 2.1592,
      "step_free_access": True, "free_wifi": True}),
    (65, "Biblioteca El Clot - Josep Benet", "Carrer del Clot, 26",
     ("Metro L1/L2 Clot.", "Metro L1/L2 Clot.", "Metro L1/L2 Clot."),
     {"latitude": 41.4098, "longitude": 2.1905,
      "step_free_access": True, "accessible_toilet": True, "hearing_loop": True,
      "free_wifi": True}),
    (3, "Centre Cívic La Barceloneta", "Carrer de la Conreria, 1",
     ("Metro L4 Barceloneta.", "Metro L4 Barceloneta.", "Metro L4 Barceloneta."),
     {"latitude": 41.3808, "longitude": 2.1892,
      "step_free_access": True, "free_wifi": True}),
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

    existing_venues = {venue.name: venue for venue in db.session.scalars(select(Venue))}
    created = 0
    all_venues = DEMO_VENUES + HISTORY_VENUES
    for code, name, address, directions, access in all_venues:
        if name in existing_venues:
            venue = existing_venues[name]
            if venue.point is None:  # demo venues made before venues had coordinates
                venue.latitude, venue.longitude = access["latitude"], access["longitude"]
            continue
        db.session.add(
            Venue(
                name=name,
                address=address,
                neighbourhood=neighbourhoods[code],
                directions_texts={lang: text for lang, text
                                  in zip(("ca", "es", "en"), directions, strict=True) if text},
                **access,
            )
        )
        created += 1
    db.session.flush()
    lines.append(f"Demo venues: {created} created, {len(all_venues) - created} already there.")
    lines.append(_create_demo_workshops())
    return "\n".join(lines)


def _create_demo_workshops() -> str:
    if db.session.scalar(select(func.count()).select_from(Workshop)):
        return "Demo workshops skipped: there are workshops already."
    seed_topics()
    now = utcnow()
    venues_by_name = {v.name: v for v in db.session.scalars(select(Venue))}
    organiser = find_user_by_email(DEMO_USERS[2][0])
    workshops = build_demo_workshops(
        now=now,
        venues=[venues_by_name[name] for _code, name, *_rest in DEMO_VENUES],
        history_venues=[venues_by_name[name]
                        for _code, name, *_rest in DEMO_VENUES + HISTORY_VENUES],
        topics={t.key: t for t in db.session.scalars(select(Topic))},
        organiser=organiser,
        facilitator=find_user_by_email(DEMO_USERS[3][0]),
    )
    registrations = build_demo_registrations(
        workshops, list(db.session.scalars(select(Neighbourhood))), now=now)
    history = build_demo_attendance(workshops, registrations, now=now, organiser=organiser)
    db.session.add_all(workshops)
    db.session.add_all(registrations + history.walk_ins)
    db.session.flush()
    history.insert_attendance()
    everyone = registrations + history.walk_ins
    asked, answered = add_demo_follow_ups(workshops, everyone, history.marks, now=now)
    residents = len({r.resident for r in everyone})
    past = sum(1 for w in workshops if w.is_over(now))
    return (f"Demo workshops: {len(workshops)} created ({past} already over), with "
            f"{len(everyone)} registrations of {residents} residents.\n"
            f"Demo attendance: {history.closed_sessions} sessions held and closed, "
            f"{len(history.marks)} marks ({history.present_share:.0%} present), "
            f"{len(history.walk_ins)} walk-ins, {history.cancelled} cancellations.\n"
            f"Demo follow-up questions: {asked} asked, {answered} answered.")
