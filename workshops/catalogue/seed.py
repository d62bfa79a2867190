"""The starting list of workshop topics. Coordinators manage it afterwards."""

from sqlalchemy import select

from workshops.catalogue.models import Topic
from workshops.extensions import db

DEFAULT_TOPICS = [
    ("first-steps", "Primers passos amb el mòbil o l'ordinador",
     "Primeros pasos con el móvil o el ordenador", "First steps with a phone or computer"),
    ("internet-email", "Internet i correu electrònic", "Internet y correo electrónico",
     "Internet and email"),
    ("public-services", "Tràmits en línia i identitat digital",
     "Trámites en línea e identidad digital", "Online public services and digital ID"),
    ("online-safety", "Seguretat en línia i estafes", "Seguridad en línea y estafas",
     "Online safety and scams"),
    ("video-calls", "Videotrucades i missatgeria", "Videollamadas y mensajería",
     "Video calls and messaging"),
    ("job-search", "Cercar feina en línia", "Buscar trabajo en línea", "Job search online"),
    ("banking-shopping", "Banca i compres en línia", "Banca y compras en línea",
     "Online banking and shopping"),
]


def seed_topics() -> int:
    """Add the default topics that are missing; never touch ones coordinators edited."""
    existing = set(db.session.scalars(select(Topic.key)))
    added = 0
    for position, (key, ca, es, en) in enumerate(DEFAULT_TOPICS, start=1):
        if key not in existing:
            db.session.add(Topic(key=key, name_texts={"ca": ca, "es": es, "en": en},
                                 position=position * 10, active=True))
            added += 1
    db.session.flush()
    return added
