"""Open data (DESIGN invariant 8) against an attacker: `tests.attacker` reads the published
tables and tries every relation they allow to work hidden counts out exactly."""

import json

import pytest

from tests.attacker import (
    COUNTS,
    RATES,
    SMALL,
    Attack,
    attack,
    by_mode,
    place,
    rows_from_json,
)
from workshops.demo import DEMO_USERS

COORDINATOR = next((email, password) for email, _name, password, roles in DEMO_USERS
                   if roles[0].value == "coordinator")


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
            **counts, "attendance_rate": None, "completion_rate": None,
            "reached_per_1000": None, "population": 1000, "income_index": None,
            "priority": None}


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
