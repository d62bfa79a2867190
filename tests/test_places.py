import io
import json
import math
import os
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import csrf_fields_from, post_form
from tests.factories import make_venue
from workshops.accounts.models import Role
from workshops.config import PROJECT_ROOT
from workshops.demo import DEMO_VENUES, HISTORY_VENUES
from workshops.extensions import db
from workshops.places.boundaries import BoundaryError, import_boundaries
from workshops.places.centres import centres_csv, inside, representative_point
from workshops.places.geo import CENTRES_FILE, Point, in_or_near_barcelona, neighbourhood_centres
from workshops.places.map import (
    BORDER,
    NO_DATA_BACKGROUND,
    PALETTE,
    boundaries_imported,
    choropleth_svg,
)
from workshops.places.models import (
    District,
    NeedIndicator,
    Neighbourhood,
    NeighbourhoodBoundary,
    Venue,
)
from workshops.places.seed import SEED_FILE, seed_places

EXPECTED_PER_DISTRICT = {"01": 4, "02": 6, "03": 8, "04": 3, "05": 6,
                         "06": 5, "07": 11, "08": 13, "09": 7, "10": 10}


def neighbourhoods_per_district():
    rows = db.session.execute(
        select(District.code, func.count(Neighbourhood.id)).join(Neighbourhood).group_by(
            District.code)
    )
    return dict(rows.all())


def test_seed_loads_ten_districts_and_73_neighbourhoods(seeded):
    assert db.session.scalar(select(func.count()).select_from(District)) == 10
    assert db.session.scalar(select(func.count()).select_from(Neighbourhood)) == 73
    assert neighbourhoods_per_district() == EXPECTED_PER_DISTRICT


def test_seed_file_names_its_sources():
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    assert {source["id"] for source in data["sources"]} >= {"S1", "S3", "S5", "S6"}
    assert Counter(n["district"] for n in data["neighbourhoods"]) == EXPECTED_PER_DISTRICT


def test_seeded_figures_match_the_sources(seeded):
    trinitat_nova = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 53))
    assert trinitat_nova.name == "la Trinitat Nova"
    assert trinitat_nova.district.name == "Nou Barris"
    assert (trinitat_nova.population, trinitat_nova.population_year) == (7726, 2024)
    assert (trinitat_nova.income_index, trinitat_nova.income_year) == (34.7, 2014)
    total = db.session.scalar(select(func.sum(District.population)))
    assert total == 1_702_814


def test_priority_is_seeded_where_income_index_is_below_80(seeded):
    neighbourhoods = db.session.scalars(select(Neighbourhood)).all()
    assert all(n.priority == (n.income_index < 80) for n in neighbourhoods)
    assert sum(n.priority for n in neighbourhoods) == 34


def test_a_second_seed_changes_nothing(seeded):
    before = [(n.id, n.name, n.population, n.priority)
              for n in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.code))]
    result = seed_places()
    db.session.commit()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 83)
    after = [(n.id, n.name, n.population, n.priority)
             for n in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.code))]
    assert after == before


def test_a_changed_figure_is_updated_not_duplicated(seeded, tmp_path):
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    raval = next(n for n in data["neighbourhoods"] if n["code"] == 1)
    raval["population"] = 47_500
    raval["population_year"] = 2025
    changed_file = tmp_path / "barcelona.json"
    changed_file.write_text(json.dumps(data), encoding="utf-8")

    result = seed_places(changed_file)
    db.session.commit()

    assert (result.created, result.updated) == (0, 1)
    ravals = db.session.scalars(select(Neighbourhood).where(Neighbourhood.code == 1)).all()
    assert [(n.population, n.population_year) for n in ravals] == [(47_500, 2025)]


def test_reseeding_keeps_the_coordinators_priority_choice(seeded):
    les_corts = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 19))
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    les_corts.priority, raval.priority = True, False
    db.session.commit()
    seed_places()
    db.session.commit()
    db.session.refresh(les_corts)
    db.session.refresh(raval)
    assert (les_corts.priority, raval.priority) == (True, False)


def test_seed_command_reports_what_it_did(runner, app_context):
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == 0
    assert "83 created" in first.output
    assert "0 created, 0 updated, 83 unchanged" in second.output


