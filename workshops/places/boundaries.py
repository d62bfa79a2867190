"""Import neighbourhood boundaries from Open Data BCN's barris GeoJSON.

The file is third-party data the user supplies (the project does not carry it). Each
feature's `BARRI` property is the neighbourhood code ("01" or 1). The outlines are
simplified (Douglas-Peucker, a few metres) and rounded, so a city map stays small.
An import replaces every boundary at once; the caller commits, so an error leaves the
previous boundaries as they were. A neighbourhood's feature whose shape cannot be drawn
(no geometry, a Point, a ring of fewer than 3 points, a coordinate that is not a number)
is an error that names the feature: nothing is imported.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, select

from workshops.extensions import db
from workshops.places.models import Neighbourhood, NeighbourhoodBoundary
from workshops.services import DomainError

CODE_PROPERTY = "BARRI"
# Below a pixel on any map of the whole city; shared borders still meet under the stroke.
SIMPLIFY_TOLERANCE_METRES = 8.0
DECIMALS = 5  # about one metre
METRES_PER_DEGREE_LATITUDE = 111_320.0
WGS84_NAMES = ("CRS84", "EPSG::4326", "EPSG:4326")


class FileImportError(DomainError):
    """Why an imported file was refused: its code picks one of `messages`, which `params`
    fill in; the error belongs to the form's file field."""

    messages: dict = {}

    def __init__(self, code: str, **params):
        super().__init__(code, field="file")
        self.params = params

    @property
    def message(self) -> str:
        return str(self.messages[self.code]) % self.params


class BoundaryError(FileImportError):
    """Why a file's boundaries were not imported (`path` is the file's path on the command
    line, the uploaded file's name on the web)."""

    messages = {
        "missing_file": _l("There is no file at %(path)s."),
        "unreadable": _l("The file %(path)s cannot be read."),
        "bad_json": _l("%(path)s is not a valid GeoJSON file (error on line %(line)s)."),
        "not_feature_collection": _l(
            "%(path)s is not a GeoJSON FeatureCollection of neighbourhoods."),
        "no_features": _l("%(path)s has no features: there is nothing to import."),
        "not_wgs84": _l("The coordinates in %(path)s are not longitude and latitude (WGS84). "
                        "Download the file in WGS84 (EPSG:4326)."),
        "not_seeded": _l("Load the neighbourhoods first: flask --app app seed"),
        "no_known_features": _l("No feature in %(path)s has the code of a Barcelona "
                                "neighbourhood in its BARRI property."),
        "shape_missing": _l("Feature %(number)s (code %(neighbourhood_code)s) in %(path)s has "
                            "no shape: its geometry is empty."),
        "shape_type": _l("Feature %(number)s (code %(neighbourhood_code)s) in %(path)s is a "
                         "%(shape)s: a neighbourhood must be a Polygon or a MultiPolygon."),
        "shape_no_coordinates": _l("The shape of feature %(number)s (code "
                                   "%(neighbourhood_code)s) in %(path)s has no coordinates."),
        "shape_bad_coordinate": _l("The shape of feature %(number)s (code "
                                   "%(neighbourhood_code)s) in %(path)s has a point that is not "
                                   "a pair of numbers: %(point)s."),
        "shape_too_few_points": _l("The shape of feature %(number)s (code "
                                   "%(neighbourhood_code)s) in %(path)s has a ring of fewer than "
                                   "3 different points."),
        "shape_too_small": _l("The shape of feature %(number)s (code %(neighbourhood_code)s) in "
                              "%(path)s is too small to draw on a map of the city."),
    }


