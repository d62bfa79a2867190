"""Demo workshops: about 40 upcoming in priority neighbourhoods and a past half-year.

Realistic texts in three languages (two workshops in one language only, to show the
fallback), sessions today and tomorrow for the demo facilitator.
"""

import random
from datetime import date, datetime, time, timedelta

from workshops.accounts.models import User
from workshops.catalogue.local_time import slot, to_local
from workshops.catalogue.models import Level, Session, Topic, Workshop, WorkshopStatus
from workshops.places.models import Venue

# topic key, level, audiences, titles (ca, es, en), summaries (ca, es, en)
CONCEPTS = [
    ("first-steps", Level.BEGINNER, ["older-people"],
     ("El mòbil, pas a pas", "El móvil, paso a paso", "Your phone, step by step"),
     ("Apreneu a trucar, fer fotos, instal·lar aplicacions i mantenir el mòbil al dia.",
      "Aprenda a llamar, hacer fotos, instalar aplicaciones y mantener el móvil al día.",
      "Learn to call, take photos, install apps and keep your phone up to date.")),
    ("internet-email", Level.BEGINNER, [],
     ("Correu electrònic per començar", "Correo electrónico para empezar", "Email for beginners"),
     ("Creeu el vostre compte, envieu i rebeu missatges i adjunteu documents.",
      "Cree su cuenta, envíe y reciba mensajes y adjunte documentos.",
      "Create your account, send and receive messages and attach documents.")),
    ("public-services", Level.BEGINNER, ["older-people", "newcomers"],
     ("Cita prèvia i tràmits amb l'Ajuntament", "Cita previa y trámites con el Ayuntamiento",
      "Appointments and paperwork with the City Council"),
     ("Demaneu cita al CAP, a l'Ajuntament i al SEPE des del mòbil.",
      "Pida cita en el CAP, el Ayuntamiento y el SEPE desde el móvil.",
      "Book appointments with your health centre, the City Council and SEPE from your phone.")),
    ("public-services", Level.INTERMEDIATE, [],
     ("Identitat digital: idCAT Mòbil i Cl@ve", "Identidad digital: idCAT Móvil y Cl@ve",
      "Digital ID: idCAT Mòbil and Cl@ve"),
     ("Obteniu la vostra identitat digital i feu tràmits sense desplaçar-vos.",
      "Obtenga su identidad digital y haga trámites sin desplazarse.",
      "Get your digital ID and do paperwork without travelling.")),
    ("online-safety", Level.BEGINNER, ["older-people"],
     ("Que no us enganyin: estafes per SMS i WhatsApp",
      "Que no le engañen: estafas por SMS y WhatsApp", "Don't get scammed: SMS and WhatsApp fraud"),
     ("Reconeixeu missatges falsos, protegiu les contrasenyes i sapigueu què fer si us passa.",
      "Reconozca mensajes falsos, proteja sus contraseñas y sepa qué hacer si le pasa.",
      "Spot fake messages, protect your passwords and know what to do if it happens.")),
    ("video-calls", Level.BEGINNER, ["older-people", "families"],
     ("Videotrucades amb la família", "Videollamadas con la familia",
      "Video calls with your family"),
     ("WhatsApp, videotrucades i com compartir fotos amb qui estimeu.",
      "WhatsApp, videollamadas y cómo compartir fotos con sus seres queridos.",
      "WhatsApp, video calls and sharing photos with the people you love.")),
    ("job-search", Level.INTERMEDIATE, ["job-seekers", "young-people"],
     ("Buscar feina per internet", "Buscar trabajo por internet", "Looking for work online"),
     ("Feu el currículum, inscriviu-vos a portals de feina i prepareu entrevistes en línia.",
      "Haga el currículum, inscríbase en portales de empleo y prepare entrevistas en línea.",
      "Write your CV, sign up to job sites and prepare for online interviews.")),
    ("banking-shopping", Level.INTERMEDIATE, [],
     ("Banca al mòbil, amb seguretat", "Banca en el móvil, con seguridad",
      "Mobile banking, safely"),
     ("Consulteu el compte, feu Bizum i pagueu rebuts sense córrer riscos.",
      "Consulte la cuenta, haga Bizum y pague recibos sin correr riesgos.",
      "Check your account, use Bizum and pay bills without taking risks.")),
    ("first-steps", Level.BEGINNER, ["newcomers"],
     ("", "Primeros pasos con el ordenador", ""),
     ("", "Ratón, teclado, carpetas y primeras búsquedas en internet.", "")),
    ("internet-email", Level.BEGINNER, ["women"],
     ("Dones connectades", "", ""),
     ("Un espai entre dones per perdre la por a internet: cercar informació, xarxes i seguretat.",
      "", "")),
    ("video-calls", Level.BEGINNER, ["families"],
     ("Famílies i pantalles", "Familias y pantallas", "Families and screens"),
     ("Control parental, temps de pantalla i les aplicacions de l'escola.",
      "Control parental, tiempo de pantalla y las aplicaciones de la escuela.",
      "Parental controls, screen time and the school's apps.")),
    ("online-safety", Level.BEGINNER, ["young-people"],
     ("Xarxes socials sense riscos", "Redes sociales sin riesgos",
      "Social media without the risks"),
     ("Privacitat, contrasenyes i com actuar davant l'assetjament en línia.",
      "Privacidad, contraseñas y cómo actuar ante el acoso en línea.",
      "Privacy, passwords and what to do about online harassment.")),
]
DESCRIPTIONS = (
    "Grups petits i sense pressa. Porteu el vostre mòbil si en teniu; si no, us en deixem un.",
    "Grupos pequeños y sin prisas. Traiga su móvil si tiene; si no, le prestamos uno.",
    "Small groups, at an easy pace. Bring your phone if you have one; if not, we lend you one.",
)
# What to bring, by topic (ca, es, en).
BRINGS = {
    "first-steps": ("El vostre mòbil i el carregador, si en teniu.",
                    "Su móvil y el cargador, si tiene.",
                    "Your phone and its charger, if you have one."),
    "internet-email": ("El mòbil, si en teniu. Ordinadors a la sala.",
                       "El móvil, si tiene. Ordenadores en la sala.",
                       "Your phone, if you have one. Computers in the room."),
    "public-services": ("El DNI o NIE, la targeta sanitària i el mòbil.",
                        "El DNI o NIE, la tarjeta sanitaria y el móvil.",
                        "Your DNI or NIE, health card and phone."),
    "online-safety": ("El mòbil, amb les contrasenyes que feu servir.",
                      "El móvil, con las contraseñas que usa.",
                      "Your phone, with the passwords you use."),
    "video-calls": ("El mòbil o la tauleta, i el carregador.",
                    "El móvil o la tableta, y el cargador.",
                    "Your phone or tablet, and its charger."),
    "job-search": ("El currículum en paper o en un llapis USB, si en teniu.",
                   "El currículum en papel o en un lápiz USB, si tiene.",
                   "Your CV on paper or a USB stick, if you have one."),
    "banking-shopping": ("El mòbil amb l'aplicació del vostre banc, si en teniu.",
                         "El móvil con la aplicación de su banco, si tiene.",
                         "Your phone with your bank's app, if you have one."),
}
TIMES = [(time(10, 0), time(12, 0)), (time(16, 0), time(18, 0)), (time(18, 0), time(19, 30)),
         (time(11, 0), time(12, 30))]


