"""Open data that cannot be undone: counts from 1 to 4 are hidden, and
no hidden count can be worked out from the published figures. The attacker
(`tests.attacker`) reads the tables as the routes serve them, both ways of counting, CSV and
JSON, and tries every relation they allow."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.attacker import (
    COUNTS,
    RATES,
    SMALL,
    WITHHELD,
    Attack,
    attack,
    by_mode,
    place,
    rows_from_csv,
    rows_from_json,
)
from tests.factories import attend, make_workshop, mobile, register
from tests.test_calendars import all_get, builds_counted_by_metrics, second_process, two_workers  # noqa: F401  (fixtures)
from tests.test_reach import build_world
from workshops import built_documents
from workshops.catalogue.local_time import Slot
from workshops.demo import DEMO_USERS
from workshops.extensions import db
from workshops.reach import disclosure, open_data
from workshops.reach.queries import local_today
from workshops.registrations.models import Registration, Resident

COORDINATOR = next((email, password) for email, _name, password, roles in DEMO_USERS
                   if roles[0].value == "coordinator")


def open_tables(client) -> dict:
    """Every open-data download: {(format, counted by): rows}."""
    tables = {}
    for by in ("venue", "home"):
        response = client.get(f"/open-data/reach.json?by={by}")
        assert response.status_code == 200
        tables["json", by] = rows_from_json(json.loads(response.get_data()))
        response = client.get(f"/open-data/reach.csv?by={by}&lang=en")
        assert response.status_code == 200
        tables["csv", by] = rows_from_csv(response.get_data())
    return tables


def coordinator_tables(client, auth) -> dict:
    """The coordinators' JSON for the same period (the last 12 months): every figure."""
    assert auth.login(*COORDINATOR).status_code == 302
    tables = {}
    for by in ("venue", "home"):
        document = json.loads(client.get(f"/reach.json?by={by}").get_data())
        tables["json", by] = rows_from_json(document)
    auth.logout()
    return tables


def small_counts_hidden_alone(rows: list[dict]) -> list[dict]:
    """What the open data published before secondary suppression: 1 to 4 as "<5", and the
    rates built on them left out."""
    hidden = []
    for row in rows:
        row = dict(row)
        for key in COUNTS:
            if isinstance(row[key], int) and 1 <= row[key] <= 4:
                row[key] = SMALL
        for rate, bases in RATES.items():
            if any(row[base] == SMALL for base in bases[:2]):
                row[rate] = None
        hidden.append(row)
    return hidden


@pytest.fixture
def demo(runner, seeded):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def test_on_the_demo_data_the_attacker_recovers_no_hidden_count(client, demo):
    tables = open_tables(client)
    attacker = Attack(tables)
    assert len(attacker.small) > 300 and attacker.withheld, "rich enough to have hidden cells"
    assert attacker.contradictions == 0
    assert attacker.solve() == {}
    for source in ("json", "csv"):
        assert attack({key: rows for key, rows in tables.items() if key[0] == source}) == {}
    for by in ("venue", "home"):
        assert attack({key: rows for key, rows in tables.items() if key[1] == by}) == {}


@pytest.mark.parametrize("scale", [0.0015, 0.003, 0.01])
def test_on_bench_shaped_history_the_attacker_recovers_no_hidden_count(
        client, auth, app_context, demo, scale):
    """The benchmark's history (bench/generate.py) on the demo data, scaled down: at full
    size every count is in the hundreds or zero and nothing is hidden
    (bench/attack_open_data.py); at 1/100 to 1/1000 the same shape has small counts in many
    places, and with small counts hidden alone (as before secondary suppression) the
    attacker works some of them out."""
    from bench.generate import PAST_WORKSHOPS, RESIDENTS, generate_history

    generate_history(round(PAST_WORKSHOPS * scale), round(RESIDENTS * scale), analyze=False)
    tables = open_tables(client)
    attacker = Attack(tables)
    assert len(attacker.unknown) >= 20 and attacker.contradictions == 0
    assert attacker.solve() == {}
    exposed = {key: small_counts_hidden_alone(rows)
               for key, rows in coordinator_tables(client, auth).items()}
    assert attack(exposed), "with small counts hidden alone, some could be worked out"


