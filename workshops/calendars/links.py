"""Links that put a workshop into someone's calendar."""

from urllib.parse import urlencode

from workshops.calendars.feeds import workshop_url
from workshops.catalogue.models import Session, Workshop

GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render?"


def google_calendar_link(workshop: Workshop, session: Session, language: str) -> str:
    """Google Calendar's "create event" page filled in for one session (Google Calendar links
    hold a single event; the .ics download holds them all)."""
    venue = workshop.venue
    return GOOGLE_TEMPLATE + urlencode({
        "action": "TEMPLATE",
        "text": workshop.title(language).text,
        "dates": f"{session.starts_at:%Y%m%dT%H%M%SZ}/{session.ends_at:%Y%m%dT%H%M%SZ}",
        "ctz": "Europe/Madrid",
        "details": "\n\n".join(part for part in (workshop.summary(language).text,
                                                  workshop_url(workshop, language)) if part),
        "location": f"{venue.name}, {venue.address}, Barcelona",
    })
