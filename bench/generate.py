"""Fill the benchmark database: 2,000 published upcoming workshops with 4 sessions each.

The first 1,250 are also for people with disabilities (an audience the demo data does not
use), so `/calendar.ics?audience=disabled-people` is a feed of exactly 5,000 sessions.

Run after `flask db upgrade`, `flask seed` and `flask demo` on the same DATABASE_URL.
"""

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402
from workshops.accounts.models import User  # noqa: E402
from workshops.catalogue.models import (  # noqa: E402
    Session,
    Topic,
    Workshop,
    WorkshopAudience,
    WorkshopStatus,
)
from workshops.extensions import db  # noqa: E402
from workshops.places.models import Venue  # noqa: E402

WORKSHOPS = 2_000
SESSIONS_EACH = 4
FEED_WORKSHOPS = 1_250
FEED_AUDIENCE = "disabled-people"


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
            "id": workshop_id, "public_code": str(1000 + n), "title_ca": f"Taller {n}",
            "title_es": f"Taller {n}", "title_en": f"Workshop {n}",
            "summary_ca": "Aprendre a fer servir el mòbil amb calma.",
            "summary_es": "Aprender a usar el móvil con calma.",
            "summary_en": "Learn to use your phone at an easy pace.",
            "description_ca": "", "description_es": "", "description_en": "",
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


if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        generate()
        print(f"bench data: {WORKSHOPS} workshops, {WORKSHOPS * SESSIONS_EACH} sessions")