def test_the_attacker_knows_only_what_is_true_of_the_real_figures(client, auth, demo):
    truth = Attack(coordinator_tables(client, auth))
    assert not truth.unknown
    assert truth.contradictions == 0  # every relation it uses holds, every figure it equates


def test_with_small_counts_hidden_alone_the_attacker_recovers_them_exactly(client, auth, demo):
    truth = coordinator_tables(client, auth)
    exposed = {key: small_counts_hidden_alone(rows) for key, rows in truth.items()}
    recovered = attack(exposed)
    # Measured on the demo data before secondary suppression: 17 by venue, 37 by home.
    assert by_mode(recovered)["venue"] >= 10 and by_mode(recovered)["home"] >= 20
    real = {(mode, *place(record), figure): record[figure]
            for (_source, mode), rows in truth.items() for record in rows for figure in COUNTS}
    assert all(real[cell] == value for cell, value in recovered.items())


def row(kind: str, district: str, code: str = "", **counts) -> dict:
    """A record of the open-data table, every count 0 unless given."""
    return {"kind": kind, "district_code": district, "district": f"District {district}",
            "code": code or district, "name": code, **dict.fromkeys(COUNTS, 0),
            **counts, **dict.fromkeys(RATES, None), "population": 1000,
            "income_index": None, "priority": None}


def hand_built_table() -> list[dict]:
    """District 01: neighbourhoods A (3 registrations), B (12), C (20); district 02: D (9)."""
    return [
        row("neighbourhood", "01", "A", registrations=3, present=3, expected=6),
        row("neighbourhood", "01", "B", registrations=12, present=30, expected=40),
        row("neighbourhood", "01", "C", registrations=20, present=50, expected=60),
        row("neighbourhood", "02", "D", registrations=9, present=20, expected=25),
        row("district", "01", registrations=35, present=83, expected=106),
        row("district", "02", registrations=9, present=20, expected=25),
        {**row("elsewhere", ""), "code": ""},
        {**row("city", ""), "code": "", "registrations": 44, "present": 103, "expected": 131},
    ]


def published(rows: list[dict]) -> dict:
    """The attacker's view of records as the JSON serves them."""
    return {("json", "venue"): rows_from_json({"places": rows})}


def test_the_attacker_subtracts_a_neighbourhood_from_its_district_total():
    exposed = small_counts_hidden_alone(hand_built_table())
    assert attack(published(exposed)) == {("venue", "neighbourhood", "A", "registrations"): 3,
                                          ("venue", "neighbourhood", "A", "present"): 3}


def test_the_smallest_neighbour_is_hidden_too_and_then_nothing_can_be_worked_out():
    table = hand_built_table()
    for record in table:
        if record["expected"]:
            record["attendance_rate"] = record["present"] / record["expected"]
    shown = disclosure.protect({"venue": table})["venue"]
    places = {record["code"] or record["kind"]: record for record in shown}
    assert places["A"]["registrations"] == places["A"]["present"] == SMALL
    # B, the smallest neighbour (12, 30), is hidden rather than the district total or C.
    assert places["B"]["registrations"] == places["B"]["present"] == WITHHELD
    assert places["B"]["expected"] == 40 and places["C"]["registrations"] == 20
    assert places["01"]["registrations"] == 35 and places["city"]["registrations"] == 44
    # A rate built on a hidden count would give it back.
    assert places["A"]["attendance_rate"] is None and places["B"]["attendance_rate"] is None
    assert places["C"]["attendance_rate"] == pytest.approx(50 / 60)
    assert attack(published(shown)) == {}
    assert disclosure.audit({"venue": table}, {"venue": shown}) == []


