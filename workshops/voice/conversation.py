"""The call, step by step. Each step says something and gathers one key; the key comes
back to the step's own URL (`/voice/<step>?…`), which answers with the next step.

What a step needs to know travels in its URL (signed by Twilio with the rest), so a step
is answered from its URL and the key alone. Each URL carries the call's step number `n`:
a request answered before (Twilio retries on a timeout) gets the stored answer again
and changes nothing twice (see `answer`).

Silence or a key that is not offered says the step again once (`tries`), then goodbye.
Registering and cancelling use the same services as the web and SMS.
"""

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from twilio.twiml.voice_response import Gather, VoiceResponse

from workshops.catalogue.models import Workshop, WorkshopStatus
from workshops.catalogue.queries import ListingFilters, upcoming_workshops
from workshops.extensions import db
from workshops.i18n import default_language, languages
from workshops.places.models import District
from workshops.registrations import services as registrations
from workshops.registrations.models import Channel, Registration, RegistrationStatus, Resident
from workshops.registrations.phones import InvalidPhone, Phone, parse_phone
from workshops.registrations.services import RegistrationError, ResidentDetails
from workshops.registrations.signals import registered
from workshops.voice.models import CallbackRequest, CallbackStatus, VoiceCall, VoiceStep
from workshops.voice.speech import VOICES, spoken_code, spoken_day, spoken_time

# How long a step waits for a key, in seconds.
GATHER_SECONDS = 6
DISTRICTS_AT_A_TIME = 3
MORE = "9"
# What Twilio sends as `From` when the caller hides her number (besides nothing at all).
HIDDEN_NUMBERS = {"anonymous", "+266696687", "restricted", "unknown", "private", "blocked"}


class NotOurs(Exception):
    """A step's URL names a registration that is not the caller's: Twilio never sends one."""


@dataclass
class Turn:
    """One answer: what is said (in the caller's language) and the keys gathered next."""

    call: VoiceCall
    phone: Phone | None
    resident: Resident | None
    language: str
    sequence: int
    now: datetime
    response: VoiceResponse = field(default_factory=VoiceResponse)
    gather: Gather | None = None

    def say(self, text: str, language: str | None = None) -> None:
        spoken_language, voice = VOICES[language or self.language]
        (self.gather or self.response).say(text, language=spoken_language, voice=voice)

    def ask(self, step: str, tries: int, **params) -> None:
        """Gather one key for `step`; what is said next is said while it listens."""
        lang = {} if step == "language" else {"lang": self.language}
        action = current_app.config["PUBLIC_BASE_URL"] + url_for(
            "voice.step", step=step, n=self.sequence, tries=tries, **lang, **params)
        self.gather = Gather(action=action, method="POST", input="dtmf", num_digits=1,
                             timeout=GATHER_SECONDS, action_on_empty_result=True)
        self.response.append(self.gather)

    def hang_up(self) -> None:
        self.gather = None
        self.response.hangup()


@dataclass(frozen=True)
class Step:
    prompt: Callable  # (turn, tries, **prompt_params): say it and gather
    answer: Callable  # (turn, key, **params) -> bool: False when the key is not offered
    params: tuple[str, ...] = ()  # what its URL carries
    prompt_params: tuple[str, ...] = ()  # what of it saying the step again needs


def spoken_languages() -> list[str]:
    return [language for language in languages() if language in VOICES]


def caller_phone(sender: str) -> Phone | None:
    """The caller's phone, or None when it is hidden or not a phone number."""
    if sender.strip().lower() in HIDDEN_NUMBERS:
        return None
    try:
        return parse_phone(sender)
    except InvalidPhone:
        return None


# The language


def prompt_language(turn: Turn, tries: int) -> None:
    turn.ask("language", tries)
    for key, language in enumerate(spoken_languages(), start=1):
        with force_locale(language):
            # Said in each language, in that language: "Per a català, premeu 1."
            turn.say(_("For English, press %(key)s.", key=key), language)


def answer_language(turn: Turn, key: str) -> bool:
    offered = dict(enumerate(spoken_languages(), start=1))
    if not key.isdigit() or int(key) not in offered:
        return False
    turn.language = turn.call.language = offered[int(key)]
    if turn.resident is not None:
        turn.resident.preferred_language = turn.language
    with force_locale(turn.language):
        welcome(turn)
        prompt_menu(turn, 0)
    return True


def welcome(turn: Turn) -> None:
    turn.say(_("Internet 4all: free digital skills workshops."))
    if turn.phone is None:
        turn.say(_("Your number is hidden. You can hear the workshops; to sign up, call "
                   "from your own number."))


# The menu