@dataclass
class BoundaryImport:
    imported: int = 0
    replaced: int = 0
    unknown_codes: list[str] = field(default_factory=list)
    # Seeded neighbourhoods the file had no outline for (their names).
    missing: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        """What the import did, in sentences (the command prints them, the page shows them)."""
        lines = [ngettext("%(num)d neighbourhood boundary imported.",
                          "%(num)d neighbourhood boundaries imported.", self.imported)]
        if self.replaced:
            lines.append(ngettext("It replaces %(num)d boundary imported before.",
                                  "They replace %(num)d boundaries imported before.",
                                  self.replaced))
        if self.unknown_codes:
            lines.append(_("Skipped, no neighbourhood has this code: %(codes)s",
                           codes=", ".join(self.unknown_codes)))
        if self.missing:
            lines.append(_("Neighbourhoods still without a boundary: %(names)s",
                           names=", ".join(self.missing)))
        return lines


def import_boundaries(path: Path, *, now: datetime) -> BoundaryImport:
    """Replace all neighbourhood boundaries with those in the GeoJSON file at `path`."""
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise BoundaryError("missing_file", path=path) from None
    except OSError:
        raise BoundaryError("unreadable", path=path) from None
    return import_boundaries_from(raw, name=str(path), now=now)


def import_boundaries_from(raw: bytes, *, name: str, now: datetime) -> BoundaryImport:
    """Replace all neighbourhood boundaries with those in `raw`, a GeoJSON file's bytes;
    `name` names the file in the errors."""
    features = _read_features(raw, name)
    neighbourhoods = {n.code: n for n in db.session.scalars(select(Neighbourhood))}
    if not neighbourhoods:
        raise BoundaryError("not_seeded")

    result = BoundaryImport()
    polygons_by_code: dict[int, list] = {}
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        label = str(properties.get(CODE_PROPERTY, "?")).strip() or "?"
        code = _neighbourhood_code(properties.get(CODE_PROPERTY))
        if code not in neighbourhoods:
            result.unknown_codes.append(label)
            continue
        where = {"path": name, "number": number, "neighbourhood_code": label}
        polygons_by_code.setdefault(code, []).extend(_polygons(feature.get("geometry"), where))
    if not polygons_by_code:
        raise BoundaryError("no_known_features", path=name)

    result.replaced = db.session.scalar(
        select(func.count()).select_from(NeighbourhoodBoundary))
    db.session.execute(delete(NeighbourhoodBoundary))
    db.session.add_all(
        NeighbourhoodBoundary(neighbourhood_id=neighbourhoods[code].id, polygons=polygons,
                              imported_at=now)
        for code, polygons in polygons_by_code.items())
    db.session.flush()
    result.imported = len(polygons_by_code)
    result.missing = sorted(n.name for code, n in neighbourhoods.items()
                            if code not in polygons_by_code)
    return result


def _read_features(raw: bytes, path: str) -> list:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BoundaryError("bad_json", path=path, line=error.lineno) from None
    except (ValueError, RecursionError):  # not UTF-8, a number too long, nested too deep
        raise BoundaryError("bad_json", path=path, line=1) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise BoundaryError("not_feature_collection", path=path)
    crs = data.get("crs") or {}
    crs_properties = (crs.get("properties") or {}) if isinstance(crs, dict) else None
    crs_name = (str(crs_properties.get("name", "CRS84")) if isinstance(crs_properties, dict)
                else "")
    if not crs_name.upper().endswith(WGS84_NAMES):
        raise BoundaryError("not_wgs84", path=path)
    if not data["features"]:
        raise BoundaryError("no_features", path=path)
    return data["features"]


