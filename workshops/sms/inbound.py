"""Answering an incoming SMS. One function per keyword; each returns the reply text.

Registrations go through the same service as the web, so capacity, the waiting list and
the duplicate rule are the same whatever the channel.
"""

from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale, format_percent
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from workshops.catalogue.models import Workshop, WorkshopStatus
from workshops.db_types import UTCDateTime
from workshops.extensions import db
from workshops.i18n import default_language
from workshops.keywords import keyword
from workshops.notifications import redaction, texts
from workshops.notifications.segments import MAX_SEGMENTS, segments
from workshops.outcomes import certificates, follow_ups
from workshops.outcomes.models import ANSWER_LABELS, Answer
from workshops.places.models import Neighbourhood
from workshops.registrations import services as registrations
from workshops.registrations.models import Channel, Registration, RegistrationStatus, Resident
from workshops.registrations.phones import InvalidPhone, Phone, parse_phone
from workshops.registrations.services import RegistrationError, ResidentDetails
from workshops.sms.areas import match_area
from workshops.sms.commands import Command, parse
from workshops.sms.listing import open_workshops_reply
from workshops.sms.models import InboundMessage


def handle(message_sid: str, from_phone: str, body: str, *, now: datetime) -> str | None:
    """Process one incoming SMS once; a redelivery gets the first reply again.

    The webhook has checked the parameters' shape and length (see views.inbound). The
    message is stored once, with what was done and answered, when all else is done: the
    same message delivered twice at once fails there (its id is unique), and the caller
    answers it as a redelivery (see views.inbound)."""
    seen_id, recent = db.session.execute(_arrival_statement(), {
        "sid": message_sid, "sender": from_phone, "since": now - timedelta(hours=1)}).one()
    if seen_id is not None:
        return _replayed(db.session.get(InboundMessage, seen_id), now)
    inbound = InboundMessage(message_sid=message_sid, from_phone=from_phone, body=body or "",
                             received_at=now)
    # After too many messages in an hour, stop answering for a while (the bill). The
    # count includes this message.
    if recent + 1 > current_app.config["SMS_INBOUND_LIMIT_PER_HOUR"]:
        inbound.action = "limited"
        db.session.add(inbound)
        db.session.flush()
        return None
    command = parse(body)
    inbound.action = command.action
    reply = _answer(command, from_phone, now)
    # The reply goes out with its link; what is kept of it has the token cut out.
    inbound.reply = redaction.without_link_tokens(reply)
    db.session.add(inbound)
    db.session.flush()
    return reply


@cache
def _arrival_statement():
    """Whether this message was seen already, and how many the sender sent in the last
    hour: one statement."""
    return select(
        select(InboundMessage.id).where(InboundMessage.message_sid == bindparam("sid"))
        .scalar_subquery(),
        select(func.count()).select_from(InboundMessage).where(
            InboundMessage.from_phone == bindparam("sender"),
            InboundMessage.received_at > bindparam("since", type_=UTCDateTime))
        .scalar_subquery(),
    )


def _replayed(seen: InboundMessage, now: datetime) -> str | None:
    """The first reply again, for a redelivery. Its link was stored cut (see
    `without_link_tokens`), so a sign-up's or a certificate's reply gets a new link to the
    same registration: the first reply may never have reached the phone."""
    reply = seen.reply or None
    cut = redaction.without_link_tokens(texts.link_address("x"))
    if reply is None or cut not in reply:
        return reply
    command = parse(seen.body)
    resident = _resident_for(seen.from_phone, now, create=False)
    if command.action == "certificate" and resident is not None:
        return _certificate(command, resident, command.language or resident.preferred_language,
                            seen.from_phone, now)
    workshop = _workshop_by_code(command.argument, now) if command.action == "register" \
        else None
    if workshop is None or resident is None:
        return reply
    registration = db.session.scalar(select(Registration).where(
        Registration.workshop_id == workshop.id, Registration.resident_id == resident.id))
    if registration is None:
        return reply
    return reply.replace(cut, texts.manage_link(registration, now), 1)


def _resident_for(from_phone: str, now: datetime, create: bool,
                  phone: Phone | None = None) -> Resident | None:
    if phone is None:
        try:
            phone = parse_phone(from_phone)
        except InvalidPhone:
            return None
    resident = db.session.scalar(select(Resident).where(Resident.phone == phone.e164))
    if resident is None and create:
        resident = Resident(phone=phone.e164, phone_takes_sms=True, created_at=now,
                            preferred_language=default_language())
        db.session.add(resident)
        db.session.flush()
    return resident