def prompt_menu(turn: Turn, tries: int) -> None:
    turn.ask("menu", tries)
    turn.say(_("For workshops near you, press 1."))
    turn.say(_("For your workshops, press 2."))
    turn.say(_("To be called back, press 3."))
    turn.say(_("To hear this again, press 0."))


def answer_menu(turn: Turn, key: str) -> bool:
    if key == "1":
        prompt_districts(turn, 0, page=0)
    elif key in ("2", "3") and turn.phone is None:
        say_own_number_needed(turn)
        prompt_menu(turn, 0)
    elif key == "2":
        prompt_mine(turn, 0, index=0)
    elif key == "3":
        ask_to_be_called_back(turn)
        prompt_menu(turn, 0)
    elif key == "0":
        prompt_menu(turn, 0)
    else:
        return False
    return True


def say_own_number_needed(turn: Turn) -> None:
    turn.say(_("For that, call from your own number, or ask someone to help you sign up."))


# Workshops near you: a district, then its workshops one at a time


def districts() -> list[District]:
    """In the order of their codes ("01" Ciutat Vella … "10" Sant Martí)."""
    return sorted(db.session.scalars(select(District)), key=lambda d: (len(d.code), d.code))


def districts_on(page: int) -> list[District]:
    start = page * DISTRICTS_AT_A_TIME
    return districts()[start:start + DISTRICTS_AT_A_TIME]


