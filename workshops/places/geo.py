"""Points on the map: distances for "near me", the city's bounds, and neighbourhood centres.

Distances are computed in Python (haversine) over the listing's filtered set, so ordering is
the same on SQLite and PostgreSQL without a spatial extension.
"""

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CENTRES_FILE = Path(__file__).parent / "data" / "neighbourhood_centres.csv"
EARTH_RADIUS_METRES = 6_371_000.0
# Barcelona's boundaries (Open Data BCN) span lat 41.317–41.468, lon 2.052–2.228; venues
# may sit a little outside (a library just across the municipal line).
CITY_LATITUDES = (41.30, 41.49)
CITY_LONGITUDES = (2.03, 2.25)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    @property
    def query_value(self) -> str:
        """How the point is written in `?near=`."""
        return f"{self.latitude:.5f},{self.longitude:.5f}"


class NotAPoint(ValueError):
    pass


def parse_pair(text: str) -> tuple[float, float]:
    """"41.38, 2.17" → (41.38, 2.17): two finite numbers separated by a comma, else
    NotAPoint."""
    parts = (text or "").split(",")
    if len(parts) != 2 or any(len(part) > 20 for part in parts):
        raise NotAPoint(text)
    try:
        first, second = (float(part) for part in parts)
    except ValueError:
        raise NotAPoint(text) from None
    if not (math.isfinite(first) and math.isfinite(second)):
        raise NotAPoint(text)
    return first, second


def parse_point(text: str) -> Point:
    """"41.38,2.17" → Point. Raises NotAPoint for anything else, out-of-range included."""
    latitude, longitude = parse_pair(text)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise NotAPoint(text)
    return Point(latitude, longitude)


def in_or_near_barcelona(point: Point) -> bool:
    return (CITY_LATITUDES[0] <= point.latitude <= CITY_LATITUDES[1]
            and CITY_LONGITUDES[0] <= point.longitude <= CITY_LONGITUDES[1])


def distance_metres(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))


@cache
def neighbourhood_centres() -> dict[int, Point]:
    """Neighbourhood code → a point inside it, from the file shipped with the portal."""
    with CENTRES_FILE.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        return {int(row["code"]): Point(float(row["latitude"]), float(row["longitude"]))
                for row in rows}


def neighbourhood_centre(code: int) -> Point | None:
    return neighbourhood_centres().get(code)