def _workshop(concept, *, venue: Venue, topics: dict[str, Topic], organiser: User,
              code: int, capacity: int, status=WorkshopStatus.PUBLISHED) -> Workshop:
    key, level, audiences, titles, summaries = concept
    workshop = Workshop(
        public_code=str(code), topic=topics[key], level=level,
        instruction_language="es" if titles[0] == "" else "ca",
        venue=venue, capacity=capacity, seats_taken=0, organiser=organiser, status=status,
        sequence=0,
    )
    written = [(lang, title, summary, description) for lang, title, summary, description
               in zip(("ca", "es", "en"), titles, summaries, DESCRIPTIONS, strict=True) if title]
    workshop.title_texts = {lang: title for lang, title, _summary, _description in written}
    workshop.summary_texts = {lang: summary for lang, _title, summary, _description in written}
    workshop.description_texts = {lang: description
                                  for lang, _title, _summary, description in written}
    brings = BRINGS.get(key, ("", "", ""))
    workshop.bring_texts = {lang: bring for lang, bring in zip(("ca", "es", "en"), brings,
                                                                strict=True)
                            if bring and lang in workshop.title_texts}
    workshop.set_audiences(audiences)
    return workshop


def _schedule(workshop: Workshop, first_day: date, times, count: int) -> None:
    start, end = times
    for week in range(count):
        s = slot(first_day + timedelta(weeks=week), start, end)
        workshop.sessions.append(Session(starts_at=s.starts_at, ends_at=s.ends_at))
    workshop.first_session_starts_at = workshop.sessions[0].starts_at
    workshop.last_session_ends_at = workshop.sessions[-1].ends_at


