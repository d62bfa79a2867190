"""The one clock the portal reads. Views pass its `utcnow()` to services as `now=`; tests
freeze it (time-machine) so the suite passes whatever today's date is."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TIME_ZONE = ZoneInfo("Europe/Madrid")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today() -> date:
    """Today in Barcelona."""
    return utcnow().astimezone(LOCAL_TIME_ZONE).date()
