"""Derive `data/neighbourhood_centres.csv` from Open Data BCN's barris GeoJSON (WGS84).

    python -m workshops.places.centres barris.geojson \
        > workshops/places/data/neighbourhood_centres.csv

Each neighbourhood's centre is the centroid of its largest polygon when that falls inside
it, else the middle of the widest stretch inside the polygon along the centroid's latitude,
so the point always lies inside the neighbourhood.
"""

import json
import sys
from pathlib import Path

HEADER = (
    "# Neighbourhood centres: a point inside each of Barcelona's 73 barris, derived by\n"
    "# workshops/places/centres.py from the barris boundaries of Open Data BCN\n"
    "# (Ajuntament de Barcelona - CartoBCN, CC BY 4.0). See workshops/places/data/SOURCES.md.\n"
)


def _area_and_centroid(ring):
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    area /= 2
    return abs(area), (cx / (6 * area), cy / (6 * area))


def _crossings(ring, y):
    xs = []
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y):
            xs.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    return sorted(xs)


def inside(ring, x, y) -> bool:
    return sum(1 for cx in _crossings(ring, y) if cx > x) % 2 == 1


def representative_point(polygons) -> tuple[float, float]:
    """(longitude, latitude) inside the largest of GeoJSON MultiPolygon `polygons`."""
    rings = [[tuple(p[:2]) for p in polygon[0]] for polygon in polygons]
    ring = max(rings, key=lambda r: _area_and_centroid(r)[0])
    x, y = _area_and_centroid(ring)[1]
    if inside(ring, x, y):
        return x, y
    xs = _crossings(ring, y)
    left, right = max(zip(xs[::2], xs[1::2], strict=True), key=lambda pair: pair[1] - pair[0])
    return (left + right) / 2, y


def centres_csv(geojson: dict) -> str:
    lines = [HEADER + "code,latitude,longitude"]
    rows = []
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        longitude, latitude = representative_point(polygons)
        rows.append((int(feature["properties"]["BARRI"]), latitude, longitude))
    lines += [f"{code},{lat:.5f},{lon:.5f}" for code, lat, lon in sorted(rows)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(centres_csv(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
