"""What goes into an iCalendar feed, and how it is written (RFC 5545, RFC 7986).

Every session is one VEVENT whose UID is built from the session's id, so it is the same on
every fetch and after restarts. SEQUENCE is the workshop's counter, which the catalogue raises
on every change of time, venue or status. Cancelled workshops and removed sessions stay in
feeds for `CANCELLED_KEPT_FOR` as `STATUS:CANCELLED`, so subscribed calendars drop them
instead of keeping a ghost. No personal data goes into a public feed.
"""

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Timezone, vText, vUri
from icalendar.parser import Contentline
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import contains_eager

from workshops.catalogue.local_time import MADRID
from workshops.catalogue.models import (
    AUDIENCE_LABELS,
    RemovedSession,
    Session,
    Topic,
    Workshop,
    WorkshopStatus,
    workshop_facilitator,
)
from workshops.catalogue.queries import where_place_topic_audience
from workshops.extensions import db
from workshops.keywords import public_sms_number, register_instruction
from workshops.places.models import District, Neighbourhood, Venue

CANCELLED_KEPT_FOR = timedelta(days=30)
REFRESH_INTERVAL = timedelta(hours=6)
PRODID = "-//Internet 4all//Workshops//EN"
# Europe/Madrid as yearly rules (EU summer time, in force since 1996), not as the list of
# dates `add_missing_timezones()` writes: that list ends in a given year, and clients that
# cache a time zone by its TZID would apply one feed's short list to another's dates.
MADRID_VTIMEZONE = Timezone.from_ical(
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Madrid\r\n"
    "X-LIC-LOCATION:Europe/Madrid\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZNAME:CEST\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZNAME:CET\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n")
_MADRID_VTIMEZONE_BYTES = MADRID_VTIMEZONE.to_ical()
# RFC 5545 allows no control character in a text value but HTAB, and a line break only as
# the two characters "\n". Staff type, paste (a Word soft line break is VT) and import these
# texts, so they may hold any of them.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_SPACED_LINE_BREAKS = re.compile(r"\s*\n\s*")


def feed_text(text: str) -> str:
    """`text` for a multi-line value (DESCRIPTION). Each line break, whatever its kind (CRLF,
    a lone CR, VT, FF, NEL, LS, PS), becomes one LF, which `icalendar` escapes; every other
    control character but the tab is removed."""
    return _LINE_BREAKS.sub("\n", _CONTROLS.sub("", text))


def feed_line(text: str) -> str:
    """`text` for a single-line value (SUMMARY, LOCATION, a name): line breaks become spaces."""
    return _SPACED_LINE_BREAKS.sub(" ", feed_text(text)).strip()


@dataclass(frozen=True)
class FeedFilters:
    district: str = ""
    neighbourhood: int | None = None
    topic: str = ""
    audience: str = ""

    @property
    def active(self) -> bool:
        return bool(self.district or self.neighbourhood or self.topic or self.audience)


@dataclass(frozen=True)
class FeedEvent:
    """One VEVENT: a session, or a removed session's tombstone."""

    uid_number: int
    workshop: Workshop
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    stamp: datetime
    position: int = 0  # 1-based place in the workshop's sessions; 0 when not known


def window_start(now: datetime) -> datetime:
    """Feeds hold what ended or was cancelled since this instant. It moves once a day, so a
    feed's content (and its ETag) only changes when the catalogue does, or at midnight UTC."""
    return datetime.combine(now.date(), time.min, tzinfo=UTC) - CANCELLED_KEPT_FOR


def _in_feed(since: datetime):
    """Published workshops, and cancelled ones for a while after their cancellation."""
    return or_(Workshop.status == WorkshopStatus.PUBLISHED,
               (Workshop.status == WorkshopStatus.CANCELLED) & (Workshop.cancelled_at >= since))


def _feed_query(columns, kind, since: datetime, *conditions, eager: bool = True):
    """Sessions (kind=Session) or removed sessions (kind=RemovedSession) of the workshops a
    feed holds, joined to their places and topic; with `eager`, those are loaded too."""
    recent = kind.ends_at >= since if kind is Session else kind.removed_at >= since
    query = (select(*columns).select_from(kind).join(kind.workshop)
             .join(Workshop.venue).join(Venue.neighbourhood).join(Neighbourhood.district)
             .join(Workshop.topic).where(_in_feed(since), recent, *conditions))
    if eager:
        query = query.options(
            contains_eager(Workshop.venue).contains_eager(Venue.neighbourhood)
            .contains_eager(Neighbourhood.district),
            contains_eager(Workshop.topic))
    return query