def build_demo_workshops(*, now: datetime, venues: list[Venue], history_venues: list[Venue],
                         topics: dict[str, Topic], organiser: User,
                         facilitator: User) -> list[Workshop]:
    """Upcoming workshops at `venues`; past ones at `history_venues`, priority ones more."""
    rng = random.Random(2026)  # noqa: S311  (repeatable demo data, not secrets)
    today = to_local(now).date()
    workshops, code = [], 101

    def add(concept, venue, first_day, times, count, *, with_facilitator=False):
        nonlocal code
        workshop = _workshop(concept, venue=venue, topics=topics, organiser=organiser,
                             code=code, capacity=rng.choice([10, 12, 12, 14, 16]))
        _schedule(workshop, first_day, times, count)
        published = min(now, workshop.first_session_starts_at - timedelta(days=14))
        workshop.created_at = workshop.updated_at = workshop.published_at = published
        if with_facilitator:
            workshop.facilitators = [facilitator]
        workshops.append(workshop)
        code += 1

    # Today and tomorrow for the demo facilitator (a course that started two weeks ago too).
    add(CONCEPTS[0], venues[0], today, (time(10, 0), time(12, 0)), 4, with_facilitator=True)
    add(CONCEPTS[4], venues[2], today, (time(17, 0), time(19, 0)), 1, with_facilitator=True)
    add(CONCEPTS[5], venues[1], today + timedelta(days=1), (time(10, 30), time(12, 0)), 3,
        with_facilitator=True)
    add(CONCEPTS[2], venues[3], today - timedelta(weeks=2), (time(16, 0), time(18, 0)), 4,
        with_facilitator=True)
    # About forty upcoming over the next six weeks.
    for i in range(36):
        first_day = today + timedelta(days=2 + (i * 40) // 36)
        if first_day.weekday() >= 5:
            first_day += timedelta(days=7 - first_day.weekday())
        add(CONCEPTS[i % len(CONCEPTS)], venues[(i * 5) % len(venues)], first_day,
            TIMES[i % len(TIMES)], rng.choice([1, 2, 4, 6]), with_facilitator=i % 3 == 0)
    # Half a year of history for the statistics: two courses starting most weeks.
    weights = [3 if venue.neighbourhood.priority else 1 for venue in history_venues]
    for i in range(40):
        first_day = today - timedelta(days=182 - (i * 175) // 40)
        if first_day.weekday() >= 5:
            first_day -= timedelta(days=first_day.weekday() - 4)
        count = rng.choice([1, 3, 4, 6])
        if first_day + timedelta(weeks=count) >= today:
            count = max(1, (today - first_day).days // 7 - 1)
        add(CONCEPTS[(i * 7) % len(CONCEPTS)], rng.choices(history_venues, weights)[0],
            first_day, TIMES[(i + 1) % len(TIMES)], count, with_facilitator=i % 2 == 0)
    return workshops
