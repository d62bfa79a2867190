"""The open-data attacker (tests/attacker.py) on the benchmark data: how many hidden cells
the public open data has there, and how many of them the attacker works out.

    python bench/attack_open_data.py                   # full size, then 1/100, 1/300, 1/1000
    python bench/attack_open_data.py --scales 1,0.01   # the scales to build
    python bench/attack_open_data.py DATABASE_URL      # on a database already filled

Each database is built as `make bench` builds it (bench/run.py `prepare_database`:
`flask db upgrade`, `seed`, `demo`, then bench/generate.py, with BENCH_SCALE for the smaller
ones) on SQLite, in a temporary directory removed afterwards: about half a minute at full
size, a few seconds scaled down. At full size every published count is in the hundreds or
zero, so nothing is hidden and the attack proves little; scaled down, the same shape of
history has hundreds of small counts to protect. The open data is read as the public routes
serve it (by venue and by home, CSV and JSON) and the attacker tries every relation they
allow. Exits with status 1 when it recovers any hidden count.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

ROUTES = [(source, by, f"/open-data/reach.{source}?by={by}"
           + ("&lang=en" if source == "csv" else ""))
          for by in ("venue", "home") for source in ("json", "csv")]


def open_tables(client) -> dict:
    """Every open-data download: {(format, counted by): rows}, as tests/test_open_data.py
    reads them."""
    from tests.attacker import rows_from_csv, rows_from_json

    tables = {}
    for source, by, url in ROUTES:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        body = response.get_data()
        tables[source, by] = (rows_from_json(json.loads(body)) if source == "json"
                              else rows_from_csv(body))
    return tables


def measure(database_url: str) -> tuple[int, dict, float, float]:
    """(hidden cells, {cell: value} recovered, seconds to serve, seconds to attack)."""
    os.environ["DATABASE_URL"] = database_url
    from tests.attacker import Attack
    from workshops import create_app

    app = create_app()
    started = time.perf_counter()
    with app.test_client() as client:
        tables = open_tables(client)
    served = time.perf_counter() - started
    started = time.perf_counter()
    attacker = Attack(tables)
    if attacker.contradictions:
        raise SystemExit(f"the published figures contradict each other "
                         f"({attacker.contradictions} times)")
    recovered = attacker.solve()
    return len(attacker.unknown), recovered, served, time.perf_counter() - started


def build_database(workdir: Path, scale: float) -> str:
    database_url = f"sqlite:///{workdir / f'bench-{scale}.db'}"
    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key",
                        "FLASK_APP": "app", "PYTHONPATH": str(PROJECT_ROOT),
                        "BENCH_SCALE": str(scale)}
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "app"]
    for command in (["db", "upgrade"], ["seed"], ["demo"]):
        subprocess.run(flask + command, env=env, cwd=PROJECT_ROOT, check=True,
                       capture_output=True)
    subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "generate.py")], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    return database_url


def report(label: str, database_url: str) -> int:
    """Attack the open data on one database; print a line; return how many were recovered."""
    hidden, recovered, served, attacked = measure(database_url)
    print(f"open-data attacker on bench data{label}: {hidden} hidden cells, {len(recovered)} "
          f"recovered (tables served in {served:.1f} s, attack {attacked:.1f} s)", flush=True)
    for cell, value in sorted(recovered.items(), key=repr)[:20]:
        print(f"  {cell} = {value}")
    return len(recovered)


def main(argv: list[str]) -> int:
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    scales = [1.0, 0.01, 0.003, 0.001]
    if argv[1:2] == ["--scales"] and len(argv) > 2:
        scales = [float(scale) for scale in argv[2].split(",")]
    elif len(argv) > 1:
        return 1 if report("", argv[1]) else 0
    recovered = 0
    workdir = Path(tempfile.mkdtemp(prefix="i4a-attack-"))
    try:
        for scale in scales:
            started = time.perf_counter()
            database_url = build_database(workdir, scale)
            label = "" if scale == 1 else f" at scale {scale:g}"
            print(f"bench database{label} built in {time.perf_counter() - started:.0f} s",
                  flush=True)
            recovered += report(label, database_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if recovered else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