def prompt_districts(turn: Turn, tries: int, page: int) -> None:
    pages = max(1, -(-len(districts()) // DISTRICTS_AT_A_TIME))
    page = page % pages
    turn.ask("districts", tries, page=page)
    if page == 0:
        turn.say(_("Choose your district."))
    for key, district in enumerate(districts_on(page), start=1):
        turn.say(_("%(district)s, press %(key)s.", district=district.name, key=key))
    if pages > 1:
        turn.say(_("For more districts, press 9.") if page + 1 < pages
                 else _("To hear the districts again, press 9."))


def answer_districts(turn: Turn, key: str, page: int) -> bool:
    shown = districts_on(page)
    if key == MORE:
        prompt_districts(turn, 0, page=page + 1)
    elif key.isdigit() and 1 <= int(key) <= len(shown):
        prompt_workshop(turn, 0, district=shown[int(key) - 1].code, index=0)
    else:
        return False
    return True


def workshop_in(district: str, index: int, now: datetime) -> Workshop | None:
    """The `index`-th next workshop in the district (0 is the first), or None."""
    found = upcoming_workshops(ListingFilters(district=district, page=index + 1), now=now,
                               per_page=1)
    return found.workshops[0] if index < found.total else None


def district_name(code: str) -> str:
    return db.session.scalar(select(District.name).where(District.code == code)) or code


def prompt_workshop(turn: Turn, tries: int, district: str, index: int) -> None:
    workshop = workshop_in(district, index, turn.now)
    if workshop is None:
        turn.say(_("There are no more workshops in %(district)s.", district=district_name(
            district)) if index else _("There are no workshops in %(district)s right now.",
                                       district=district_name(district)))
        prompt_districts(turn, 0, page=district_page(district))
        return
    turn.call.last_workshop_id = workshop.id
    turn.ask("workshop", tries, district=district, index=index, workshop=workshop.id)
    session = workshop.upcoming_sessions(turn.now)[0]
    turn.say(_("%(title)s. %(day)s, %(time)s, at %(place)s.",
               title=workshop.title(turn.language).text,
               day=spoken_day(session.starts_at, turn.language),
               time=spoken_time(session.starts_at), place=workshop.venue.name))
    if workshop.seats_left:
        turn.say(ngettext("%(num)s place left.", "%(num)s places left.", workshop.seats_left))
    else:
        turn.say(_("It is full: you can join the waiting list."))
    turn.say(_("To sign up, press 1. For the next workshop, press 2. For the menu, press 9."))


def district_page(code: str) -> int:
    codes = [district.code for district in districts()]
    return codes.index(code) // DISTRICTS_AT_A_TIME if code in codes else 0


def answer_workshop(turn: Turn, key: str, district: str, index: int, workshop: int) -> bool:
    if key == "1" and turn.phone is None:
        say_own_number_needed(turn)
        prompt_workshop(turn, 0, district=district, index=index)
    elif key == "1":
        sign_up(turn, workshop)
    elif key == "2":
        prompt_workshop(turn, 0, district=district, index=index + 1)
    elif key == "9":
        prompt_menu(turn, 0)
    else:
        return False
    return True


def sign_up(turn: Turn, workshop_id: int) -> None:
    workshop = db.session.get(Workshop, workshop_id)
    title = workshop.title(turn.language).text if workshop else ""
    try:
        if workshop is None:
            raise RegistrationError("not_published")
        registration = registrations.register(
            workshop_id, ResidentDetails(phone=turn.phone, name="",
                                         preferred_language=turn.language),
            channel=Channel.PHONE, now=turn.now, notify=False)
    except RegistrationError as error:
        if error.code == "already_registered":
            turn.say(_("You are already signed up for %(title)s.", title=title))
        else:
            turn.say(_("Sorry, you cannot sign up for this workshop now."))
        prompt_menu(turn, 0)
        return
    turn.resident = registration.resident
    code = spoken_code(workshop.public_code)
    if registration.status == RegistrationStatus.CONFIRMED:
        turn.say(_("You have a place at %(title)s. Its code is %(code)s.", title=title,
                   code=code))
    else:
        turn.say(_("%(title)s is full. You are number %(position)s on the waiting list. Its "
                   "code is %(code)s.", title=title, code=code,
                   position=registrations.waitlist_position(registration)))
    if turn.phone.takes_sms and not registration.resident.sms_opted_out:
        prompt_text_offer(turn, 0, registration=registration.id)
    else:
        prompt_menu(turn, 0)


def prompt_text_offer(turn: Turn, tries: int, registration: int) -> None:
    turn.ask("text", tries, registration=registration)
    turn.say(_("To get a text message with the details, press 1. If not, press 2."))


def answer_text_offer(turn: Turn, key: str, registration: int) -> bool:
    if key == "1":
        chosen = own_registration(turn, registration)
        resident = chosen.resident
        if not resident.sms_consent:
            registrations.set_sms_consent(resident, True, now=turn.now)
        registered.send(chosen, now=turn.now)
        turn.say(_("We are sending it now."))
    elif key != "2":
        return False
    prompt_menu(turn, 0)
    return True


# Her workshops: one at a time, cancel after a confirmation


def upcoming_registrations(resident: Resident | None, now: datetime) -> list[Registration]:
    if resident is None:
        return []
    return list(db.session.scalars(
        select(Registration).join(Workshop).where(
            Registration.resident_id == resident.id,
            Registration.status != RegistrationStatus.CANCELLED,
            Workshop.status == WorkshopStatus.PUBLISHED,
            Workshop.last_session_ends_at >= now)
        .order_by(Workshop.first_session_starts_at, Registration.id)))


def own_registration(turn: Turn, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or turn.resident is None or (
            registration.resident_id != turn.resident.id):
        raise NotOurs(registration_id)
    return registration


def prompt_mine(turn: Turn, tries: int, index: int) -> None:
    upcoming = upcoming_registrations(turn.resident, turn.now)
    if index >= len(upcoming):
        turn.say(_("That is all your workshops.") if index
                 else _("You have no upcoming workshops."))
        prompt_menu(turn, 0)
        return
    registration = upcoming[index]
    workshop = registration.workshop
    session = workshop.upcoming_sessions(turn.now)[0]
    turn.ask("mine", tries, index=index, registration=registration.id)
    turn.say(_("%(title)s. %(day)s, %(time)s.", title=workshop.title(turn.language).text,
               day=spoken_day(session.starts_at, turn.language),
               time=spoken_time(session.starts_at)))
    turn.say(_("You have a place.") if registration.status == RegistrationStatus.CONFIRMED
             else _("You are on the waiting list."))
    turn.say(_("To cancel it, press 1. For the next one, press 2. For the menu, press 9."))


def answer_mine(turn: Turn, key: str, index: int, registration: int) -> bool:
    if key == "1":
        own_registration(turn, registration)
        prompt_cancel(turn, 0, registration=registration)
    elif key == "2":
        prompt_mine(turn, 0, index=index + 1)
    elif key == "9":
        prompt_menu(turn, 0)
    else:
        return False
    return True


def prompt_cancel(turn: Turn, tries: int, registration: int) -> None:
    chosen = own_registration(turn, registration)
    turn.ask("cancel", tries, registration=registration)
    turn.say(_("Cancel your place at %(title)s? To cancel it, press 1. To keep it, press 2.",
               title=chosen.workshop.title(turn.language).text))


def answer_cancel(turn: Turn, key: str, registration: int) -> bool:
    chosen = own_registration(turn, registration)
    if key == "1":
        # Cancelled a moment ago on the web or by SMS, or the workshop is over: all the same.
        with suppress(RegistrationError):
            registrations.cancel(chosen, now=turn.now)
        turn.say(_("Your place is cancelled. Thank you for letting us know."))
    elif key == "2":
        turn.say(_("You keep your place."))
    else:
        return False
    prompt_menu(turn, 0)
    return True


# Call back


def ask_to_be_called_back(turn: Turn) -> None:
    """One open request per number: asking again says the same and adds nothing."""
    waiting = db.session.scalar(select(CallbackRequest).where(
        CallbackRequest.phone == turn.phone.e164,
        CallbackRequest.status != CallbackStatus.CLOSED))
    if waiting is None:
        db.session.add(CallbackRequest(
            phone=turn.phone.e164, language=turn.language, requested_at=turn.now,
            workshop_id=turn.call.last_workshop_id, status=CallbackStatus.OPEN))
    turn.say(_("Thank you. Someone from the team will call you back."))


STEPS = {
    "language": Step(prompt_language, answer_language),
    "menu": Step(prompt_menu, answer_menu),
    "districts": Step(prompt_districts, answer_districts, ("page",), ("page",)),
    "workshop": Step(prompt_workshop, answer_workshop, ("district", "index", "workshop"),
                     ("district", "index")),
    "text": Step(prompt_text_offer, answer_text_offer, ("registration",), ("registration",)),
    "mine": Step(prompt_mine, answer_mine, ("index", "registration"), ("index",)),
    "cancel": Step(prompt_cancel, answer_cancel, ("registration",), ("registration",)),
}


# Answering a request


def answer(call_sid: str, sender: str, step: str, key: str, params: dict, *,
           language: str, tries: int, request_key: str, now: datetime) -> str:
    """The TwiML for one request to the voice line, from Twilio's `CallSid`, `From` and
    `Digits`, the step and its parameters (from the URL). A request answered before gets
    its first answer again. Flushes; the view commits."""
    phone = caller_phone(sender)
    call = db.session.scalar(select(VoiceCall).where(VoiceCall.call_sid == call_sid))
    if call is None:
        call = VoiceCall(call_sid=call_sid, from_phone=phone.e164 if phone else "",
                         started_at=now, language="")
        db.session.add(call)
        db.session.flush()
    else:
        answered = db.session.scalar(select(VoiceStep.twiml).where(
            VoiceStep.call_id == call.id, VoiceStep.step == request_key))
        if answered is not None:
            return answered
    resident = None
    if phone is not None:
        resident = db.session.scalar(select(Resident).where(Resident.phone == phone.e164))
    if resident is not None:
        resident.last_message_at = now  # activity: see workshops.privacy.retention
    steps_so_far = db.session.scalar(
        select(func.count()).select_from(VoiceStep).where(VoiceStep.call_id == call.id))
    turn = Turn(call, phone, resident, language or call.language or default_language(),
                steps_so_far + 1, now)
    with force_locale(turn.language):
        if step == "inbound":
            _answer_the_phone(turn)
        else:
            _answer_step(turn, STEPS[step], key, params, tries)
    twiml = str(turn.response)
    db.session.add(VoiceStep(call_id=call.id, step=request_key, answered_at=now, twiml=twiml))
    db.session.flush()
    return twiml


def _answer_the_phone(turn: Turn) -> None:
    if _over_the_limit(turn):
        turn.say(_("You have called many times this hour. Please call again later. "
                   "Goodbye."))
        turn.hang_up()
        return
    known = _known_language(turn)
    if known is None:
        prompt_language(turn, 0)
        return
    turn.language = turn.call.language = known
    with force_locale(known):
        welcome(turn)
        prompt_menu(turn, 0)


def _over_the_limit(turn: Turn) -> bool:
    """Calls from one number in the last hour, this one included, past the setting.
    Hidden numbers are not one caller, and are not counted."""
    if turn.phone is None:
        return False
    since = turn.now - timedelta(hours=1)
    calls = db.session.scalar(select(func.count()).select_from(VoiceCall).where(
        VoiceCall.from_phone == turn.call.from_phone, VoiceCall.started_at > since))
    return calls > current_app.config["VOICE_CALLS_PER_NUMBER_PER_HOUR"]


def _known_language(turn: Turn) -> str | None:
    """Her language: the resident's, else the one chosen on an earlier call from her number."""
    if turn.phone is None:
        return None
    if turn.resident is not None and turn.resident.preferred_language in VOICES:
        return turn.resident.preferred_language
    earlier = db.session.scalar(
        select(VoiceCall.language).where(VoiceCall.from_phone == turn.phone.e164,
                                         VoiceCall.id != turn.call.id,
                                         VoiceCall.language != "")
        .order_by(VoiceCall.started_at.desc(), VoiceCall.id.desc()).limit(1))
    return earlier if earlier in VOICES else None


def _answer_step(turn: Turn, step: Step, key: str, params: dict, tries: int) -> None:
    if step.answer(turn, key, **params):
        return
    if tries == 0:
        if key and step is not STEPS["language"]:  # its choices are said in each language
            turn.say(_("That key is not one of the options."))
        step.prompt(turn, 1, **{name: params[name] for name in step.prompt_params})
        return
    turn.say(_("We did not get an answer. Thank you for calling. Goodbye."))
    turn.hang_up()

