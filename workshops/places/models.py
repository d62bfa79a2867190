from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.db_types import TranslatedText, UTCDateTime
from workshops.extensions import db
from workshops.i18n import localized
from workshops.places.geo import Point


class District(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    population: Mapped[int] = mapped_column(Integer)
    population_year: Mapped[int] = mapped_column(Integer)
    income_index: Mapped[float] = mapped_column(Numeric(6, 1, asdecimal=False))
    income_year: Mapped[int] = mapped_column(Integer)

    neighbourhoods: Mapped[list["Neighbourhood"]] = relationship(
        back_populates="district", order_by="Neighbourhood.code"
    )

    def __repr__(self) -> str:
        return f"<District {self.code} {self.name}>"


class Neighbourhood(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    population: Mapped[int] = mapped_column(Integer)
    population_year: Mapped[int] = mapped_column(Integer)
    income_index: Mapped[float] = mapped_column(Numeric(6, 1, asdecimal=False))
    income_year: Mapped[int] = mapped_column(Integer)
    # Where the programme should go first. Seeded from the income index; coordinators own it after.
    priority: Mapped[bool] = mapped_column(Boolean, default=False)

    district: Mapped[District] = relationship(back_populates="neighbourhoods")
    venues: Mapped[list["Venue"]] = relationship(back_populates="neighbourhood")

    def __repr__(self) -> str:
        return f"<Neighbourhood {self.code} {self.name}>"


class Venue(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    directions_texts: Mapped[dict[str, str]] = mapped_column(TranslatedText, default=dict)
    step_free_access: Mapped[bool] = mapped_column(Boolean, default=False)
    accessible_toilet: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_loop: Mapped[bool] = mapped_column(Boolean, default=False)
    childcare: Mapped[bool] = mapped_column(Boolean, default=False)
    devices_lent: Mapped[bool] = mapped_column(Boolean, default=False)
    free_wifi: Mapped[bool] = mapped_column(Boolean, default=False)
    # WGS84, set by organisers; venues without them sort last in "near me".
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="venues")

    @property
    def point(self) -> Point | None:
        if self.latitude is None or self.longitude is None:
            return None
        return Point(self.latitude, self.longitude)

    def directions(self, language: str):
        """Directions in `language`, else in another (see `localized`)."""
        return localized(self.directions_texts, language)

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name}>"


class NeighbourhoodBoundary(db.Model):
    """A neighbourhood's outline for maps, imported from a file the user supplies.

    `polygons` holds GeoJSON MultiPolygon coordinates (longitude, latitude in WGS84),
    already simplified and rounded so that a whole city map stays small.
    """

    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="CASCADE"), primary_key=True)
    polygons: Mapped[list] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    neighbourhood: Mapped[Neighbourhood] = relationship()


class NeedIndicator(db.Model):
    """How much a neighbourhood needs the programme, by one measure (`indicators.INDICATORS`):
    its latest value, the year it describes and where it comes from. Seeded from the
    project's sources; admins replace them by uploading a CSV (`indicators`)."""

    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="CASCADE"), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Numeric(7, 1, asdecimal=False))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