def _neighbourhood_code(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 10:
        return int(value.strip())
    return None


def _polygons(geometry, where: dict) -> list:
    """Simplified MultiPolygon coordinates; rings too small to draw at city scale are dropped.

    `where` names the feature (path, number, neighbourhood_code) in the errors raised when
    its shape cannot be drawn at all.
    """
    if not isinstance(geometry, dict) or not geometry.get("type"):
        raise BoundaryError("shape_missing", **where)
    kind = geometry.get("type")
    if kind == "Polygon":
        raw_polygons = [geometry.get("coordinates")]
    elif kind == "MultiPolygon":
        raw_polygons = geometry.get("coordinates")
    else:
        raise BoundaryError("shape_type", shape=_shown(kind), **where)
    if not isinstance(raw_polygons, list) or not raw_polygons or not all(
            isinstance(rings, list) and rings for rings in raw_polygons):
        raise BoundaryError("shape_no_coordinates", **where)
    polygons = []
    for raw_polygon in raw_polygons:
        rings = [_simplified_ring(_lon_lat_points(ring, where)) for ring in raw_polygon]
        if rings[0]:  # an exterior too small to draw takes its holes with it
            polygons.append([ring for ring in rings if ring])
    if not polygons:
        raise BoundaryError("shape_too_small", **where)
    return polygons


def _shown(value) -> str:
    """A value from the file, short enough for a message."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:39] + "…"


def _simplified_ring(points: list[tuple[float, float]]) -> list:
    if points[0] != points[-1]:
        points = [*points, points[0]]
    # Metres on a local plane: longitude shrinks with the cosine of the latitude.
    latitude = sum(lat for _lon, lat in points) / len(points)
    x_scale = METRES_PER_DEGREE_LATITUDE * math.cos(math.radians(latitude))
    plane = [(lon * x_scale, lat * METRES_PER_DEGREE_LATITUDE) for lon, lat in points]
    kept = _douglas_peucker_ring(plane, SIMPLIFY_TOLERANCE_METRES)
    simplified = []
    for index in kept:
        lon, lat = points[index]
        point = [round(lon, DECIMALS), round(lat, DECIMALS)]
        if not simplified or simplified[-1] != point:
            simplified.append(point)
    if not simplified:
        return []
    if simplified[0] != simplified[-1]:
        simplified.append(simplified[0])
    return simplified if len(simplified) >= 4 else []


def _lon_lat_points(ring, where: dict) -> list[tuple[float, float]]:
    """The ring's points, checked: pairs of finite numbers within WGS84's range, at least
    3 different ones."""
    if not isinstance(ring, list) or not ring:
        raise BoundaryError("shape_no_coordinates", **where)
    points = []
    for position in ring:
        if not (isinstance(position, list) and len(position) >= 2 and all(
                isinstance(number, int | float) and not isinstance(number, bool)
                and math.isfinite(number) for number in position[:2])):
            raise BoundaryError("shape_bad_coordinate", point=_shown(position), **where)
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise BoundaryError("not_wgs84", path=where["path"])
        points.append((lon, lat))
    if len(set(points)) < 3:
        raise BoundaryError("shape_too_few_points", **where)
    return points


def _douglas_peucker_ring(plane: list[tuple[float, float]], tolerance: float) -> list[int]:
    """Indexes of the points to keep in a closed ring (first point repeated at the end).

    A closed ring has no baseline, so it is cut at the point farthest from its start and
    each half is simplified on its own.
    """
    first = plane[0]
    farthest = max(range(len(plane)), key=lambda i: math.dist(first, plane[i]))
    if farthest in (0, len(plane) - 1):
        return []
    return (_douglas_peucker(plane, 0, farthest, tolerance)[:-1]
            + _douglas_peucker(plane, farthest, len(plane) - 1, tolerance))


def _douglas_peucker(plane, start: int, end: int, tolerance: float) -> list[int]:
    keep = {start, end}
    stack = [(start, end)]
    while stack:
        low, high = stack.pop()
        worst, worst_distance = None, tolerance
        for index in range(low + 1, high):
            distance = _distance_to_segment(plane[index], plane[low], plane[high])
            if distance > worst_distance:
                worst, worst_distance = index, distance
        if worst is not None:
            keep.add(worst)
            stack += [(low, worst), (worst, high)]
    return sorted(keep)


def _distance_to_segment(point, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    length_squared = dx * dx + dy * dy
    if length_squared == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length_squared))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))
