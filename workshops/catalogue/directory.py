"""Districts, neighbourhoods and topics as plain values, kept in each process.

Sign-up forms and the listing's filters offer all 10 districts and 73 neighbourhoods on
every page view; loading them from the database each time was a third of the workshop
page's cost. They change only by a coordinator's edit or an import, which raises the
catalogue's calendar version in the same commit (workshops.catalogue.version), so the copy
here is keyed by that version and is never older than the data.
"""

from dataclasses import dataclass
from functools import cached_property
from threading import Lock

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workshops.catalogue.version import calendar_version
from workshops.extensions import db


@dataclass(frozen=True)
class NeighbourhoodEntry:
    id: int
    code: int
    name: str


@dataclass(frozen=True)
class DistrictEntry:
    code: str
    name: str
    neighbourhoods: tuple[NeighbourhoodEntry, ...]


@dataclass(frozen=True)
class TopicEntry:
    key: str
    names: dict[str, str]

    def name(self, language: str) -> str:
        from workshops.i18n import localized

        return localized(self.names, language).text


@dataclass(frozen=True)
class Directory:
    version: int
    districts: tuple[DistrictEntry, ...]
    active_topics: tuple[TopicEntry, ...]

    @cached_property
    def neighbourhood_options(self) -> Markup:
        """Every neighbourhood as an <option> by code, in its district's <optgroup>."""
        return Markup("".join(  # noqa: S704  (every name is escaped)
            f'<optgroup label="{escape(d.name)}">'
            + "".join(f'<option value="{n.code}">{escape(n.name)}</option>'
                      for n in d.neighbourhoods)
            + "</optgroup>" for d in self.districts))


_lock = Lock()


def _load(version: int) -> Directory:
    from workshops.catalogue.models import Topic
    from workshops.places.models import District

    districts = db.session.scalars(
        select(District).options(selectinload(District.neighbourhoods)).order_by(District.code))
    topics = db.session.scalars(
        select(Topic).where(Topic.active.is_(True)).order_by(Topic.position, Topic.id))
    return Directory(
        version=version,
        districts=tuple(
            DistrictEntry(d.code, d.name, tuple(NeighbourhoodEntry(n.id, n.code, n.name)
                                                for n in d.neighbourhoods))
            for d in districts),
        active_topics=tuple(TopicEntry(t.key, dict(t.name_texts)) for t in topics),
    )


def directory() -> Directory:
    """The current districts (code order, each with its neighbourhoods) and active topics."""
    version = calendar_version()
    cached = current_app.extensions.get("place_directory")
    if cached is None or cached.version != version:
        with _lock:
            cached = current_app.extensions.get("place_directory")
            if cached is None or cached.version != version:
                cached = current_app.extensions["place_directory"] = _load(version)
    return cached