def test_venue_directions_fall_back_from_the_requested_language(app_context):
    venue = make_venue(directions_texts={"ca": "Metro L4 Trinitat Nova"})
    english = venue.directions("en")
    assert (english.text, english.language, english.fell_back) == (
        "Metro L4 Trinitat Nova", "ca", True)
    venue.directions_texts["es"] = "Metro L4, salida Pedraforca"
    spanish = venue.directions("es")
    assert (spanish.text, spanish.fell_back) == ("Metro L4, salida Pedraforca", False)


def test_coordinators_see_and_change_neighbourhood_priority(client, auth, seeded):
    auth.login_as(Role.COORDINATOR)
    page = client.get("/staff/neighbourhoods")
    assert page.status_code == 200
    assert "la Trinitat Nova" in page.get_data(as_text=True)

    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    response = post_form(client, "/staff/neighbourhoods",
                         f"/staff/neighbourhoods/{raval.id}/priority", priority="0")
    assert response.status_code == 302
    db.session.refresh(raval)
    assert raval.priority is False


def test_priority_change_without_csrf_token_is_refused(client, auth, seeded):
    auth.login_as(Role.COORDINATOR)
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    response = client.post(f"/staff/neighbourhoods/{raval.id}/priority", data={"priority": "0"})
    assert response.status_code == 400
    db.session.refresh(raval)
    assert raval.priority is True


# Boundaries are third-party data the project does not carry: the team's copy is read
# from ../shared/data (Open Data BCN's barris, WGS84), or from BOUNDARIES_GEOJSON. Tests
# about the real outlines need it; the others fall back to a made-up grid of squares, one
# per seeded neighbourhood, so they run wherever the project is checked out.
REAL_BARRIS = Path(os.environ.get(
    "BOUNDARIES_GEOJSON", PROJECT_ROOT.parent / "shared" / "data" / "barcelona_barris.geojson"))
needs_barris = pytest.mark.skipif(not REAL_BARRIS.exists(),
                                  reason=f"no boundaries file at {REAL_BARRIS}")


