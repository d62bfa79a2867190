"""Public pages: the listing, a workshop's page and its printable poster. No JavaScript."""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import abort, current_app, get_template_attribute, render_template, request, url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from workshops.boundary import parse_page
from workshops.catalogue import bp
from workshops.catalogue.cards import cards
from workshops.catalogue.forms import ListingFilterForm
from workshops.catalogue.models import (
    Workshop,
    WorkshopStatus,
)
from workshops.catalogue.queries import (
    ListingFilters,
    public_workshop,
    upcoming_refs,
)
from workshops.catalogue.services import can_edit
from workshops.catalogue.version import calendar_version
from workshops.clock import local_today
from workshops.db_types import utcnow
from workshops.i18n import current_language
from workshops.keywords import public_sms_number, register_instruction
from workshops.pagecache import PageCache, cached_for_visitors, cached_with_holes
from workshops.places.geo import NotAPoint, Point, neighbourhood_centre, parse_point


def _filter_form(lang: str) -> ListingFilterForm:
    form = ListingFilterForm(request.args)
    form.fill_choices(lang)
    return form


@dataclass(frozen=True)
class Chip:
    """An active filter, shown as a link that drops it."""

    label: str
    remove_url: str


def _given_point() -> Point | None:
    try:
        return parse_point(request.args.get("near", ""))
    except NotAPoint:
        return None


def filters_from(form: ListingFilterForm) -> ListingFilters:
    """Only values the form offers count; anything else is ignored, never an error page.
    Distances are measured from the point the resident gave, else her neighbourhood's centre."""
    form.validate()
    neighbourhood = form.valid_choice("neighbourhood")
    page = request.args.get("page", "1")
    near = _given_point() or (neighbourhood_centre(int(neighbourhood)) if neighbourhood else None)
    return ListingFilters(
        district=form.valid_choice("district"),
        neighbourhood=int(neighbourhood) if neighbourhood else None,
        topic=form.valid_choice("topic"),
        language=form.valid_choice("language"),
        audience=form.valid_choice("audience"),
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
        step_free=bool(form.step_free.data),
        free_seats=bool(form.free_seats.data),
        page=parse_page(page),
        near=near,
    )


def _url_without(*names: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in (*names, "page")]
    return url_for("catalogue.listing") + ("?" + urlencode(args) if args else "")


def _chips(form: ListingFilterForm, filters: ListingFilters, near_given: bool) -> list[Chip]:
    def choice_label(name: str, value) -> str:
        return next(str(c.label) for c in form[name].choices if str(c.value) == str(value))

    chips = []
    if near_given:
        chips.append(Chip(_("Near the place you gave"), _url_without("near")))
    for name in ("neighbourhood", "district", "topic", "language", "audience"):
        value = getattr(filters, name)
        if value:
            chips.append(Chip(f"{form[name].label.text}: {choice_label(name, value)}",
                              _url_without(name)))
    for name in ("date_from", "date_to"):
        day = getattr(filters, name)
        if day:
            chips.append(Chip(f"{form[name].label.text}: {format_date(day, 'long')}",
                              _url_without(name)))
    for name in ("step_free", "free_seats"):
        if getattr(filters, name):
            chips.append(Chip(str(form[name].label.text), _url_without(name)))
    return chips


# What the listing's own addresses carry; anything else (a tracker's utm_source, say) is
# not carried on by its forms.
LISTING_ARGS = frozenset({"lang", "near", "neighbourhood", "district", "topic", "language",
                          "audience", "date_from", "date_to", "step_free", "free_seats"})
MAX_PANEL_BYTES = 2 * 1024 * 1024


def filter_panel(form, filters, near_given: bool) -> Markup:
    """The folded filters, kept by language, places version, day (the date fields' range)
    and the filter values asked for: a new page of the same filters, or the first listing
    after a sign-up, then renders no form."""
    kept_args = [(k, v) for k, v in request.args.items(multi=True) if k in LISTING_ARGS]
    key = (current_language(), calendar_version(), local_today(), tuple(sorted(kept_args)))
    cache = current_app.extensions.setdefault("filter_panels",
                                              PageCache(max_bytes=MAX_PANEL_BYTES))
    panel = cache.get(key)
    if panel is None:
        render = get_template_attribute("catalogue/_filters.html", "filters_panel")
        panel = render(form, filters, near_given, [(k, v) for k, v in kept_args if k != "near"])
        cache.put(key, panel)
    return panel


@bp.get("/workshops")
@cached_for_visitors
def listing():
    lang = current_language()
    form = _filter_form(lang)
    filters = filters_from(form)
    near_given = _given_point() is not None
    location_unreadable = bool(request.args.get("near")) and not near_given
    now = utcnow()
    result = upcoming_refs(filters, now=now)
    args = request.args.to_dict(flat=True)
    args.pop("page", None)

    def page_url(number: int) -> str:
        return url_for("catalogue.listing", **args, page=number)

    return render_template("catalogue/listing.html", form=form, filters=filters, result=result,
                           cards=cards(result.workshops, lang, now, distances=result.distances),
                           lang=lang, page_url=page_url,
                           chips=_chips(form, filters, near_given), near_given=near_given,
                           location_unreadable=location_unreadable,
                           filter_panel=filter_panel(form, filters, near_given))


@bp.app_template_global()
def course_length(workshop: Workshop) -> str:
    """"4 sessions, 8 hours in all": computed from the sessions, never typed by organisers."""
    sessions = ngettext("%(num)s session", "%(num)s sessions", len(workshop.sessions))
    hours = workshop.total_duration.total_seconds() / 3600
    # Plural forms count whole numbers; 1.5 hours reads like 2 in ca, es and en.
    total = ngettext("%(hours)s hour in all", "%(hours)s hours in all", 1 if hours == 1 else 2,
                     hours=format_decimal(round(hours, 1), "0.#"))
    return f"{sessions}, {total}"


def _visible_workshop(workshop_id: int) -> Workshop:
    workshop = public_workshop(workshop_id) or abort(404)
    if workshop.status == WorkshopStatus.DRAFT and not (
        current_user.is_authenticated and can_edit(current_user, workshop)
    ):
        abort(404)
    return workshop


@bp.get("/workshops/<int:workshop_id>")
@cached_with_holes
def detail(workshop_id: int):
    workshop = _visible_workshop(workshop_id)
    lang = current_language()
    return render_template(
        "catalogue/detail.html", workshop=workshop, lang=lang, now=utcnow(),
        sms_number=public_sms_number(),
        sms_text=register_instruction(workshop.public_code, lang),
    )


@bp.get("/workshops/<int:workshop_id>/poster")
def poster(workshop_id: int):
    workshop = _visible_workshop(workshop_id)
    lang = current_language()
    # The address printed on paper must be the public one, whoever prints it and from where.
    page_url = current_app.config["PUBLIC_BASE_URL"] + url_for("catalogue.detail",
                                                               workshop_id=workshop.id)
    import segno  # only posters draw QR codes: not loaded in every worker at start

    qr_svg = segno.make(page_url, error="m").svg_inline(
        scale=6, border=2, omitsize=True, title=workshop.title(lang).text, svgclass="poster-qr")
    return render_template(
        "catalogue/poster.html", workshop=workshop, lang=lang, now=utcnow(),
        sms_number=public_sms_number(),
        sms_text=register_instruction(workshop.public_code, lang),
        page_url=page_url, qr_svg=qr_svg,
    )


def next_workshop_cards(lang: str, limit: int = 6) -> list[Markup]:
    now = utcnow()
    return cards(upcoming_refs(ListingFilters(), now=now, per_page=limit, counted=False).workshops,
                 lang, now)