def test_a_total_made_of_small_parts_is_shown_as_x_rather_than_as_less_than_five():
    """Four first-timers, one in each of four places: as "<5" the city would hold every part
    at 1 (each hidden part is at least 1, and they add up to at most 4)."""
    table = [
        row("neighbourhood", "01", "A", first_time=1, residents_attended=6),
        row("neighbourhood", "01", "B", first_time=1, residents_attended=7),
        row("neighbourhood", "02", "C", first_time=1, residents_attended=8),
        row("district", "01", first_time=2, residents_attended=13),
        row("district", "02", first_time=1, residents_attended=8),
        {**row("elsewhere", ""), "code": "", "first_time": 1, "residents_attended": 5},
        {**row("city", ""), "code": "", "first_time": 4, "residents_attended": 26},
    ]
    for record in table:
        for figure in ("residents_registered", "registrations", "present", "expected"):
            record[figure] = record["residents_attended"]
        record["reached_living_here"] = {"city": 21, "elsewhere": 0}.get(
            record["kind"], record["residents_attended"])
    exposed = small_counts_hidden_alone(table)
    assert len(attack({("json", "home"): rows_from_json({"places": exposed})})) == 7
    shown = disclosure.protect({"home": table})["home"]
    assert attack({("json", "home"): rows_from_json({"places": shown})}) == {}
    assert disclosure.audit({"home": table}, {"home": shown}) == []
    assert [record["first_time"] for record in shown].count(SMALL) >= 5


@pytest.fixture
def todays_world(app_context):
    return build_world(timedelta(days=(local_today(datetime.now(UTC)) - date(2026, 6, 15)).days))


def test_on_a_world_of_small_numbers_the_attacker_recovers_nothing(client, todays_world):
    tables = open_tables(client)
    assert Attack(tables).contradictions == 0
    assert attack(tables) == {}


def test_the_open_data_names_its_method_and_the_coordinators_still_see_every_figure(
        client, auth, demo):
    document = json.loads(client.get("/open-data/reach.json?by=home").get_data())
    assert document["small_counts_suppressed"] is True
    suppression = document["suppression"]
    assert "hypercube" in suppression["method"] and "Cell suppression" in suppression["method"]
    assert (suppression["small_count"], suppression["withheld"]) == (SMALL, WITHHELD)
    assert any(WITHHELD in record.values() for record in document["places"])

    assert auth.login(*COORDINATOR).status_code == 302
    for by in ("venue", "home"):
        places = json.loads(client.get(f"/reach.json?by={by}").get_data())["places"]
        assert all(isinstance(record[key], int) for record in places for key in COUNTS)
        assert any(1 <= record[key] <= 4 for record in places for key in COUNTS)