def _answer(command: Command, from_phone: str, now: datetime) -> str | None:
    try:
        phone = parse_phone(from_phone)
    except InvalidPhone:
        return None  # not a phone we could ever text back (short codes, alphanumeric ids)
    resident = _resident_for(from_phone, now, create=command.action in (
        "register", "stop", "name", "area"), phone=phone)
    if resident is not None:
        resident.last_message_at = now  # activity: see workshops.privacy.retention
    language = command.language or (
        resident.preferred_language if resident else default_language())
    handler = HANDLERS.get(command.action, _help)
    if resident is not None and resident.sms_opted_out and command.action != "start":
        # Nothing is ever sent to an opted-out phone, but leaving still frees the place
        # for the next person waiting.
        if command.action in DONE_WITHOUT_REPLY:
            handler(command, resident, language, from_phone, now)
        return None
    if resident is not None and command.language:
        resident.preferred_language = command.language
    return handler(command, resident, language, from_phone, now)


def _say(language: str, template_fn, **values) -> str:
    return texts.render(language, template_fn, **values)


def _register(command, resident, language, from_phone, now):
    if not command.argument:
        return _say(language, lambda: _("send %(keyword)s and the workshop code, e.g. "
                                        "%(keyword)s 123."),
                    keyword=keyword("register", language))
    workshop = _workshop_by_code(command.argument, now)
    if workshop is None:
        return _unknown_code(command.argument, language)
    phone = parse_phone(from_phone)
    try:
        registration = registrations.register(
            workshop.id, ResidentDetails(phone=phone, name="", preferred_language=language,
                                         sms_consent=True),
            channel=Channel.SMS, now=now, notify=False)
    except RegistrationError as error:
        return _registration_problem(error, workshop, language, now)
    if registration.status == RegistrationStatus.CONFIRMED:
        reply = texts.confirmed(registration, now)
        if not registration.resident.name:
            with_question = f"{reply} {_ask_name(language)}"
            if segments(with_question) <= MAX_SEGMENTS:
                reply = with_question
        return reply
    return _say(language, lambda: _(
        "%(title)s is full. You are number %(position)s on the waiting list; we will text "
        "you if a place is freed."), title=workshop.title(language).text,
        position=registrations.waitlist_position(registration))


def _ask_name(language):
    with force_locale(language):
        return _("Send %(keyword)s and your name.", keyword=keyword("name", language))


def _workshop_by_code(code: str, now: datetime) -> Workshop | None:
    return db.session.scalar(
        select(Workshop).where(
            Workshop.public_code == code,
            Workshop.status != WorkshopStatus.DRAFT,
            Workshop.last_session_ends_at >= now,
        ).order_by(Workshop.status != WorkshopStatus.PUBLISHED).limit(1))


def _unknown_code(code, language):
    return _say(language, lambda: _(
        "there is no open workshop with the code %(code)s. Send %(keyword)s to see "
        "workshops near you."), code=code, keyword=keyword("find", language))


def _registration_problem(error, workshop, language, now):
    title = workshop.title(language).text
    if error.code == "already_registered":
        return _say(language, lambda: _("you are already registered for %(title)s. %(link)s"),
                    title=title, link=texts.manage_link(error.registration, now))
    if error.code == "workshop_cancelled":
        return _say(language, lambda: _("sorry, %(title)s has been cancelled."), title=title)
    return _say(language, lambda: _("registration for %(title)s is closed."), title=title)


def _cancel(command, resident, language, from_phone, now):
    registration = None
    if resident is not None and command.argument:
        registration = db.session.scalar(
            select(Registration).join(Workshop).where(
                Registration.resident_id == resident.id,
                Workshop.public_code == command.argument,
                Registration.status != RegistrationStatus.CANCELLED,
                Workshop.last_session_ends_at >= now))
    if registration is not None:
        try:
            registrations.cancel(registration, now=now)
        except RegistrationError:  # cancelled a moment ago by another message or the web
            registration = None
    if registration is None:
        return _say(language, lambda: _(
            "you have no place in a workshop with the code %(code)s. Send %(keyword)s to see "
            "yours."), code=command.argument or "—", keyword=keyword("mine", language))
    return _say(language, lambda: _(
        "your place at %(title)s is cancelled. Thank you for letting us know."),
        title=registration.workshop.title(language).text)


def _find(command, resident, language, from_phone, now):
    area = None
    if command.argument:
        area = match_area(command.argument)
        if area is None:
            return _say(language, lambda: _(
                "we do not know the area %(area)s. Try a neighbourhood, e.g. %(keyword)s "
                "Raval."), shrink=("area",), area=command.argument[:40],
                keyword=keyword("find", language))
    elif resident is not None and resident.home_neighbourhood is not None:
        area = resident.home_neighbourhood
    return open_workshops_reply(area, language, now)


