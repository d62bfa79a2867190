"""Choropleth maps of Barcelona's neighbourhoods as inline SVG.

Values are split into up to five classes (quantiles), coloured with a colour-blind-safe
sequential palette (ColorBrewer YlGnBu, the five lightest of six). Every fill keeps at
least 3:1 contrast with the dark borders and the legend's swatch outlines (WCAG 1.4.11),
so neighbourhoods stay apart whatever their class. Neighbourhoods without a value are
hatched. The legend is text in the map and again in its description, which screen
readers read with the title (the map is one image for them).
No `style` attributes: the site's Content-Security-Policy forbids inline styles.
"""

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape
from sqlalchemy import exists, select

from workshops.extensions import db
from workshops.places.models import Neighbourhood, NeighbourhoodBoundary

PALETTE = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8")
BORDER = "#1a1a1a"
NO_DATA_BACKGROUND = "#ffffff"
NO_DATA_HATCH = "#595959"
TEXT = "#1a1a1a"
MAP_WIDTH = 1000  # viewBox units; one unit is about 12 m across Barcelona
MARGIN = 8
FONT_SIZE = 28
LEGEND_ROW = 44
SWATCH = 30

Value = int | float | None


@dataclass
class ValueClass:
    low: float
    high: float
    colour: str
    count: int


def boundaries_imported() -> bool:
    return bool(db.session.scalar(select(exists().select_from(NeighbourhoodBoundary))))


def choropleth_svg(values: Mapping[int, Value], *, title: str, description: str,
                   formatter: Callable[[float], str], id_prefix: str | None = None
                   ) -> Markup | None:
    """The map of `values` (keyed by neighbourhood id), or None without boundaries.

    Neighbourhoods missing from `values`, or with None, show as "no data".
    `id_prefix` keeps element ids unique when a page shows several maps; by default it
    comes from the title and description.
    """
    rows = db.session.execute(
        select(Neighbourhood.id, Neighbourhood.name, NeighbourhoodBoundary.polygons)
        .join(NeighbourhoodBoundary, NeighbourhoodBoundary.neighbourhood_id == Neighbourhood.id)
        .order_by(Neighbourhood.code)).all()
    if not rows:
        return None
    prefix = id_prefix or "map-" + hashlib.sha256(
        f"{title}\n{description}".encode()).hexdigest()[:8]
    project, map_height = _projection([polygons for _id, _name, polygons in rows])
    classes = _classes([v for v in values.values() if v is not None])
    has_no_data = any(values.get(neighbourhood_id) is None for neighbourhood_id, *_rest in rows)

    shapes = []
    for neighbourhood_id, name, polygons in rows:
        value = values.get(neighbourhood_id)
        if value is None:
            fill = f"url(#{prefix}-no-data)"
            label = _("%(name)s: no data", name=name)
        else:
            fill = _class_of(value, classes).colour
            label = _("%(name)s: %(value)s", name=name, value=formatter(value))
        shapes.append(f'<path d="{_path_data(polygons, project)}" fill="{fill}">'
                      f"<title>{escape(label)}</title></path>")

    legend_rows = [(c.colour, _range_text(c, formatter)) for c in classes]
    if has_no_data:
        legend_rows.append((f"url(#{prefix}-no-data)", _("No data")))
    legend_width = SWATCH + 16 + max(len(text) for _fill, text in legend_rows) * FONT_SIZE * 0.6
    legend_height = len(legend_rows) * LEGEND_ROW
    legend_x = MAP_WIDTH - MARGIN - legend_width
    legend_y = map_height - MARGIN - legend_height
    if _covers_a_neighbourhood(rows, project, legend_x, legend_y, legend_width, legend_height):
        legend_x, legend_y = MARGIN, map_height + MARGIN  # below the map instead
        height = map_height + legend_height + 2 * MARGIN
    else:
        height = map_height
    legend = []
    for row, (fill, text) in enumerate(legend_rows):
        y = legend_y + row * LEGEND_ROW
        legend.append(
            f'<rect x="{legend_x:.0f}" y="{y:.0f}" width="{SWATCH}" height="{SWATCH}" '
            f'fill="{fill}" stroke="{BORDER}" stroke-width="2"/>'
            f'<text x="{legend_x + SWATCH + 12:.0f}" y="{y + SWATCH / 2:.0f}" '
            f'dominant-baseline="central">{escape(text)}</text>')

    full_description = " ".join(
        part for part in (description, _legend_sentence(classes, formatter),
                          _no_data_sentence(values, rows)) if part)
    # Every text from outside (names, title, values, legend) is escaped above.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="choropleth" '
        f'viewBox="0 0 {MAP_WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(full_description)}</desc>'
        f'<defs><pattern id="{prefix}-no-data" width="8" height="8" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{NO_DATA_BACKGROUND}"/>'
        f'<path d="M0 0v8" stroke="{NO_DATA_HATCH}" stroke-width="3"/></pattern></defs>'
        f'<g stroke="{BORDER}" stroke-width="1.5" stroke-linejoin="round" fill-rule="evenodd" '
        f'vector-effect="non-scaling-stroke">{"".join(shapes)}</g>'
        f'<g class="choropleth-legend" font-size="{FONT_SIZE}" fill="{TEXT}">'
        f'{"".join(legend)}</g></svg>'
    )