def random_tables(rng) -> dict[str, list[dict]]:
    """Both tables of a made-up programme, counted as the definitions say: a few districts
    and neighbourhoods, people living in them or elsewhere, workshops, their registrations
    and marks."""
    districts = {f"0{d}": [f"{d}{n}" for n in range(rng.randint(1, 4))]
                 for d in range(1, rng.randint(2, 4) + 1)}
    homes = {code: district for district, codes in districts.items() for code in codes}
    people = [(rng.choice([*homes, None]), rng.random() < 0.6) for _ in range(rng.randint(3, 40))]
    workshops = [(rng.choice(list(homes)), rng.randint(1, 3), rng.randint(1, 8),
                  rng.random() < 0.7) for _ in range(rng.randint(1, 9))]
    registrations = []  # (person, workshop, waitlisted, present, expected)
    for w, (_venue, sessions, _capacity, _finished) in enumerate(workshops):
        for person in rng.sample(range(len(people)), rng.randint(0, min(8, len(people)))):
            waitlisted = rng.random() < 0.15
            present = 0 if waitlisted else rng.randint(0, sessions)
            registrations.append((person, w, waitlisted, present, 0 if waitlisted else sessions))

    def figures(rows, supply) -> dict:
        attended = {p for p, _w, _wl, present, _e in rows if present}
        took_part = [(w, present) for _p, w, _wl, present, _e in rows
                     if present and workshops[w][3]]
        return {
            "workshops": len(supply), "sessions": sum(workshops[w][1] for w in supply),
            "seats": sum(workshops[w][2] for w in supply), "registrations": len(rows),
            "waitlisted": sum(1 for row in rows if row[2]),
            "present": sum(row[3] for row in rows), "expected": sum(row[4] for row in rows),
            "completed": sum(1 for w, present in took_part
                             if present * 4 >= workshops[w][1] * 3),
            "completion_base": len(took_part),
            "residents_registered": len({row[0] for row in rows}),
            "residents_attended": len(attended),
            "first_time": len({p for p in attended if people[p][1]}),
        }

    def reached(codes) -> int:
        return len({p for p, *_rest in registrations if people[p][0] in codes
                    and any(q == p and present for q, _w, _wl, present, _e in registrations)})

    tables = {}
    for by in ("venue", "home"):
        def where(registration, by=by):
            person, w = registration[0], registration[1]
            return workshops[w][0] if by == "venue" else people[person][0]

        def record(kind, district, code, codes, with_elsewhere=False, by=by, where=where):
            rows = [r for r in registrations
                    if where(r) in codes or (with_elsewhere and where(r) is None)]
            supply = [w for w, workshop in enumerate(workshops) if workshop[0] in codes]
            return row(kind, district, code, **figures(rows, supply),
                       reached_living_here=reached(codes))

        table = [record("neighbourhood", homes[code], code, {code}) for code in homes]
        table += [record("district", district, "", set(codes))
                  for district, codes in districts.items()]
        elsewhere = record("elsewhere", "", "", {None} if by == "home" else set())
        table.append({**elsewhere, "code": "", "reached_living_here": 0,
                      **({} if by == "home" else dict.fromkeys(COUNTS, 0))})
        table.append({**record("city", "", "", set(homes), with_elsewhere=True), "code": ""})
        tables[by] = table
    return tables


@pytest.mark.parametrize("seed", range(24))
def test_on_random_programmes_every_hidden_count_stays_hidden(seed):
    import random

    tables = random_tables(random.Random(seed))  # noqa: S311  (repeatable test data)
    truth = Attack({("json", by): rows_from_json({"places": rows})
                    for by, rows in tables.items()})
    assert truth.contradictions == 0  # made up as the definitions count
    shown = disclosure.protect(tables)
    assert disclosure.audit(tables, shown) == []
    assert attack({("json", by): rows_from_json({"places": rows})
                   for by, rows in shown.items()}) == {}


# --- built once per version of its data, for every process ----------------------------------

DOWNLOADS = [f"/open-data/reach.{extension}?by={by}" for extension in ("json", "csv")
             for by in ("venue", "home")]


def open_data_builds() -> float:
    return REGISTRY.get_sample_value("workshops_documents_built_total",
                                     {"kind": "open-data"}) or 0


def downloads(client) -> dict[str, bytes]:
    answers = {path: client.get(path) for path in DOWNLOADS}
    assert {response.status_code for response in answers.values()} == {200}
    return {path: response.data for path, response in answers.items()}


def computed_afresh(client) -> dict[str, bytes]:
    """The downloads from a computation from scratch, nothing built kept."""
    built_documents.forget()
    return downloads(client)


def mark_ines_present():
    """A mark at the workshop under way in `build_world` (W4): Ines was at its first session."""
    ines = db.session.scalar(select(Registration).join(Resident)
                             .where(Resident.phone == "+34611000009"))
    attend(ines, ines.workshop.sessions[0])


