"""The reply to TALLERS / TALLERES / WORKSHOPS: workshops a resident can join now, each with
its code, a title she recognises (shortened between words, never inside one) and its next
date in her language, within two segments, and where to find the others."""

from datetime import datetime
from urllib.parse import urlencode

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from workshops.catalogue.queries import ListingFilters, upcoming_workshops
from workshops.keywords import keyword
from workshops.notifications import texts
from workshops.notifications.segments import MAX_SEGMENTS, segments
from workshops.places.models import District, Neighbourhood

MAX_LISTED = 3
# Longest title first; shorter ones only when the reply would not fit otherwise.
TITLE_LENGTHS = (60, 40, 28, 20, 14)
# Words a shortened title should not end on ("Cita prèvia i…" reads better as "Cita prèvia…").
DANGLING_WORDS = {"a", "al", "amb", "and", "con", "d", "de", "del", "dels", "el", "els", "en",
                  "for", "i", "l", "la", "las", "les", "los", "o", "of", "on", "or", "per",
                  "para", "por", "the", "to", "un", "una", "with", "y"}


def short_title(title: str, max_chars: int) -> str:
    """`title` cut after a whole word so it fits in `max_chars` with "…"; the first word
    is always kept whole, however long."""
    if len(title) <= max_chars:
        return title
    words = title.split()
    kept = [words[0]]
    for word in words[1:]:
        if len(" ".join([*kept, word])) + 1 > max_chars:
            break
        kept.append(word)
    if len(kept) == len(words):
        return title
    while len(kept) > 1 and _dangles(kept[-1]):
        kept.pop()
    return " ".join(kept).rstrip(",.;:-–") + "…"


def _dangles(word: str) -> bool:
    return word.lower().split("'")[0].strip(",.;:") in DANGLING_WORDS


def open_workshops_reply(area: Neighbourhood | District | None, language: str,
                         now: datetime) -> str:
    filters = ListingFilters(free_seats=True)
    if isinstance(area, District):
        filters.district = area.code
    elif isinstance(area, Neighbourhood):
        filters.neighbourhood = area.code
    found = upcoming_workshops(filters, now=now, per_page=MAX_LISTED)
    place = area.name if area is not None else "Barcelona"
    if not found.workshops:
        return texts.render(language, lambda: _(
            "no workshops with free places in %(area)s right now. Send %(keyword)s for the "
            "whole city."), shrink=("area",), area=place, keyword=keyword("find", language))
    more_link = _listing_address(filters)
    reply = ""
    for count in range(len(found.workshops), 0, -1):
        for length in TITLE_LENGTHS:
            reply = _reply(found.workshops[:count], found.total, place, more_link,
                           language, now, length)
            if segments(reply) <= MAX_SEGMENTS:
                return reply
    return reply


def _reply(workshops, total, place, more_link, language, now, title_length) -> str:
    with force_locale(language):
        listed = "; ".join(
            f"{w.public_code} {short_title(w.title(language).text, title_length)} "
            f"({texts.when(w.upcoming_sessions(now)[0].starts_at)})" for w in workshops)
        others = total - len(workshops)
        more = (ngettext("%(num)s more at %(link)s", "%(num)s more at %(link)s", others,
                         link=more_link) if others else "")
    if more:
        return texts.render(language, lambda: _(
            "workshops in %(area)s: %(list)s. To sign up send %(keyword)s and the code. "
            "%(more)s"), shrink=("area",), area=place, list=listed,
            keyword=keyword("register", language), more=more)
    return texts.render(language, lambda: _(
        "workshops in %(area)s: %(list)s. To sign up send %(keyword)s and the code."),
        shrink=("area",), area=place, list=listed, keyword=keyword("register", language))


def _listing_address(filters: ListingFilters) -> str:
    """The web listing of the same workshops (public URL contract: /workshops)."""
    area = ({"neighbourhood": filters.neighbourhood} if filters.neighbourhood else
            {"district": filters.district} if filters.district else {})
    return (f"{current_app.config['PUBLIC_BASE_URL']}/workshops?"
            f"{urlencode(area | {'free_seats': 'y'})}")