def _events(session_rows, removed_rows) -> list[FeedEvent]:
    events = [
        FeedEvent(uid_number=session.id, workshop=workshop, starts_at=session.starts_at,
                  ends_at=session.ends_at, stamp=workshop.updated_at,
                  cancelled=workshop.status == WorkshopStatus.CANCELLED)
        for session, workshop in session_rows
    ]
    events += [
        FeedEvent(uid_number=removed.id, workshop=workshop, starts_at=removed.starts_at,
                  ends_at=removed.ends_at, stamp=max(removed.removed_at, workshop.updated_at),
                  cancelled=True)
        for removed, workshop in removed_rows
    ]
    return sorted(events, key=lambda event: (event.starts_at, event.uid_number))


def _workshops_with_places(ids: set[int]) -> dict[int, Workshop]:
    """The workshops, each with its venue, neighbourhood, district and topic, by id."""
    found, ids = {}, sorted(ids)
    for start in range(0, len(ids), 500):
        query = (select(Workshop).join(Workshop.venue).join(Venue.neighbourhood)
                 .join(Neighbourhood.district).join(Workshop.topic)
                 .where(Workshop.id.in_(ids[start:start + 500]))
                 .options(contains_eager(Workshop.venue).contains_eager(Venue.neighbourhood)
                          .contains_eager(Neighbourhood.district),
                          contains_eager(Workshop.topic)))
        found |= {workshop.id: workshop for workshop in db.session.scalars(query)}
    return found


def _feed_events(since: datetime, *conditions, filters: FeedFilters | None = None):
    """The sessions as plain rows, then each of their workshops once: loading a workshop
    with every one of its sessions' rows cost more than writing the feed."""
    def rows(kind):
        columns = [kind.id, kind.workshop_id, kind.starts_at, kind.ends_at]
        if kind is RemovedSession:
            columns.append(kind.removed_at)
        query = _feed_query(columns, kind, since, *conditions, eager=False)
        if filters:
            query = where_place_topic_audience(query, filters)
        return db.session.execute(query).all()

    sessions, removed = rows(Session), rows(RemovedSession)
    workshops = _workshops_with_places({row.workshop_id for row in (*sessions, *removed)})
    return _events([(row, workshops[row.workshop_id]) for row in sessions],
                   [(row, workshops[row.workshop_id]) for row in removed])


def public_feed_events(filters: FeedFilters, *, now: datetime) -> list[FeedEvent]:
    """The sessions a subscription to `/calendar.ics` with `filters` holds."""
    return _feed_events(window_start(now), filters=filters)


def staff_feed_events(user_id: int, *, now: datetime) -> list[FeedEvent]:
    """The sessions a staff member runs (as facilitator or organiser)."""
    runs = or_(Workshop.organiser_id == user_id,
               exists().where(workshop_facilitator.c.workshop_id == Workshop.id,
                              workshop_facilitator.c.user_id == user_id))
    return _feed_events(window_start(now), runs)


@dataclass(frozen=True)
class FeedPreview:
    total: int  # every event in the feed, past and cancelled ones included
    upcoming_total: int
    upcoming: list[FeedEvent]


def public_feed_preview(filters: FeedFilters, *, now: datetime, limit: int) -> FeedPreview:
    """What a feed holds, counted in SQL, and its next `limit` sessions."""
    since = window_start(now)

    def count(kind, *conditions) -> int:
        query = _feed_query([func.count(kind.id)], kind, since, *conditions, eager=False)
        return db.session.scalar(where_place_topic_audience(query, filters))

    upcoming = db.session.execute(where_place_topic_audience(
        _feed_query([Session, Workshop], Session, since, Session.ends_at >= now), filters)
        .order_by(Session.starts_at, Session.id).limit(limit)).all()
    return FeedPreview(total=count(Session) + count(RemovedSession),
                       upcoming_total=count(Session, Session.ends_at >= now),
                       upcoming=_events(upcoming, []))