def _grid_of_squares() -> dict:
    seed = json.loads((PROJECT_ROOT / "workshops" / "places" / "data" / "barcelona.json")
                      .read_text(encoding="utf-8"))
    features = []
    for n in sorted(seed["neighbourhoods"], key=lambda n: n["code"]):
        row, column = divmod(n["code"] - 1, 9)
        west, south = 2.10 + column * 0.012, 41.35 + row * 0.012
        ring = [[west, south], [west + 0.01, south], [west + 0.01, south + 0.01],
                [west, south + 0.01], [west, south]]
        features.append({"type": "Feature", "properties": {"BARRI": f"{n['code']:02d}"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture(scope="session")
def barris_path(tmp_path_factory) -> Path:
    if REAL_BARRIS.exists():
        return REAL_BARRIS
    path = tmp_path_factory.mktemp("boundaries") / "grid.geojson"
    path.write_text(json.dumps(_grid_of_squares()), encoding="utf-8")
    return path
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def write_geojson(tmp_path, features, **extra):
    path = tmp_path / "barris.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features, **extra}),
                    encoding="utf-8")
    return path


def barris_features(path: Path = REAL_BARRIS):
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def boundary_count():
    return db.session.scalar(select(func.count()).select_from(NeighbourhoodBoundary))


def area_in_square_metres(ring):
    latitude = math.radians(sum(lat for _lon, lat in ring) / len(ring))
    points = [(lon * 111_320 * math.cos(latitude), lat * 111_320) for lon, lat in ring]
    return abs(sum(x1 * y2 - x2 * y1
                   for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False))) / 2


@pytest.fixture
def imported(seeded, barris_path):
    result = import_boundaries(barris_path, now=NOW)
    db.session.commit()
    return result


@needs_barris
def test_importing_open_data_bcn_barris_stores_all_73_simplified_outlines(runner, seeded):
    result = runner.invoke(args=["places", "import-boundaries", str(REAL_BARRIS),
                                 "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "73 neighbourhood boundaries imported." in result.output
    assert "without a boundary" not in result.output
    stored = db.session.scalars(select(NeighbourhoodBoundary)).all()
    assert len(stored) == 73
    source_points = sum(len(ring) for feature in barris_features()
                        for ring in _rings(feature["geometry"]))
    kept_points = sum(len(ring) for row in stored for polygon in row.polygons
                      for ring in polygon)
    assert kept_points < source_points / 5


@needs_barris
def test_simplified_outlines_keep_each_neighbourhoods_area(imported):
    by_code = {n.code: n.id for n in db.session.scalars(select(Neighbourhood))}
    stored = {row.neighbourhood_id: row.polygons
              for row in db.session.scalars(select(NeighbourhoodBoundary))}
    for feature in barris_features():
        polygons = stored[by_code[int(feature["properties"]["BARRI"])]]
        area = sum(area_in_square_metres(polygon[0]) - sum(
            area_in_square_metres(hole) for hole in polygon[1:]) for polygon in polygons)
        assert area == pytest.approx(feature["properties"]["AREA"], rel=0.02), \
            feature["properties"]["NOM"]


def test_importing_again_replaces_the_boundaries(runner, imported, barris_path):
    trinitat_nova = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 53))
    old_polygons = db.session.get(NeighbourhoodBoundary, trinitat_nova.id).polygons
    result = runner.invoke(args=["places", "import-boundaries", str(barris_path),
                                 "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "They replace 73 boundaries imported before." in result.output
    assert boundary_count() == 73
    db.session.expire_all()
    assert db.session.get(NeighbourhoodBoundary, trinitat_nova.id).polygons == old_polygons


def test_numeric_codes_are_read_and_unknown_codes_are_skipped_and_reported(
        runner, seeded, tmp_path, barris_path):
    raval, gotic, other = barris_features(barris_path)[:3]
    raval["properties"]["BARRI"] = 1
    other["properties"]["BARRI"] = "99"
    path = write_geojson(tmp_path, [raval, gotic, other, {"type": "Feature", "properties": {},
                                                          "geometry": raval["geometry"]}])
    result = runner.invoke(args=["places", "import-boundaries", str(path), "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "2 neighbourhood boundaries imported." in result.output
    assert "Skipped, no neighbourhood has this code: 99, ?" in result.output
    assert "Neighbourhoods still without a boundary:" in result.output
    assert "la Trinitat Nova" in result.output
    assert boundary_count() == 2


def test_a_failed_import_keeps_the_previous_boundaries(runner, imported, tmp_path,
                                                       barris_path):
    utm = barris_features(barris_path)[0]
    utm["geometry"] = {"type": "Polygon", "coordinates": [
        [[430000.0, 4581000.0], [431000.0, 4581000.0], [431000.0, 4582000.0],
         [430000.0, 4581000.0]]]}
    path = write_geojson(tmp_path, [barris_features(barris_path)[1], utm])
    result = runner.invoke(args=["places", "import-boundaries", str(path), "--language", "en"])
    assert result.exit_code == 1
    assert "not longitude and latitude (WGS84)" in result.output
    assert boundary_count() == 73


@pytest.mark.parametrize(("content", "language", "message"), [
    (None, "en", "There is no file at"),
    (None, "ca", "No hi ha cap fitxer a"),
    (None, "es", "No hay ningún archivo en"),
    ('{"type": "FeatureCollection", "features": [', "en", "is not a valid GeoJSON file"),
    ("\xff\xfe", "en", "is not a valid GeoJSON file"),
    ('{"type": "Feature"}', "en", "is not a GeoJSON FeatureCollection"),
    ('{"type": "FeatureCollection", "features": []}', "en", "has no features"),
    ('{"type": "FeatureCollection", "features": [], "crs": {"type": "name", "properties": '
     '{"name": "urn:ogc:def:crs:EPSG::25831"}}}', "en", "are not longitude and latitude"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
     '{"BARRI": "99"}, "geometry": null}]}', "en", "No feature in"),
])
def test_import_explains_what_is_wrong_with_the_file(runner, seeded, tmp_path, content,
                                                     language, message):
    path = tmp_path / "barris.geojson"
    if content is not None:
        path.write_text(content, encoding="latin-1")
    result = runner.invoke(args=["places", "import-boundaries", str(path),
                                 "--language", language])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert boundary_count() == 0


SQUARE = [[2.17, 41.38], [2.18, 41.38], [2.18, 41.39], [2.17, 41.39], [2.17, 41.38]]


@pytest.mark.parametrize(("geometry", "message"), [
    (None, "Feature 2 (code 02) in {path} has no shape"),
    ({"type": "Point", "coordinates": [2.17, 41.38]},
     "Feature 2 (code 02) in {path} is a Point: a neighbourhood must be a Polygon"),
    ({"type": "Polygon", "coordinates": []},
     "The shape of feature 2 (code 02) in {path} has no coordinates."),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], []]},
     "The shape of feature 2 (code 02) in {path} has no coordinates."),
    ({"type": "Polygon", "coordinates": [[[2.17, 41.38], [2.18, 41.38], [2.17, 41.38]]]},
     "The shape of feature 2 (code 02) in {path} has a ring of fewer than 3 different points."),
    ({"type": "Polygon", "coordinates": [[[2.17, 41.38], [math.nan, 41.38], *SQUARE[2:]]]},
     "The shape of feature 2 (code 02) in {path} has a point that is not a pair of numbers: "
     "[NaN, 41.38]."),
    ({"type": "Polygon", "coordinates": [[[2.17, 41.38], ["2.18", 41.38], *SQUARE[2:]]]},
     "has a point that is not a pair of numbers: [\"2.18\", 41.38]."),
    ({"type": "Polygon", "coordinates": [[[2.17, 41.38], [2.17], *SQUARE[2:]]]},
     "has a point that is not a pair of numbers: [2.17]."),
    ({"type": "Polygon", "coordinates": [[[2.17, 41.38], [2.17002, 41.38], [2.17002, 41.38002],
                                          [2.17, 41.38002], [2.17, 41.38]]]},
     "The shape of feature 2 (code 02) in {path} is too small to draw on a map of the city."),
])
def test_a_neighbourhood_shape_that_cannot_be_drawn_is_named_and_nothing_is_imported(
        runner, seeded, tmp_path, geometry, message):
    good = {"type": "Feature", "properties": {"BARRI": "01"},
            "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    bad = {"type": "Feature", "properties": {"BARRI": "02"}, "geometry": geometry}
    path = write_geojson(tmp_path, [good, bad])
    result = runner.invoke(args=["places", "import-boundaries", str(path), "--language", "en"])
    assert result.exit_code == 1
    assert message.format(path=path) in result.output
    assert "Traceback" not in result.output
    assert boundary_count() == 0


def test_the_only_feature_being_a_point_is_not_called_an_unknown_neighbourhood(
        runner, seeded, tmp_path):
    point = {"type": "Feature", "properties": {"BARRI": "53"},
             "geometry": {"type": "Point", "coordinates": [2.18, 41.45]}}
    path = write_geojson(tmp_path, [point])
    result = runner.invoke(args=["places", "import-boundaries", str(path), "--language", "en"])
    assert result.exit_code == 1
    assert "Feature 1 (code 53)" in result.output and "is a Point" in result.output
    assert "No feature in" not in result.output
    assert boundary_count() == 0


def test_import_needs_the_neighbourhoods_first(app_context, barris_path):
    with pytest.raises(BoundaryError) as error:
        import_boundaries(barris_path, now=NOW)
    assert error.value.code == "not_seeded"


def test_without_boundaries_there_is_no_map(seeded):
    assert boundaries_imported() is False
    assert choropleth_svg({}, title="Reach", description="", formatter=str) is None


def test_the_map_is_small_accessible_svg_with_a_legend_and_a_title_per_neighbourhood(
        imported):
    neighbourhoods = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.code)).all()
    values = {n.id: n.code * 1.5 for n in neighbourhoods if n.code != 53}
    with force_locale("en"):
        svg = choropleth_svg(values, title="People reached per 1,000 residents",
                             description="Last six months.", formatter=lambda v: f"{v:.1f}")
    size = len(svg.encode())
    print(f"choropleth SVG for 73 neighbourhoods: {size} bytes")
    assert size < 40_000
    assert " style=" not in svg

    root = ET.fromstring(str(svg))  # noqa: S314  (our own output)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "People reached per 1,000 residents"
    description = root.find(f"{SVG}desc")
    assert description.get("id") == desc_id
    assert description.text.startswith("Last six months. Colours from lightest to darkest: "
                                       "1.5 to 22.5: 15 neighbourhoods;")
    assert description.text.endswith("1 neighbourhood has no data (hatched).")

    shapes = root.findall(f"{SVG}g/{SVG}path")
    assert len(shapes) == 73
    titles = [shape.find(f"{SVG}title").text for shape in shapes]
    assert titles[0] == "el Raval: 1.5"
    assert "la Trinitat Nova: no data" in titles
    fills = Counter(shape.get("fill") for shape in shapes)
    assert set(fills) - set(PALETTE) == {f"url(#{root.find(f'{SVG}defs/{SVG}pattern').get('id')})"}
    assert sorted(fills[colour] for colour in PALETTE) == [14, 14, 14, 15, 15]

    legend = [text.text for text in root.iter(f"{SVG}text")]
    assert legend == ["1.5 to 22.5", "24.0 to 43.5", "45.0 to 66.0", "67.5 to 88.5",
                      "90.0 to 109.5", "No data"]


