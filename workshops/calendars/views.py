"""Calendar feeds (public and private), the calendars pages and the schedule export."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.http import http_date, is_resource_modified

from workshops import built_documents
from workshops.accounts.access import role_required
from workshops.accounts.models import Role, User
from workshops.calendars import bp, feeds
from workshops.calendars.feeds import (
    FeedFilters,
    calendar,
    feed_name,
    public_feed_events,
    public_feed_preview,
    staff_feed_events,
    window_start,
    workshop_events,
)
from workshops.calendars.forms import FeedFilterForm, ScheduleExportForm
from workshops.calendars.schedule_export import schedule_rows, waiting_counts
from workshops.catalogue.models import WorkshopStatus
from workshops.catalogue.queries import public_workshop
from workshops.catalogue.version import calendar_state
from workshops.clock import local_today
from workshops.config import PROJECT_ROOT
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.forms import ActionForm
from workshops.i18n import current_language
from workshops.spreadsheets import csv_download

ALL_STAFF = tuple(Role)
CALENDAR_TYPE = "text/calendar; charset=utf-8"
PREVIEW_LENGTH = 15
FILTER_KEYS = ("district", "neighbourhood", "topic", "audience")
SCHEDULE_FILE_NAMES = {"ca": "calendari", "es": "calendario", "en": "schedule"}
# Part of every public ETag: raise it when the way feeds are written changes.
FEED_FORMAT = "1"
FEED_KIND = "calendar"


@cache
def _written_by() -> str:
    """The code that writes feeds and the compiled translations of their texts, as this
    process has them: built feeds are shared between processes (and nodes), and one that
    runs newer code or texts must not serve what an older one built, nor the other way."""
    digest = hashlib.sha256(Path(feeds.__file__).read_bytes())
    for compiled in sorted((PROJECT_ROOT / "translations").glob("*/LC_MESSAGES/*.mo")):
        digest.update(compiled.read_bytes())
    return digest.hexdigest()[:16]


def _feed_language() -> str:
    """`?lang=` picks the language of the texts in a feed; a feed never sets a cookie."""
    language = current_language()
    g.pop("language_to_remember", None)
    return language


def _valid_filters(args) -> FeedFilters:
    """Only values that exist count; anything else is ignored, as on the listing."""
    form = FeedFilterForm(args)
    form.fill_choices(current_language())
    neighbourhood = form.valid_choice("neighbourhood")
    return FeedFilters(district=form.valid_choice("district"),
                       neighbourhood=int(neighbourhood) if neighbourhood else None,
                       topic=form.valid_choice("topic"), audience=form.valid_choice("audience"))


def _public_calendar_response(cache_key: tuple, build, shared: bool = True) -> Response:
    """A public calendar with ETag and Last-Modified. A matching conditional request gets 304
    before anything is built; a full one is built once per calendar version and day, for
    every process (`built_documents`), when `shared`; a small one (a workshop's) each time."""
    now = utcnow()
    version, changed_at = calendar_state()
    # Content depends on the catalogue and on the day (what fell out of the window).
    last_modified = max(changed_at, window_start(now) + timedelta(days=30)).replace(
        microsecond=0)
    generation = (FEED_FORMAT, _written_by(), version, window_start(now).date().isoformat())
    key = (*generation, current_app.config["PUBLIC_BASE_URL"],
           current_app.config["TWILIO_FROM_NUMBER"], *cache_key)
    etag = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    headers = {"ETag": f'"{etag}"', "Last-Modified": http_date(last_modified),
               "Cache-Control": "public, no-cache", "Vary": "Accept-Language, Cookie"}
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return Response(status=304, headers=headers)
    if shared:
        body = built_documents.shared(
            FEED_KIND, etag, hashlib.sha256(repr(generation).encode()).hexdigest()[:32], build)
    else:
        body = build()
    return Response(body, content_type=CALENDAR_TYPE, headers=headers)


@bp.get("/calendar.ics")
def feed():
    language = _feed_language()
    # The filters as asked for: checking them costs queries a 304 does not need.
    asked = tuple(request.args.get(key, "")[:40] for key in FILTER_KEYS)

    def build() -> bytes:
        filters = _valid_filters(request.args)
        name, description = feed_name(filters, language)
        return calendar(name, description, language,
                        public_feed_events(filters, now=utcnow()))

    return _public_calendar_response(("feed", language, asked), build)


@bp.get("/workshops/<int:workshop_id>.ics")
def workshop_calendar(workshop_id: int):
    language = _feed_language()
    workshop = public_workshop(workshop_id)
    if workshop is None or workshop.status == WorkshopStatus.DRAFT:
        abort(404)

    def build() -> bytes:
        title = workshop.title(language).text
        return calendar(title, workshop.summary(language).text, language,
                        workshop_events(workshop, now=utcnow()))

    response = _public_calendar_response(("workshop", workshop.id, language), build,
                                         shared=False)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="workshop-{workshop.public_code}.ics"')
    return response


@bp.get("/calendar/staff/<token>.ics")
def staff_feed(token: str):
    """A staff member's own sessions, for their calendar app. The token is the secret; the
    feed shows how full each session is but never who registered."""
    language = _feed_language()
    user = db.session.scalar(select(User).where(User.calendar_token == token,
                                                User.active.is_(True)))
    if user is None or not token:
        abort(404)
    events = staff_feed_events(user.id, now=utcnow())
    waiting = waiting_counts({event.workshop.id for event in events})

    def counts(event) -> list[str]:
        workshop = event.workshop
        return [_("Registered: %(taken)s of %(capacity)s places. Waiting list: %(waiting)s.",
                  taken=workshop.seats_taken, capacity=workshop.capacity,
                  waiting=waiting.get(workshop.id, 0))]

    with_language = _("My sessions (%(name)s)", name=user.name)
    body = calendar(with_language, _("The workshop sessions you run."), language, events,
                    extra_lines=counts)
    response = Response(body, content_type=CALENDAR_TYPE,
                        headers={"Cache-Control": "private, no-cache",
                                 "Referrer-Policy": "no-referrer",
                                 "X-Robots-Tag": "noindex"})
    response.add_etag()
    return response.make_conditional(request)


def feed_links(filters: FeedFilters, language: str) -> dict[str, str]:
    query = {key: value for key, value in (
        ("district", filters.district), ("neighbourhood", filters.neighbourhood or ""),
        ("topic", filters.topic), ("audience", filters.audience), ("lang", language)) if value}
    https = current_app.config["PUBLIC_BASE_URL"] + url_for("calendars.feed") + "?" + urlencode(
        query)
    webcal = "webcal://" + https.split("://", 1)[1]
    google = "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal})
    return {"https": https, "webcal": webcal, "google": google}


def _calendar_builder():
    page_language = current_language()
    form = FeedFilterForm(request.args)
    form.fill_choices(page_language)
    filters = _valid_filters(request.args)
    language = request.args.get("feed_lang", "")
    if language not in current_app.config["LANGUAGES"]:
        language = page_language
    form.feed_lang.data = language
    preview = public_feed_preview(filters, now=utcnow(), limit=PREVIEW_LENGTH)
    name, _description = feed_name(filters, language)
    return {"form": form, "filters": filters, "links": feed_links(filters, language),
            "feed_title": name, "total": preview.total,
            "upcoming_total": preview.upcoming_total, "preview": preview.upcoming,
            "lang": page_language}


@bp.get("/calendars")
def calendars_page():
    return render_template("calendars/calendars.html", staff=False, **_calendar_builder())


def _staff_calendars_page(export_form: ScheduleExportForm, status: int = 200):
    context = _calendar_builder() if current_user.has_role(Role.COORDINATOR) else {
        "lang": current_language()}
    token = current_user.calendar_token
    own_feed = (current_app.config["PUBLIC_BASE_URL"]
                + url_for("calendars.staff_feed", token=token) if token else "")
    return render_template(
        "calendars/staff_calendars.html", staff=True, export_form=export_form,
        own_feed=own_feed, own_feed_webcal=own_feed and "webcal://" + own_feed.split("://", 1)[1],
        token_form=ActionForm(), **context), status


def _default_export_form() -> ScheduleExportForm:
    today = local_today()
    return ScheduleExportForm(formdata=None, date_from=today, date_to=today + timedelta(days=90))


@bp.get("/staff/calendars")
@role_required(*ALL_STAFF)
def staff_calendars():
    return _staff_calendars_page(_default_export_form())


@bp.post("/staff/calendars/my-link")
@role_required(*ALL_STAFF)
def replace_own_feed_link():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    had_one = current_user.calendar_token is not None
    current_user.calendar_token = secrets.token_urlsafe(32)
    db.session.commit()
    flash(_("Here is your new calendar link. The old one no longer works.") if had_one
          else _("Your calendar link is ready."), "success")
    return redirect(url_for("calendars.staff_calendars", _anchor="own-calendar"))


@bp.get("/staff/calendars/schedule.csv")
@role_required(Role.COORDINATOR)
def schedule_csv():
    # Without dates (a bookmarked link), the next three months.
    form = ScheduleExportForm(request.args) if request.args.keys() - {"lang"} else (
        _default_export_form())
    if not form.validate():
        return _staff_calendars_page(form, 422)
    language = current_language()
    header = [_("Date"), _("Start"), _("End"), _("Workshop"), _("SMS code"), _("Status"),
              _("Topic"), _("Venue"), _("Neighbourhood"), _("District"), _("Facilitators"),
              _("Registered"), _("Capacity"), _("Waiting list")]
    rows = schedule_rows(form.date_from.data, form.date_to.data, language)
    name = SCHEDULE_FILE_NAMES.get(language, "schedule")
    filename = f"{name}-{form.date_from.data.isoformat()}-{form.date_to.data.isoformat()}.csv"
    return csv_download(header, rows, filename)

