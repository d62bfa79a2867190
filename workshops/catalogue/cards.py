"""Workshop cards (the listing, the home page) kept as HTML in each process.

A card shows its workshop, venue, neighbourhood and topic, the seats left and where the
clock stands (next session, whether sign-up is open). So a kept card is keyed by the
catalogue's calendar version (raised by every change to any of those but seats), the
workshop's seats taken, the language, how it is shown (heading level, distance) and the
current minute: never older than the data, and a sign-up re-renders only its own card.
A listing or home page never seen before then costs two small queries and the cards that
changed, instead of loading and rendering twenty workshops.
"""

from time import time

from flask import current_app, get_template_attribute
from markupsafe import Markup

from workshops.catalogue.queries import WorkshopRef, workshops_with_everything
from workshops.catalogue.version import calendar_version
from workshops.pagecache import BUCKET_SECONDS, PageCache

# About 1.5 kB a card: every upcoming workshop in two languages, give or take.
MAX_BYTES = 4 * 1024 * 1024


def _cache() -> PageCache:
    return current_app.extensions.setdefault("card_cache", PageCache(max_bytes=MAX_BYTES))


def cards(refs: list[WorkshopRef], lang: str, now, *, heading: str = "h3",
          distances: dict[int, float] | None = None) -> list[Markup]:
    """Each workshop's card, in the order of `refs`."""
    distances = distances or {}
    version, minute = calendar_version(), int(time() // BUCKET_SECONDS)
    keys = [(ref.id, ref.seats_taken, lang, heading, distances.get(ref.id), version, minute)
            for ref in refs]
    found = [_cache().get(key) for key in keys]
    missing = [ref.id for ref, card in zip(refs, found, strict=True) if card is None]
    if missing:
        workshop_card = get_template_attribute("catalogue/_workshop.html", "workshop_card")
        workshops = workshops_with_everything(missing)
        for index, (ref, key) in enumerate(zip(refs, keys, strict=True)):
            workshop = workshops.get(ref.id)
            if found[index] is None and workshop is not None:
                found[index] = workshop_card(workshop, lang, now, heading=heading,
                                             distance=distances.get(ref.id))
                if workshop.seats_taken == ref.seats_taken:
                    _cache().put(key, found[index])
    return [card for card in found if card is not None]