def test_the_map_speaks_the_pages_language(imported):
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    with force_locale("ca"):
        svg = choropleth_svg({raval.id: 3, raval.id + 1: 5}, title="Abast", description="",
                             formatter=str)
    root = ET.fromstring(str(svg))  # noqa: S314  (our own output)
    assert "el Raval: 3" in [title.text for title in root.iter(f"{SVG}title")]
    assert [text.text for text in root.iter(f"{SVG}text")] == ["3", "5", "Sense dades"]
    assert root.find(f"{SVG}desc").text == (
        "Colors del més clar al més fosc: 3: 1 barri; 5: 1 barri. "
        "71 barris no tenen dades (ratllats).")


def test_equal_values_share_a_class_and_few_values_use_few_colours(imported):
    ids = list(db.session.scalars(select(Neighbourhood.id).order_by(Neighbourhood.code)))
    values = {neighbourhood_id: (0 if i < 60 else 7) for i, neighbourhood_id in enumerate(ids)}
    svg = choropleth_svg(values, title="Waiting", description="", formatter=str)
    root = ET.fromstring(str(svg))  # noqa: S314  (our own output)
    assert [text.text for text in root.iter(f"{SVG}text")] == ["0", "7"]
    fills = Counter(shape.get("fill") for shape in root.findall(f"{SVG}g/{SVG}path"))
    assert fills == {PALETTE[0]: 60, PALETTE[-1]: 13}