def workshop_events(workshop: Workshop, *, now: datetime) -> list[FeedEvent]:
    """All of one workshop's sessions, for its own .ics download."""
    removed = db.session.scalars(
        select(RemovedSession).where(RemovedSession.workshop_id == workshop.id,
                                     RemovedSession.removed_at >= window_start(now))).all()
    events = _events([(session, workshop) for session in workshop.sessions],
                     [(row, workshop) for row in removed])
    positions = {session.id: number for number, session in enumerate(workshop.sessions, 1)}
    return [replace(event, position=positions.get(event.uid_number, 0)) for event in events]


def workshop_url(workshop: Workshop, language: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + url_for(
        "catalogue.detail", workshop_id=workshop.id, lang=language)


@dataclass(frozen=True)
class _WorkshopTexts:
    """What every event of one workshop shares, worked out once per build."""

    title: str
    summary: str
    cancellation: str
    sign_up: str
    url: str
    location: str
    category: str


def _workshop_texts(workshop: Workshop, language: str, sms_number: str) -> _WorkshopTexts:
    """Call inside `force_locale(language)`: fixed texts come from the catalogues."""
    instruction = register_instruction(workshop.public_code, language)
    venue = workshop.venue
    return _WorkshopTexts(
        title=workshop.title(language).text,
        summary=workshop.summary(language).text,
        cancellation=_("This workshop has been cancelled") + (
            f": {workshop.cancel_reason}" if workshop.cancel_reason else "."),
        sign_up=(_("To sign up, send %(text)s by SMS to %(number)s.", text=instruction,
                   number=sms_number) if sms_number
                 else _("To sign up by SMS, send %(text)s.", text=instruction)),
        url=workshop_url(workshop, language),
        location=f"{venue.name}, {venue.address}, {venue.neighbourhood.name}, Barcelona",
        category=workshop.topic.name(language).text,
    )


def _description(event: FeedEvent, texts: _WorkshopTexts, extra_lines) -> str:
    lines = []
    if event.cancelled:
        lines.append(texts.cancellation if event.workshop.status == WorkshopStatus.CANCELLED
                     else _("This session has been cancelled."))
    if texts.summary:
        lines.append(texts.summary)
    if event.position:
        lines.append(_("Session %(number)s of %(total)s.", number=event.position,
                       total=len(event.workshop.sessions)))
    lines.extend(extra_lines)
    if not event.cancelled:
        lines.append(texts.sign_up)
    lines.append(texts.url)
    return "\n\n".join(lines)


# The order in which `icalendar` writes these properties (its canonical order, then the
# alphabet): `_EventWriter` writes them in the same order.
EVENT_PROPERTIES = ("SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "UID", "SEQUENCE", "CATEGORIES",
                    "DESCRIPTION", "LAST-MODIFIED", "LOCATION", "STATUS", "TRANSP", "URL")
_CRLF = b"\r\n"
# `icalendar` folds a line once it would reach 75 octets; a shorter line is written as it is.
_FOLD_AT = 75


def _utc_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return (f"{moment.year:04}{moment.month:02}{moment.day:02}"
            f"T{moment.hour:02}{moment.minute:02}{moment.second:02}Z")


def _local_time(moment: datetime) -> str:
    moment = moment.astimezone(MADRID)
    return (f"{moment.year:04}{moment.month:02}{moment.day:02}"
            f"T{moment.hour:02}{moment.minute:02}{moment.second:02}")


class _EventWriter:
    """Each VEVENT exactly as `icalendar` writes it (`Event.add` of the same values, then
    `to_ical`; the tests compare the two byte for byte), at a tenth of the cost: the texts a
    workshop's sessions share are escaped and folded once per build, with `icalendar`'s own
    `vText` and `Contentline`, and the times and numbers are formatted directly. Building a
    5,000-session feed through `Event` objects took 3 s, nine tenths of it in `icalendar`."""

    def __init__(self, uid_domain: str):
        self._lines: dict[tuple[str, str], bytes] = {}
        self._uid_suffix = "@" + self._escaped(uid_domain)

    @staticmethod
    def _escaped(text: str) -> str:
        return vText(text).to_ical().decode()

    @staticmethod
    def _line(text: str) -> bytes:
        encoded = text.encode()
        if len(encoded) < _FOLD_AT:
            return encoded + _CRLF
        return Contentline(text).to_ical() + _CRLF

    def _text(self, name: str, value: str) -> bytes:
        key = (name, value)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = self._line(f"{name}:{self._escaped(value)}")
        return line

    def _raw(self, name: str, value: str) -> bytes:
        key = (name, value)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = self._line(f"{name}:{value}")
        return line

    def vevent(self, event: FeedEvent, texts: "_WorkshopTexts", extra_lines) -> bytes:
        summary = feed_line(_("Cancelled: %(title)s", title=texts.title)
                            if event.cancelled else texts.title)
        stamp = _utc_time(event.stamp)
        return b"".join((
            b"BEGIN:VEVENT\r\n",
            self._text("SUMMARY", summary),
            self._line(f"DTSTART;TZID={MADRID.key}:{_local_time(event.starts_at)}"),
            self._line(f"DTEND;TZID={MADRID.key}:{_local_time(event.ends_at)}"),
            self._raw("DTSTAMP", stamp),
            self._line(f"UID:session-{event.uid_number}{self._uid_suffix}"),
            self._raw("SEQUENCE", str(int(event.workshop.sequence))),
            self._text("CATEGORIES", feed_line(texts.category)),
            self._text("DESCRIPTION", feed_text(_description(event, texts, extra_lines))),
            self._raw("LAST-MODIFIED", stamp),
            self._text("LOCATION", feed_line(texts.location)),
            self._raw("STATUS", "CANCELLED" if event.cancelled else "CONFIRMED"),
            self._raw("TRANSP", "OPAQUE"),
            self._raw("URL", vUri(texts.url).to_ical().decode()),
            b"END:VEVENT\r\n",
        ))


def calendar(name: str, description: str, language: str, events: list[FeedEvent],
             extra_lines=None) -> bytes:
    """The whole VCALENDAR, CRLF lines folded at 75 octets (done by `icalendar`).

    Every text goes through `feed_line` or `feed_text`. The names and the X-WR-CALDESC are
    given as `vText`: `icalendar` does not know those properties and would write them
    unescaped, so one line break in a workshop's title would end the line (and the request,
    in an assertion of `icalendar`).
    """
    with force_locale(language):
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("name", vText(feed_line(name)))
        cal.add("x-wr-calname", vText(feed_line(name)))
        cal.add("description", feed_text(description))
        cal.add("x-wr-caldesc", vText(feed_text(description)))
        cal.add("x-wr-timezone", "Europe/Madrid")
        cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT6H")
        sms_number = public_sms_number()
        writer = _EventWriter(current_app.config["CALENDAR_UID_DOMAIN"])
        texts: dict[int, _WorkshopTexts] = {}
        written = []
        for event in events:
            workshop = event.workshop
            if workshop.id not in texts:
                texts[workshop.id] = _workshop_texts(workshop, language, sms_number)
            written.append(writer.vevent(event, texts[workshop.id],
                                         extra_lines(event) if extra_lines else ()))
        head, end = cal.to_ical().rsplit(b"END:VCALENDAR", 1)
        if events:
            written.append(_MADRID_VTIMEZONE_BYTES)
        return b"".join((head, *written, b"END:VCALENDAR", end))


def feed_name(filters: FeedFilters, language: str) -> tuple[str, str]:
    """The calendar's name and description, saying what is in it, in `language`."""
    parts = []
    if filters.neighbourhood:
        place = db.session.scalar(select(Neighbourhood.name)
                                  .where(Neighbourhood.code == filters.neighbourhood))
        parts.append(place or "")
    elif filters.district:
        parts.append(db.session.scalar(select(District.name)
                                       .where(District.code == filters.district)) or "")
    with force_locale(language):
        if filters.topic:
            topic = db.session.scalar(select(Topic).where(Topic.key == filters.topic))
            if topic:
                parts.append(topic.name(language).text)
        if filters.audience:
            parts.append(str(AUDIENCE_LABELS[filters.audience]))
        base = _("Internet 4all workshops")
        name = " · ".join([base, *[part for part in parts if part]])
        description = _("Free digital skills workshops in Barcelona's neighbourhoods.")
    return name, description
