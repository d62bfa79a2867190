"""Fill the benchmark database: 2,000 published upcoming workshops with 4 sessions each,
and a history for the reach dashboard: 18,000 past workshops (20,000 in all), 200,000
residents and about 1,000,000 attendance rows.

The first 1,250 upcoming workshops are also for people with disabilities (an audience the
demo data does not use), so `/calendar.ics?audience=disabled-people` is a feed of exactly
5,000 sessions.

Run after `flask db upgrade`, `flask seed` and `flask demo` on the same DATABASE_URL.
Rows go in with executemany and INSERT ... SELECT, never one ORM object at a time.

BENCH_SCALE=0.01 (say) makes the history at that scale: fewer past workshops and residents,
the same shape, where small counts occur (bench/attack_open_data.py; the open-data tests
call `generate_history` with small numbers).
"""

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Integer, case, func, insert, literal, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402
from workshops.accounts.models import User  # noqa: E402
from workshops.attendance.models import Attendance  # noqa: E402
from workshops.catalogue.models import (  # noqa: E402
    Session,
    Topic,
    Workshop,
    WorkshopAudience,
    WorkshopStatus,
)
from workshops.extensions import db  # noqa: E402
from workshops.places.models import Neighbourhood, Venue  # noqa: E402
from workshops.reach import facts as reach_facts  # noqa: E402
from workshops.registrations.models import (  # noqa: E402
    AgeBand,
    Channel,
    Gender,
    Registration,
    RegistrationStatus,
    Resident,
)

WORKSHOPS = 2_000
SESSIONS_EACH = 4
FEED_WORKSHOPS = 1_250
FEED_AUDIENCE = "disabled-people"
PAST_WORKSHOPS = 18_000
RESIDENTS = 200_000
PAST_CAPACITY = 14  # 18,000 workshops x 4 sessions x 14 confirmed = 1,008,000 marks
WAITLISTED_EACH = 3
HISTORY_DAYS = 450  # 15 months: the dashboard's 12 and some earlier, for first-timers
BATCH = 20_000


def generate(workshops: int = WORKSHOPS) -> None:
    rng = random.Random(7)  # noqa: S311  (repeatable test data, not secrets)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    venue_ids = list(db.session.scalars(select(Venue.id)))
    topic_ids = list(db.session.scalars(select(Topic.id)))
    organiser_id = db.session.scalar(select(User.id).where(User.email == "organiser@example.org"))
    rows, sessions, audiences = [], [], []
    first_id = (db.session.scalar(select(Workshop.id).order_by(Workshop.id.desc())) or 0) + 1
    for n in range(workshops):
        workshop_id = first_id + n
        start = now + timedelta(days=1 + n % 60, hours=rng.choice([0, 3, 6]))
        rows.append({
            "id": workshop_id, "public_code": str(1000 + n),
            "title_texts": {"ca": f"Taller {n}", "es": f"Taller {n}", "en": f"Workshop {n}"},
            "summary_texts": {"ca": "Aprendre a fer servir el mòbil amb calma.",
                              "es": "Aprender a usar el móvil con calma.",
                              "en": "Learn to use your phone at an easy pace."},
            "description_texts": {},
            "topic_id": rng.choice(topic_ids), "level": "beginner",
            "instruction_language": "ca", "venue_id": rng.choice(venue_ids),
            "capacity": 12, "seats_taken": rng.randint(0, 12), "organiser_id": organiser_id,
            "status": WorkshopStatus.PUBLISHED.value, "cancel_reason": "", "sequence": 1,
            "first_session_starts_at": start,
            "last_session_ends_at": start + timedelta(weeks=SESSIONS_EACH - 1, hours=2),
            "created_at": now, "updated_at": now, "published_at": now,
        })
        for week in range(SESSIONS_EACH):
            begins = start + timedelta(weeks=week)
            sessions.append({"workshop_id": workshop_id, "starts_at": begins,
                             "ends_at": begins + timedelta(hours=2)})
        if n % 3 == 0:
            audiences.append({"workshop_id": workshop_id, "audience": "older-people"})
        if n < FEED_WORKSHOPS:
            audiences.append({"workshop_id": workshop_id, "audience": FEED_AUDIENCE})
    db.session.execute(insert(Workshop), rows)
    db.session.execute(insert(Session), sessions)
    db.session.execute(insert(WorkshopAudience), audiences)
    db.session.commit()


def _insert_in_batches(table, rows) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start:start + BATCH])


