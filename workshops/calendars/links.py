"""Links that put a workshop into someone's calendar."""

from urllib.parse import urlencode

from workshops.calendars.feeds import feed_line, feed_text, workshop_url
from workshops.catalogue.models import Session, Workshop

GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render?"


def google_calendar_link(workshop: Workshop, session: Session, language: str) -> str:
    """Google Calendar's "create event" page filled in for one session (Google Calendar links
    hold a single event; the .ics download holds them all). Its texts are cleaned as the
    feeds' are."""
    venue = workshop.venue
    summary = feed_text(workshop.summary(language).text)
    return GOOGLE_TEMPLATE + urlencode({
        "action": "TEMPLATE",
        "text": feed_line(workshop.title(language).text),
        "dates": f"{session.starts_at:%Y%m%dT%H%M%SZ}/{session.ends_at:%Y%m%dT%H%M%SZ}",
        "ctz": "Europe/Madrid",
        "details": "\n\n".join(part for part in (summary, workshop_url(workshop, language))
                               if part),
        "location": feed_line(f"{venue.name}, {venue.address}, Barcelona"),
    })