def _projection(all_polygons: list) -> tuple[Callable[[float, float], tuple[int, int]], int]:
    """Equirectangular, longitude scaled by the cosine of the middle latitude."""
    lons, lats = [], []
    for polygons in all_polygons:
        for polygon in polygons:
            for lon, lat in polygon[0]:
                lons.append(lon)
                lats.append(lat)
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    x_factor = math.cos(math.radians((south + north) / 2))
    scale = (MAP_WIDTH - 2 * MARGIN) / max((east - west) * x_factor, 1e-9)

    def project(lon: float, lat: float) -> tuple[int, int]:
        return (round(MARGIN + (lon - west) * x_factor * scale),
                round(MARGIN + (north - lat) * scale))

    return project, round(2 * MARGIN + (north - south) * scale)


def _path_data(polygons: list, project) -> str:
    """Absolute start, then relative integer steps: the shortest path text."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = [project(lon, lat) for lon, lat in ring[:-1]]
            x, y = points[0]
            steps = []
            for px, py in points[1:]:
                if (px, py) != (x, y):
                    steps.append(f"{px - x} {py - y}")
                    x, y = px, py
            parts.append(f"M{points[0][0]} {points[0][1]}l{' '.join(steps)}z")
    return "".join(parts).replace(" -", "-")


def _classes(values: list[float]) -> list[ValueClass]:
    """Up to five quantile classes; equal values always share a class."""
    if not values:
        return []
    ordered = sorted(values)
    distinct = sorted(set(ordered))
    if len(distinct) <= len(PALETTE):
        groups = [[v for v in ordered if v == d] for d in distinct]
    else:
        count = len(ordered)
        breaks = [ordered[math.ceil(k * count / len(PALETTE)) - 1]
                  for k in range(1, len(PALETTE))]
        groups = [[] for _ in PALETTE]
        for value in ordered:
            groups[sum(1 for b in breaks if value > b)].append(value)
        groups = [group for group in groups if group]
    if len(groups) == 1:
        colours = [PALETTE[len(PALETTE) // 2]]
    else:  # fewer classes than colours: spread them over the palette
        colours = [PALETTE[round(i * (len(PALETTE) - 1) / (len(groups) - 1))]
                   for i in range(len(groups))]
    return [ValueClass(group[0], group[-1], colour, len(group))
            for group, colour in zip(groups, colours, strict=True)]


def _class_of(value: float, classes: list[ValueClass]) -> ValueClass:
    return next(c for c in classes if value <= c.high)


def _range_text(value_class: ValueClass, formatter) -> str:
    low, high = formatter(value_class.low), formatter(value_class.high)
    if low == high:  # one value, or two the formatter rounds alike
        return low
    return _("%(low)s to %(high)s", low=low, high=high)


def _legend_sentence(classes: list[ValueClass], formatter) -> str:
    if not classes:
        return ""
    parts = [ngettext("%(range)s: %(num)d neighbourhood", "%(range)s: %(num)d neighbourhoods",
                      c.count, range=_range_text(c, formatter)) for c in classes]
    return _("Colours from lightest to darkest: %(classes)s.", classes="; ".join(parts))


def _no_data_sentence(values: Mapping[int, Value], rows) -> str:
    missing = sum(1 for neighbourhood_id, *_rest in rows if values.get(neighbourhood_id) is None)
    if not missing:
        return ""
    return ngettext("%(num)d neighbourhood has no data (hatched).",
                    "%(num)d neighbourhoods have no data (hatched).", missing)


def _covers_a_neighbourhood(rows, project, x: float, y: float, width: float,
                            height: float) -> bool:
    for _id, _name, polygons in rows:
        for polygon in polygons:
            for lon, lat in polygon[0]:
                px, py = project(lon, lat)
                if x - MARGIN <= px <= x + width + MARGIN and y - MARGIN <= py <= y + height:
                    return True
    return False
