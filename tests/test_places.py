import json
from collections import Counter

from sqlalchemy import func, select

from tests.conftest import post_form
from tests.factories import make_venue
from workshops.accounts.models import Role
from workshops.extensions import db
from workshops.places.models import District, Neighbourhood
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
    venue = make_venue(directions_ca="Metro L4 Trinitat Nova", directions_es="", directions_en="")
    english = venue.directions("en")
    assert (english.text, english.language, english.fell_back) == (
        "Metro L4 Trinitat Nova", "ca", True)
    venue.directions_es = "Metro L4, salida Pedraforca"
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