def test_a_legend_range_the_formatter_rounds_to_one_value_shows_it_once(imported):
    ids = list(db.session.scalars(select(Neighbourhood.id).order_by(Neighbourhood.code)))
    values = {neighbourhood_id: i / 1000 for i, neighbourhood_id in enumerate(ids)}
    with force_locale("en"):
        svg = choropleth_svg(values, title="Share", description="", formatter=lambda v: f"{v:.1f}")
    legend = [text.text for text in ET.fromstring(str(svg)).iter(f"{SVG}text")]  # noqa: S314
    assert legend[0] == "0.0" and legend[-1] == "0.1"
    assert all(low != high for low, _to, high in (t.partition(" to ") for t in legend[1:-1]))


def _relative_luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_map_borders_contrast_at_least_3_to_1_with_every_fill():
    border = _relative_luminance(BORDER)
    for fill in (*PALETTE, NO_DATA_BACKGROUND):
        lighter, darker = sorted((_relative_luminance(fill), border), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 3, fill
    luminances = [_relative_luminance(colour) for colour in PALETTE]
    assert luminances == sorted(luminances, reverse=True), "the palette runs light to dark"


def _rings(geometry):
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" \
        else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def upload(client, action, name, content: bytes, lang="en"):
    """Post a file to the map data page's form whose action is `action`."""
    fields = csrf_fields_from(client.get(f"/admin/map-data?lang={lang}").get_data(as_text=True))
    prefix = action.rsplit("/", 1)[1]
    # Encoded in memory: the test client would spool a large file to an unclosed temp file.
    boundary, body = encode_multipart(MultiDict({
        f"{prefix}-csrf_token": fields[f"{prefix}-csrf_token"],
        f"{prefix}-file": FileStorage(io.BytesIO(content), filename=name)}))
    return client.post(action, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_an_admin_uploads_the_barris_file_and_the_reach_page_draws_the_map(client, auth,
                                                                          seeded, barris_path):
    auth.login_as(Role.ADMIN)
    before = client.get("/reach?lang=en").get_data(as_text=True)
    assert 'href="/admin/map-data">Add the neighbourhood boundaries' in before
    assert "flask --app app" not in before
    response = upload(client, "/admin/map-data/boundaries", "barris.geojson",
                      barris_path.read_bytes())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reach#map-heading")
    page = client.get("/reach?lang=en").get_data(as_text=True)
    assert "73 neighbourhood boundaries imported." in page
    assert 'class="choropleth"' in page
    assert boundary_count() == 73


@pytest.mark.parametrize("lang, message", [
    ("ca", "broken.geojson no és un fitxer GeoJSON vàlid (error a la línia 1)."),
    ("es", "broken.geojson no es un archivo GeoJSON válido (error en la línea 1)."),
    ("en", "broken.geojson is not a valid GeoJSON file (error on line 1)."),
])
def test_a_bad_boundaries_file_shows_a_translated_error_and_changes_nothing(
        client, auth, imported, lang, message):
    before = db.session.execute(select(NeighbourhoodBoundary.neighbourhood_id,
                                       NeighbourhoodBoundary.imported_at)).all()
    auth.login_as(Role.ADMIN)
    response = upload(client, "/admin/map-data/boundaries", "broken.geojson", b"{not json",
                      lang=lang)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.execute(select(NeighbourhoodBoundary.neighbourhood_id,
                                     NeighbourhoodBoundary.imported_at)).all() == before


def kept_indicators() -> dict:
    return {(code, row.indicator): (row.value, row.year, row.source)
            for code, row in db.session.execute(
                select(Neighbourhood.code, NeedIndicator)
                .join(NeedIndicator, NeedIndicator.neighbourhood_id == Neighbourhood.id))}


def test_the_seed_keeps_the_income_index_and_torre_baros_internet_with_their_sources(seeded):
    kept = kept_indicators()
    assert len([key for key in kept if key[1] == "income_index"]) == 73
    assert kept[54, "households_internet"] == (62, 2016, kept[54, "households_internet"][2])
    assert "MWCapital" in kept[54, "households_internet"][2]
    assert kept[1, "income_index"][:2] == (65.9, 2014)


def test_an_admin_uploads_need_indicators_and_each_row_replaces_its_value(client, auth,
                                                                         seeded):
    auth.login_as(Role.ADMIN)
    csv_file = (b"neighbourhood_code;indicator;value;year;source\n"
                b"01;income_index;66,5;2017;Ajuntament, RFD 2017\n"
                b"19;households_internet;96;2016;MWCapital 2016\n")
    response = upload(client, "/admin/map-data/indicators", "needs.csv", csv_file)
    assert response.status_code == 302
    assert "2 indicator values saved." in client.get("/admin/map-data?lang=en").get_data(
        as_text=True)
    kept = kept_indicators()
    assert kept[1, "income_index"] == (66.5, 2017, "Ajuntament, RFD 2017")
    assert kept[19, "households_internet"] == (96, 2016, "MWCapital 2016")
    assert kept[2, "income_index"][:2] == (98.5, 2014)


def test_an_uploaded_income_index_is_what_the_reach_downloads_and_the_open_data_publish(
        client, auth, seeded):
    def published_income(path, code):
        places = json.loads(client.get(path).get_data())["places"]
        return next(place["income_index"] for place in places
                    if place["kind"] == "neighbourhood" and str(place["code"]) == code)

    assert published_income("/open-data/reach.json", "1") == 65.9  # built, and kept
    auth.login_as(Role.ADMIN, Role.COORDINATOR)
    csv_file = (b"neighbourhood_code,indicator,value,year,source\n"
                b"1,income_index,66.5,2017,Ajuntament RFD 2017\n")
    assert upload(client, "/admin/map-data/indicators", "needs.csv", csv_file).status_code == 302
    assert published_income("/open-data/reach.json", "1") == 66.5
    assert published_income("/reach.json", "1") == 66.5
    assert db.session.scalar(select(Neighbourhood.income_year).where(
        Neighbourhood.code == 1)) == 2017


def test_an_indicator_upload_with_bad_rows_names_each_row_and_saves_nothing(client, auth,
                                                                           seeded):
    before = kept_indicators()
    auth.login_as(Role.ADMIN)
    csv_file = (b"neighbourhood_code,indicator,value,year,source\n"
                b"1,income_index,70,2017,Ajuntament\n"
                b"99,income_index,70,2017,Ajuntament\n"
                b"2,households_internet,140,2016,Survey\n"
                b"3,smiles,5,2016,Survey\n"
                b"1,income_index,71,2017,Ajuntament\n")
    response = upload(client, "/admin/map-data/indicators", "needs.csv", csv_file)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Some rows are wrong: nothing was imported." in html
    assert "Row 3: there is no neighbourhood with the code “99”." in html
    assert "Row 4: the value “140” is not a number from 0 to 100." in html
    assert "Row 5: “smiles” is not an indicator the portal keeps" in html
    assert "Row 6: neighbourhood 1 and income_index are already in row 2." in html
    db.session.rollback()
    assert kept_indicators() == before


@pytest.mark.parametrize("content, message", [
    (b"", "The file is empty"),
    (b"\xff\xfe\x00a", "The file is not a CSV file in UTF-8."),
    (b"code,value\n1,2\n", "The first row must name the columns"),
])
def test_an_indicator_file_that_is_not_the_expected_csv_is_refused(client, auth, seeded,
                                                                   content, message):
    auth.login_as(Role.ADMIN)
    response = upload(client, "/admin/map-data/indicators", "needs.csv", content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
# Coordinates for "near me": venues, and the neighbourhood centres shipped with the portal


def test_an_organiser_sets_a_venue_s_coordinates_as_a_map_app_copies_them(client, auth, seeded):
    auth.login_as(Role.COORDINATOR)
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    response = post_form(client, "/staff/venues/new", name="Centre Cívic Drassanes",
                         address="Carrer Nou de la Rambla, 43", neighbourhood_id=str(raval.id),
                         coordinates=" 41.3776, 2.1735 ")
    assert response.status_code == 302
    venue = db.session.scalar(select(Venue))
    assert (venue.latitude, venue.longitude) == (41.3776, 2.1735)
    page = client.get(f"/staff/venues/{venue.id}").get_data(as_text=True)
    assert 'value="41.3776, 2.1735"' in page
    post_form(client, f"/staff/venues/{venue.id}", name=venue.name, address=venue.address,
              neighbourhood_id=str(raval.id), coordinates="")
    db.session.refresh(venue)
    assert venue.point is None


@pytest.mark.parametrize("typed, says", [
    ("41.3776", "two numbers separated by a comma"),
    ("41,3776, 2,1735", "two numbers separated by a comma"),
    ("abc, def", "two numbers separated by a comma"),
    ("141.3, 2.17", "not in or near Barcelona"),
    ("2.1735, 41.3776", "not in or near Barcelona"),
    ("40.4168, -3.7038", "not in or near Barcelona"),
])
def test_venue_coordinates_outside_the_ranges_or_barcelona_are_refused_and_kept(
        client, auth, seeded, typed, says):
    auth.login_as(Role.COORDINATOR)
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    response = post_form(client, "/staff/venues/new?lang=en", name="Biblioteca",
                         address="Carrer Nou, 1", neighbourhood_id=str(raval.id),
                         coordinates=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and says in html
    assert f'value="{typed.strip()}"' in html
    assert db.session.scalar(select(func.count()).select_from(Venue)) == 0


def test_the_shipped_neighbourhood_centres_cover_every_seeded_neighbourhood(seeded):
    codes = set(db.session.scalars(select(Neighbourhood.code)))
    assert set(neighbourhood_centres()) == codes
    assert all(in_or_near_barcelona(point) for point in neighbourhood_centres().values())


@needs_barris
def test_the_shipped_centres_are_what_the_boundaries_give_and_lie_inside_them():
    barris = json.loads(REAL_BARRIS.read_text(encoding="utf-8"))
    shipped = CENTRES_FILE.read_text(encoding="utf-8")
    assert centres_csv(barris) == shipped
    assert "CC BY" in shipped.splitlines()[2]
    outlines = _outlines(barris)
    for code, point in neighbourhood_centres().items():
        assert _inside_any(outlines[code], point), code


@needs_barris
def test_every_demo_venue_lies_inside_its_neighbourhood():
    outlines = _outlines(json.loads(REAL_BARRIS.read_text(encoding="utf-8")))
    for code, name, _address, _directions, details in DEMO_VENUES + HISTORY_VENUES:
        point = Point(details["latitude"], details["longitude"])
        assert _inside_any(outlines[code], point), name


def test_a_centroid_outside_a_concave_outline_is_moved_inside_it():
    # A "C" open to the east: its centroid falls in the gap.
    c_shape = [[[0, 0], [3, 0], [3, 1], [1, 1], [1, 2], [3, 2], [3, 3], [0, 3], [0, 0]]]
    longitude, latitude = representative_point([c_shape])
    assert inside([tuple(p) for p in c_shape[0]], longitude, latitude)


def _outlines(barris) -> dict[int, list]:
    outlines = {}
    for feature in barris["features"]:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        outlines[int(feature["properties"]["BARRI"])] = [
            [tuple(p[:2]) for p in polygon[0]] for polygon in polygons]
    return outlines


def _inside_any(rings, point) -> bool:
    return any(inside(ring, point.longitude, point.latitude) for ring in rings)