def _mine(command, resident, language, from_phone, now):
    upcoming = []
    if resident is not None:
        upcoming = db.session.scalars(
            select(Registration).join(Workshop).where(
                Registration.resident_id == resident.id,
                Registration.status != RegistrationStatus.CANCELLED,
                Workshop.status == WorkshopStatus.PUBLISHED,
                Workshop.last_session_ends_at >= now)
            .order_by(Workshop.first_session_starts_at)).all()
    if not upcoming:
        return _say(language, lambda: _(
            "you have no upcoming workshops. Send %(keyword)s to find one."),
            keyword=keyword("find", language))
    parts = []
    with force_locale(language):
        for registration in upcoming[:3]:
            workshop = registration.workshop
            state = "" if registration.status == RegistrationStatus.CONFIRMED else (
                " " + _("(waiting list)"))
            parts.append(f"{workshop.public_code} {workshop.title(language).text} "
                         f"{texts.when(workshop.upcoming_sessions(now)[0].starts_at)}{state}")
    return _say(language, lambda: _("your workshops: %(list)s. To cancel send %(keyword)s and "
                                    "the code."), shrink=("list",), list="; ".join(parts),
                keyword=keyword("cancel", language))


def _name(command, resident, language, from_phone, now):
    name = command.argument.strip()[:120]
    if not name:
        return _ask_name_reply(language)
    resident.name = name
    return _say(language, lambda: _(
        "thank you, %(name)s. Send %(keyword)s and your neighbourhood, e.g. %(keyword)s "
        "Raval."), shrink=("name",), name=name, keyword=keyword("area", language))


def _ask_name_reply(language):
    return _say(language, lambda: _("send %(keyword)s and your name, e.g. %(keyword)s Maria."),
                keyword=keyword("name", language))


def _area(command, resident, language, from_phone, now):
    area = match_area(command.argument) if command.argument else None
    if not isinstance(area, Neighbourhood):
        return _say(language, lambda: _(
            "we do not know the neighbourhood %(area)s. Send %(keyword)s and its name, e.g. "
            "%(keyword)s Trinitat Nova."), shrink=("area",),
            area=(command.argument or "—")[:40], keyword=keyword("area", language))
    resident.home_neighbourhood = area
    resident.lives_outside_barcelona = False
    return _say(language, lambda: _("thank you. Your neighbourhood: %(area)s."), area=area.name)


def _stop(command, resident, language, from_phone, now):
    if resident is None:
        return None
    resident.sms_opted_out = True
    registrations.set_sms_consent(resident, False, now=now)
    return _say(language, lambda: _(
        "you will not receive more messages. To receive them again send %(keyword)s."),
        keyword=keyword("start", language))


def _start(command, resident, language, from_phone, now):
    if resident is None:
        return _help(command, resident, language, from_phone, now)
    resident.sms_opted_out = False
    registrations.set_sms_consent(resident, True, now=now)
    return _say(language, lambda: _(
        "you will receive messages again. Send %(keyword)s for help."),
        keyword=keyword("help", language))


def _help(command, resident, language, from_phone, now):
    return _say(language, lambda: _(
        "free digital skills workshops. %(join)s 123 to sign up, %(leave)s 123 to cancel, "
        "%(find)s to see workshops, %(mine)s for yours, STOP to stop messages."),
        join=keyword("register", language), leave=keyword("cancel", language),
        find=keyword("find", language), mine=keyword("mine", language))


def _answer_question(command, resident, language, from_phone, now):
    """A number, or its words, answering the follow-up question; without a question open,
    the help as for any unknown text."""
    follow_up = follow_ups.open_question(resident, now=now) if resident else None
    if follow_up is None:
        return _help(command, resident, language, from_phone, now)
    answer = Answer(int(command.argument))
    recorded = follow_ups.record_answer(follow_up, answer, now=now)
    if recorded == follow_ups.Recorded.KEPT:
        return _say(language, lambda: _(
            "thank you. We already have your answer to this question, from more than a "
            "week ago."))
    return _say(language, lambda: _("thank you for your answer: %(answer)s."),
                answer=lambda: str(ANSWER_LABELS[answer]))


def _certificate(command, resident, language, from_phone, now):
    """A personal link to the certificate of her latest workshop that earns one (or of
    the workshop whose code she sent)."""
    mine = []
    if resident is not None:
        query = select(Registration).join(Workshop).where(
            Registration.resident_id == resident.id)
        if command.argument:
            query = query.where(Workshop.public_code == command.argument)
        mine = db.session.scalars(query).all()
    registration = certificates.latest_available(mine, now=now)
    if registration is None:
        return _say(language, lambda: _(
            "you have no certificate yet. There is one for each workshop where you came to "
            "at least %(share)s of the sessions."),
            share=lambda: format_percent(float(certificates.minimum_share())))
    return _say(language, lambda: _("your certificate for %(title)s: %(link)s"),
                title=registration.workshop.title(language).text,
                link=texts.manage_link(registration, now) + "/certificate")


# What an opted-out phone can still do (silently): free a place.
DONE_WITHOUT_REPLY = {"cancel"}
HANDLERS = {
    "register": _register, "cancel": _cancel, "find": _find, "mine": _mine, "name": _name,
    "area": _area, "stop": _stop, "start": _start, "help": _help,
    "answer": _answer_question, "certificate": _certificate,
}