def generate_history(past_workshops: int = PAST_WORKSHOPS, residents: int = RESIDENTS,
                     analyze: bool = True) -> None:
    """Past workshops with registrations (some waitlisted) and attendance marks."""
    rng = random.Random(11)  # noqa: S311  (repeatable test data, not secrets)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    neighbourhood_ids = list(db.session.scalars(select(Neighbourhood.id)))
    venue_ids = list(db.session.scalars(select(Venue.id)))
    topic_ids = list(db.session.scalars(select(Topic.id)))
    organiser_id = db.session.scalar(select(User.id).where(User.email == "organiser@example.org"))
    first_resident = (db.session.scalar(select(func.max(Resident.id))) or 0) + 1
    ages = [*AgeBand, None]
    channels = [Channel.WEB, Channel.WEB, Channel.SMS, Channel.SMS, Channel.STAFF]
    _insert_in_batches(Resident, [{
        "id": first_resident + n, "phone": None, "phone_takes_sms": False, "name": "",
        "email": "", "home_neighbourhood_id": None if n % 25 == 0
        else rng.choice(neighbourhood_ids), "lives_outside_barcelona": n % 25 == 0,
        "age_band": rng.choice(ages), "gender": rng.choice(list(Gender)),
        "preferred_language": "ca", "sms_consent": False, "sms_opted_out": False,
        "created_at": now - timedelta(days=HISTORY_DAYS + 30),
    } for n in range(residents)])

    first_workshop = (db.session.scalar(select(func.max(Workshop.id))) or 0) + 1
    workshops, sessions, registrations = [], [], []
    # Start days cycle through the history; fewer workshops than days take every few days.
    days = HISTORY_DAYS - 30
    stride = max(1, days // past_workshops)
    for n in range(past_workshops):
        workshop_id = first_workshop + n
        start = now - timedelta(days=HISTORY_DAYS - n * stride % days,
                                hours=rng.choice([0, 3, 6]))
        cancelled = n % 50 == 0
        workshops.append({
            "id": workshop_id, "public_code": str(5000 + n % 4000),
            "title_texts": {"ca": f"Taller {n}", "es": f"Taller {n}", "en": f"Workshop {n}"},
            "summary_texts": {}, "description_texts": {},
            "topic_id": rng.choice(topic_ids), "level": "beginner",
            "instruction_language": "ca", "venue_id": rng.choice(venue_ids),
            "capacity": PAST_CAPACITY, "seats_taken": PAST_CAPACITY,
            "organiser_id": organiser_id,
            "status": (WorkshopStatus.CANCELLED if cancelled else WorkshopStatus.PUBLISHED).value,
            "cancel_reason": "", "sequence": 1, "first_session_starts_at": start,
            "last_session_ends_at": start + timedelta(weeks=SESSIONS_EACH - 1, hours=2),
            "created_at": start - timedelta(days=30), "updated_at": start,
            "published_at": start - timedelta(days=30),
        })
        for week in range(SESSIONS_EACH):
            begins = start + timedelta(weeks=week)
            sessions.append({"workshop_id": workshop_id, "starts_at": begins,
                             "ends_at": begins + timedelta(hours=2)})
        people = rng.sample(range(residents), PAST_CAPACITY + WAITLISTED_EACH)
        for place, person in enumerate(people):
            confirmed = place < PAST_CAPACITY
            at = start - timedelta(days=20 - place)
            registrations.append({
                "workshop_id": workshop_id, "resident_id": first_resident + person,
                "status": (RegistrationStatus.CONFIRMED if confirmed
                           else RegistrationStatus.WAITLISTED).value,
                "channel": (Channel.WALK_IN if place == 0 else rng.choice(channels)).value,
                "created_at": at, "queued_at": at, "confirmed_at": at if confirmed else None,
                "submission_key": "",
            })
    _insert_in_batches(Workshop, workshops)
    _insert_in_batches(Session, sessions)
    _insert_in_batches(Registration, registrations)
    # Every confirmed person gets a mark at every held session of their workshop: about
    # four in five present, in one INSERT ... SELECT.
    marks = (
        select(Session.id, Registration.id,
               case(((Registration.id * 7 + Session.id) % 10 < 8, True), else_=False),
               Session.ends_at, Session.ends_at, literal(""))
        .join(Registration, Registration.workshop_id == Session.workshop_id)
        .where(Registration.status == RegistrationStatus.CONFIRMED.value,
               Session.ends_at < now, Session.workshop_id >= first_workshop)
    )
    db.session.execute(insert(Attendance).from_select(
        ["session_id", "registration_id", "present", "marked_at", "recorded_at", "change_id"],
        marks))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Statistics first, as autovacuum would have them after inserts this size: the
        # facts' INSERT ... SELECT is planned on them (without, PostgreSQL may pick nested
        # loops over a million rows and run for hours).
        _refresh_statistics(vacuum=False)
    # The reach facts, which these INSERTs through Core bypass: written once, in SQL.
    reach_facts.rebuild()
    db.session.commit()
    _move_id_sequences_on()
    if analyze:
        _refresh_statistics(vacuum=True)


def _move_id_sequences_on() -> None:
    """PostgreSQL: rows went in with ids of their own, so each table's id sequence starts
    after its largest id (else the next resident to sign up would take an id in use)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        column = table.c.get("id")
        if column is None or not column.autoincrement or not isinstance(column.type, Integer):
            continue
        sequence = db.session.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        if sequence is None:
            continue
        largest = db.session.scalar(select(func.max(column)))
        db.session.execute(select(func.setval(sequence, largest or 1, largest is not None)))
    db.session.commit()


def _refresh_statistics(*, vacuum: bool) -> None:
    """ANALYZE; on PostgreSQL with `vacuum` also VACUUM, which marks the pages all-visible,
    so index-only scans skip the table."""
    postgresql = db.engine.dialect.name == "postgresql"
    statement = "VACUUM ANALYZE" if vacuum and postgresql else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(statement)


def scaled(count: int, scale: float, least: int = 1) -> int:
    return max(least, round(count * scale))


if __name__ == "__main__":
    import os

    scale = float(os.environ.get("BENCH_SCALE", "1"))
    past_workshops = scaled(PAST_WORKSHOPS, scale)
    residents = scaled(RESIDENTS, scale, least=PAST_CAPACITY + WAITLISTED_EACH)
    app = create_app()
    with app.app_context():
        generate()
        print(f"bench data: {WORKSHOPS} workshops, {WORKSHOPS * SESSIONS_EACH} sessions")
        generate_history(past_workshops, residents)
        attendance = db.session.scalar(select(func.count()).select_from(Attendance))
        print(f"reach history: {past_workshops} past workshops, {residents} residents, "
              f"{attendance} attendance rows")