def test_the_open_data_is_built_once_per_change_of_its_data_and_shows_no_older_figures(
        client, todays_world, second_process, clock):  # noqa: F811
    next_week = make_workshop()
    before = open_data_builds()
    first = downloads(client)
    assert open_data_builds() - before == 1, "both ways of counting, JSON and CSV: one build"
    assert downloads(second_process.test_client()) == first
    assert open_data_builds() - before == 1, "the other process read what this one built"

    # Sign-ups for a workshop that begins next week change nothing published today.
    for number in range(3):
        register(next_week, mobile(number))
    assert downloads(client) == first
    assert open_data_builds() - before == 1

    mark_ines_present()
    after_the_mark = downloads(second_process.test_client())
    assert after_the_mark != first
    assert open_data_builds() - before == 2
    assert downloads(client) == after_the_mark == computed_afresh(client)

    # A session that ends makes it held: the figures are computed again.
    now = datetime.now(UTC)
    make_workshop(now=now - timedelta(hours=2),
                  slots=[Slot(now - timedelta(hours=1), now + timedelta(minutes=30))])
    downloads(client)
    builds = open_data_builds()
    clock.shift(timedelta(hours=1))
    assert downloads(second_process.test_client()) == computed_afresh(client)
    assert open_data_builds() - builds == 2  # once for the session ended, once afresh


def test_a_download_asked_again_for_the_same_data_gets_304(client, todays_world):
    first = client.get("/open-data/reach.csv?by=home&lang=en")
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/open-data/reach.csv?by=home&lang=en",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get("/open-data/reach.csv?by=home&lang=es",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200

    mark_ines_present()
    changed = client.get("/open-data/reach.csv?by=home&lang=en",
                         headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200


def test_the_sms_worker_builds_the_open_data_before_the_first_visitor_asks(
        runner, client, todays_world):
    before = open_data_builds()
    assert runner.invoke(args=["sms", "worker", "--once"]).exit_code == 0
    assert open_data_builds() - before == 1
    downloads(client)
    assert open_data_builds() - before == 1
    assert runner.invoke(args=["sms", "worker", "--once"]).exit_code == 0
    assert open_data_builds() - before == 1, "nothing changed: nothing built"


@pytest.mark.real_clock
def test_two_gunicorn_workers_build_the_open_data_once_per_change(
        two_workers, app_context, client, todays_world):  # noqa: F811
    (first,) = all_get(two_workers, "/open-data/reach.json?by=home", 8)
    assert builds_counted_by_metrics(two_workers, "open-data") == 1

    mark_ines_present()
    (changed,) = all_get(two_workers, "/open-data/reach.json?by=home", 8)
    assert builds_counted_by_metrics(two_workers, "open-data") == 2
    assert changed != first
    assert changed.encode() == computed_afresh(client)["/open-data/reach.json?by=home"]


def test_writes_that_bypass_the_orm_give_the_open_data_a_new_version(client, todays_world):
    from workshops.reach import facts

    first = client.get("/open-data/reach.json").headers["ETag"]
    assert client.get("/open-data/reach.json").headers["ETag"] == first
    facts.rebuild()  # every fact written again, as after a bulk import
    db.session.commit()
    assert client.get("/open-data/reach.json").headers["ETag"] != first


def test_old_notes_of_changes_go_when_they_pile_up(app_context, monkeypatch):
    monkeypatch.setattr(open_data, "KEEP_CHANGES", 2)
    for _ in range(21):
        open_data._raise_version(db.session.connection())
    db.session.commit()
    written = db.session.scalars(select(open_data.ReachDataChange.id)
                                 .order_by(open_data.ReachDataChange.id)).all()
    open_data.refresh(now=datetime.now(UTC))
    kept = db.session.scalars(select(open_data.ReachDataChange.id)
                              .order_by(open_data.ReachDataChange.id)).all()
    assert len(written) == 21 and kept == written[-2:]
