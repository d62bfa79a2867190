"""The voice line: whole calls driven as Twilio drives them (signed requests, following
each <Gather action>), in Catalan, Spanish and English; the call-back staff page; limits,
retries, erasure and retention."""

import itertools
from datetime import date, time, timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from tests.conftest import FUZZ_TALLY, TEST_CONFIG, TEST_NOW, csrf_token_from
from tests.factories import make_venue, make_workshop, register
from workshops.accounts.models import Role
from workshops.catalogue.local_time import Slot, local_to_utc, to_local
from workshops.extensions import db
from workshops.notifications.models import MessageKind, OutboxMessage
from workshops.places.models import Neighbourhood
from workshops.privacy.retention import purge
from workshops.reach.queries import ReachFilters, reach
from workshops.registrations.erasure import erase_resident
from workshops.registrations.models import Channel, Registration, RegistrationStatus, Resident
from workshops.voice.models import CallbackRequest, CallbackStatus, VoiceCall, VoiceStep
from workshops.voice.speech import spoken_time

BASE = TEST_CONFIG["PUBLIC_BASE_URL"]
PHONE = "+34612345678"
LANGUAGE_KEYS = {"ca": "1", "es": "2", "en": "3"}
VOICE_LANGUAGES = {"ca": "ca-ES", "es": "es-ES", "en": "en-GB"}
_sids = itertools.count(1)


def new_call_sid():
    return f"CA{next(_sids):032x}"


def signed_post(client, url, params, token=TEST_CONFIG["TWILIO_AUTH_TOKEN"]):
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(url.removeprefix(BASE), data=params,
                       headers={"X-Twilio-Signature": signature})


class Call:
    """One phone call to the portal, as Twilio makes it: the first request to
    /voice/inbound, then one to each <Gather action> with the keys pressed. `transcript`
    holds what was said and pressed."""

    def __init__(self, client, sender=PHONE):
        self.client, self.sender, self.sid = client, sender, new_call_sid()
        self.transcript = []
        self.turns = []  # what each answer said, one list per answer
        self.status = self.xml = self.action = None
        self.said, self.languages, self.hung_up = [], set(), False

    def params(self, keys):
        params = {"CallSid": self.sid, "AccountSid": TEST_CONFIG["TWILIO_ACCOUNT_SID"],
                  "To": TEST_CONFIG["TWILIO_FROM_NUMBER"], "CallStatus": "in-progress",
                  "Direction": "inbound"}
        if self.sender is not None:
            params["From"] = self.sender
        if keys is not None:
            params["Digits"] = keys
        return params

    def post(self, url, keys=None):
        response = signed_post(self.client, url, self.params(keys))
        self.status = response.status_code
        self.xml = response.get_data(as_text=True)
        if self.status != 200:
            return self
        root = ElementTree.fromstring(self.xml)  # noqa: S314 (our own answer)
        says = list(root.iter("Say"))
        self.said = [say.text for say in says]
        self.languages = {say.get("language") for say in says}
        gather = root.find("Gather")
        self.action = gather.get("action") if gather is not None else None
        self.hung_up = root.find("Hangup") is not None
        self.turns.append(self.said)
        self.transcript.extend(("says", text) for text in self.said)
        if self.hung_up:
            self.transcript.append(("hangs up", ""))
        return self

    def start(self):
        self.transcript.append(("calls", ""))
        return self.post(BASE + "/voice/inbound")

    def press(self, key):
        self.transcript.append(("presses", key))
        return self.post(self.action, key)

    def stay_silent(self):
        """A <Gather> that heard nothing posts to its action without keys."""
        self.transcript.append(("says nothing", ""))
        return self.post(self.action)

    @property
    def text(self):
        return " ".join(self.said)

    def printed(self):
        return "\n".join(f"{who}: {what}".rstrip(": ") for who, what in self.transcript)


def registrations():
    db.session.rollback()
    return db.session.scalars(select(Registration).order_by(Registration.id)).all()


def ciutat_vella_venue():
    neighbourhood = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    return make_venue(neighbourhood=neighbourhood, name="Casal del Raval")


def six_pm_in_a_week():
    day = to_local(TEST_NOW).date() + timedelta(days=7)
    start = local_to_utc(day, time(18, 0))
    return [Slot(start, start + timedelta(hours=2))]


@pytest.fixture
def workshop(app_context, seeded):
    return make_workshop(capacity=2, public_code="123", venue=ciutat_vella_venue(),
                         slots=six_pm_in_a_week(),
                         titles={"ca": "El mòbil pas a pas", "es": "El móvil paso a paso",
                                 "en": "Your phone, step by step"},
                         summaries={"ca": "a", "es": "b", "en": "c"})


def call_to_the_workshop(client, language, sender=PHONE):
    """A new caller: chooses her language, workshops near her, the first district."""
    call = Call(client, sender).start()
    call.press(LANGUAGE_KEYS[language]).press("1").press("1")
    return call


# Whole calls, in each language

SIGN_UP_WORDS = {
    "ca": ("a les sis de la tarda", "Teniu plaça a El mòbil pas a pas. El codi és 1 2 3."),
    "es": ("a las seis de la tarde", "Tiene plaza en El móvil paso a paso. El código es 1 2 3."),
    "en": ("at 6 pm", "You have a place at Your phone, step by step. Its code is 1 2 3."),
}


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_a_new_caller_chooses_her_language_and_signs_up_for_a_workshop(
        client, workshop, language):
    call = Call(client).start()
    assert call.status == 200 and len(call.said) == 3  # one choice per language, each in it
    assert call.languages == set(VOICE_LANGUAGES.values())
    call.press(LANGUAGE_KEYS[language])
    assert call.languages == {VOICE_LANGUAGES[language]}
    call.press("1")  # workshops near you
    assert "Ciutat Vella" in call.text
    call.press("1")  # Ciutat Vella
    when, result = SIGN_UP_WORDS[language]
    assert workshop.title(language).text in call.text and when in call.text
    assert "Casal del Raval" in call.text
    call.press("1")  # sign up
    assert result in call.text
    [registration] = registrations()
    assert registration.channel == Channel.PHONE
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.resident.preferred_language == language
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    call.press("1")  # yes, a text message
    message = db.session.scalar(select(OutboxMessage))
    assert message.kind == MessageKind.REGISTRATION_CONFIRMED
    assert message.registration_id == registration.id
    assert db.session.get(Resident, registration.resident_id).sms_consent
    assert call.action and "/voice/menu" in call.action
    print(f"\n--- a call in {language} ---\n{call.printed()}")


# A normal speaking rate (words per minute), to time what is said before the keys.
WORDS_PER_MINUTE = 150


def spoken_seconds(texts):
    return len(" ".join(texts).split()) * 60 / WORDS_PER_MINUTE


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_every_prompt_is_short_in_each_language(client, workshop, language):
    """A whole call through every step: each sentence is one breath, and no answer talks
    for more than 20 seconds before she may press a key. `-s` prints the call."""
    call = Call(client).start().press(LANGUAGE_KEYS[language])
    for key in ("0", "1", "9", "9", "9", "9", "1", "1", "1", "2", "1", "2", "3", "7"):
        call.press(key)
    call.stay_silent()
    assert call.hung_up
    longest = max(call.turns, key=spoken_seconds)
    print(f"\n--- a call in {language} ---\n{call.printed()}\n"
          f"longest answer: {spoken_seconds(longest):.1f} s "
          f"({len(' '.join(longest).split())} words at {WORDS_PER_MINUTE} wpm)")
    assert spoken_seconds(longest) <= 20
    assert max(len(text.split()) for turn in call.turns for text in turn) <= 25


def test_declining_the_text_message_queues_none(client, workshop):
    call = call_to_the_workshop(client, "en").press("1").press("2")
    assert "For workshops near you, press 1." in call.text
    assert len(registrations()) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_full_workshop_puts_the_caller_on_the_waiting_list(client, workshop):
    register(workshop, "611111111")
    register(workshop, "622222222")
    call = call_to_the_workshop(client, "es")
    assert "Está lleno" in call.text
    call.press("1")
    assert "Está en el número 1 de la lista de espera" in call.text
    assert registrations()[-1].status == RegistrationStatus.WAITLISTED


def test_signing_up_twice_for_the_same_workshop_says_she_already_is(client, workshop):
    register(workshop, PHONE, preferred_language="en")
    call = Call(client).start().press("1").press("1").press("1")
    assert "You are already signed up for Your phone, step by step." in call.text
    assert len(registrations()) == 1


def test_a_caller_whose_language_is_known_hears_it_at_once(client, workshop):
    register(workshop, PHONE, preferred_language="es")
    call = Call(client).start()
    assert call.languages == {"es-ES"}
    assert "Para talleres cerca de usted, pulse 1." in call.text


def test_the_language_a_caller_chose_is_remembered_for_her_next_call(client, workshop):
    Call(client).start().press("2")
    call = Call(client).start()
    assert call.languages == {"es-ES"} and "/voice/menu" in call.action


def test_districts_are_read_three_at_a_time_and_nine_reads_more(client, workshop):
    call = Call(client).start().press("3").press("1")
    assert [text for text in call.said if "press" in text] == [
        "Ciutat Vella, press 1.", "Eixample, press 2.", "Sants-Montjuïc, press 3.",
        "For more districts, press 9."]
    call.press("9").press("9").press("9")
    assert call.said == ["Sant Martí, press 1.", "To hear the districts again, press 9."]
    call.press("9")
    assert "Ciutat Vella, press 1." in call.said


def test_the_next_workshop_and_back_to_the_districts(client, workshop):
    later = make_workshop(capacity=5, venue=workshop.venue,
                          slots=[Slot(s.starts_at + timedelta(days=1), s.ends_at
                                      + timedelta(days=1)) for s in workshop.sessions],
                          titles={"en": "Video calls"}, summaries={"en": "c"})
    call = call_to_the_workshop(client, "en")
    assert "2 places left." in call.text
    call.press("2")
    assert "Video calls" in call.text and "5 places left." in call.text
    call.press("2")
    assert "There are no more workshops in Ciutat Vella." in call.text
    assert "Ciutat Vella, press 1." in call.said
    assert later.id


@pytest.mark.parametrize("language, cancelled", [
    ("ca", "La vostra plaça queda anul·lada."),
    ("es", "Su plaza queda cancelada."),
    ("en", "Your place is cancelled."),
])
def test_a_caller_hears_her_workshops_and_cancels_one_after_confirming(
        client, workshop, language, cancelled):
    mine = register(workshop, PHONE, preferred_language=language)
    register(workshop, "611111111")
    waiting = register(workshop, "622222222")
    call = Call(client).start().press("2")
    assert workshop.title(language).text in call.text
    call.press("1")  # cancel it?
    assert workshop.title(language).text in call.text
    assert registrations()[0].status == RegistrationStatus.CONFIRMED  # not yet
    call.press("1")  # yes
    assert cancelled in call.text
    statuses = {r.id: r.status for r in registrations()}
    assert statuses[mine.id] == RegistrationStatus.CANCELLED
    assert statuses[waiting.id] == RegistrationStatus.CONFIRMED  # the next person moved up


def test_keeping_the_place_at_the_confirmation_cancels_nothing(client, workshop):
    register(workshop, PHONE, preferred_language="en")
    call = Call(client).start().press("2").press("1").press("2")
    assert "You keep your place." in call.text
    assert registrations()[0].status == RegistrationStatus.CONFIRMED


def test_a_caller_with_no_workshops_hears_so_and_the_menu(client, workshop):
    call = Call(client).start().press("3").press("2")
    assert "You have no upcoming workshops." in call.text
    assert "/voice/menu" in call.action


@pytest.mark.parametrize("language, thanks", [
    ("ca", "Gràcies. Algú de l'equip us trucarà."),
    ("es", "Gracias. Alguien del equipo le llamará."),
    ("en", "Thank you. Someone from the team will call you back."),
])
def test_asking_to_be_called_back_lands_on_the_staff_page(client, auth, workshop, language,
                                                          thanks):
    call = call_to_the_workshop(client, language).press("9")  # heard a workshop: the menu
    call.press("3")
    assert thanks in call.text
    call.press("3")  # asking twice asks once
    db.session.rollback()
    [request] = db.session.scalars(select(CallbackRequest)).all()
    assert (request.phone, request.language, request.status) == (
        PHONE, language, CallbackStatus.OPEN)
    assert request.requested_at >= TEST_NOW
    assert request.workshop_id == workshop.id  # what she heard
    auth.login_as(Role.ORGANISER)
    page = client.get("/staff/callbacks?lang=en").get_data(as_text=True)
    assert "612 34 56 78" in page and workshop.title("en").text in page


def test_a_hidden_number_hears_workshops_but_is_told_to_call_from_her_own(client, workshop):
    for sender in ("anonymous", "+266696687", None, "Restricted", "12"):
        call = Call(client, sender).start()
        assert "/voice/language" in call.action  # never a known language
        call.press("3")
        assert "Your number is hidden." in call.text
        call.press("2")
        assert "call from your own number" in call.text
        call.press("3")
        assert "call from your own number" in call.text
        call.press("1").press("1")
        assert "Your phone, step by step" in call.text
        call.press("1")
        assert "call from your own number" in call.text
        assert "Your phone, step by step" in call.text  # the same workshop again
    assert registrations() == []
    assert db.session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    assert set(db.session.scalars(select(VoiceCall.from_phone))) == {""}


def test_silence_says_the_step_again_once_then_goodbye(client, workshop):
    call = Call(client).start().press("3")
    menu = call.said[1:]  # after the welcome
    call.stay_silent()
    assert call.said == menu and not call.hung_up
    call.stay_silent()
    assert call.said == ["We did not get an answer. Thank you for calling. Goodbye."]
    assert call.hung_up and call.action is None


@pytest.mark.parametrize("language, sorry", [
    ("ca", "Aquesta tecla no és cap de les opcions."),
    ("es", "Esa tecla no es ninguna de las opciones."),
    ("en", "That key is not one of the options."),
])
def test_a_wrong_key_says_the_step_again_once_then_goodbye(client, workshop, language, sorry):
    call = Call(client).start().press("7")
    assert len(call.said) == 3  # the three languages again, each in itself
    call.press(LANGUAGE_KEYS[language]).press("1").press("1")
    call.press("5")
    assert call.said[0] == sorry and workshop.title(language).text in call.text
    call.press("#")
    assert call.hung_up and len(call.said) == 1
    assert registrations() == []


def test_a_forged_signature_gets_403_and_changes_nothing(client, workshop):
    call = Call(client).start()
    url = call.action
    params = call.params("1")
    forged = signed_post(client, url, params, token="not-the-real-token")
    unsigned = client.post(url.removeprefix(BASE), data=params)
    tampered = client.post(url.removeprefix(BASE), data=params | {"Digits": "2"},
                           headers={"X-Twilio-Signature": RequestValidator(
                               TEST_CONFIG["TWILIO_AUTH_TOKEN"]).compute_signature(
                                   url, params)})
    other_call = signed_post(client, BASE + "/voice/inbound",
                             Call(client).params(None), token="not-the-real-token")
    assert [r.status_code for r in (forged, unsigned, tampered, other_call)] == [403] * 4
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(VoiceStep)) == 1
    assert db.session.scalar(select(func.count()).select_from(VoiceCall)) == 1


def test_a_retried_step_is_answered_the_same_and_applied_once(client, workshop):
    call = call_to_the_workshop(client, "en")
    sign_up_url = call.action
    first = call.press("1").xml
    again = call.post(sign_up_url, "1").xml
    assert again == first
    assert len(registrations()) == 1
    text_url = call.action
    call.post(text_url, "1")
    call.post(text_url, "1")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    # Back at the menu: her workshops, cancel, and a retried "yes".
    call.press("2").press("1")
    cancel_url = call.action
    assert call.post(cancel_url, "1").xml == call.post(cancel_url, "1").xml
    assert [r.status for r in registrations()] == [RegistrationStatus.CANCELLED]


def test_the_same_keys_later_in_the_call_are_a_new_step(client, workshop):
    register(workshop, PHONE, preferred_language="en")
    call = Call(client).start().press("2").press("9")
    call.press("2")  # her workshops again: read anew, not the first answer replayed
    assert "Your phone, step by step" in call.text and "/voice/mine" in call.action


def test_calls_per_number_per_hour_are_limited(client, app, workshop):
    limit = app.config["VOICE_CALLS_PER_NUMBER_PER_HOUR"]
    for _ in range(limit):
        assert not Call(client).start().hung_up
    blocked = Call(client).start()
    assert blocked.hung_up and blocked.said == [
        "Heu trucat moltes vegades aquesta hora. Torneu a trucar més tard. Adeu."]
    assert not Call(client, "+34699999999").start().hung_up


def test_a_step_url_not_written_by_the_portal_is_refused(client, workshop):
    call = Call(client).start()
    for url in (BASE + "/voice/menu?n=1&tries=0&lang=xx",
                BASE + "/voice/workshop?n=1&tries=0&lang=en&district=01&index=0",
                BASE + "/voice/cancel?n=1&tries=0&lang=en&registration=abc"):
        assert call.post(url, "1").status == 400


def test_a_registration_that_is_not_hers_cannot_be_cancelled(client, workshop):
    other = register(workshop, "611111111")
    call = Call(client).start()
    url = f"{BASE}/voice/cancel?n=9&tries=0&lang=en&registration={other.id}"
    assert call.post(url, "1").status == 400
    assert registrations()[0].status == RegistrationStatus.CONFIRMED


# Saying times


@pytest.mark.parametrize("language, hour, minute, said", [
    ("ca", 18, 0, "a les sis de la tarda"), ("es", 18, 0, "a las seis de la tarde"),
    ("en", 18, 0, "at 6 pm"), ("ca", 13, 0, "a la una del migdia"),
    ("es", 13, 0, "a la una del mediodía"), ("ca", 10, 30, "a les deu i 30 del matí"),
    ("es", 10, 30, "a las diez y 30 de la mañana"), ("en", 10, 30, "at 10:30 am"),
    ("ca", 21, 0, "a les nou del vespre"), ("es", 21, 0, "a las nueve de la noche"),
])
def test_times_are_said_as_people_say_them(app_context, language, hour, minute, said):
    from flask_babel import force_locale

    instant = local_to_utc(date(2026, 12, 3), time(hour, minute))
    with force_locale(language):
        assert spoken_time(instant) == said


# The staff page


@pytest.fixture
def callback(app_context, workshop):
    request = CallbackRequest(phone=PHONE, language="es", requested_at=TEST_NOW,
                              workshop_id=workshop.id)
    db.session.add(request)
    db.session.commit()
    return request


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.COORDINATOR])
def test_organisers_and_coordinators_take_and_close_requests(client, auth, callback, role):
    user = auth.login_as(role)
    page = client.get("/staff/callbacks?lang=en").get_data(as_text=True)
    assert "612 34 56 78" in page and "Spanish" in page
    token = csrf_token_from(page)
    client.post(f"/staff/callbacks/{callback.id}/take", data={"csrf_token": token})
    db.session.refresh(callback)
    assert (callback.status, callback.taken_by_id) == (CallbackStatus.TAKEN, user.id)
    client.post(f"/staff/callbacks/{callback.id}/close", data={"csrf_token": token})
    db.session.refresh(callback)
    assert callback.status == CallbackStatus.CLOSED
    page = client.get("/staff/callbacks").get_data(as_text=True)
    assert "612 34 56 78" not in page and "••• ••• 678" in page


def test_a_facilitator_does_not_see_the_requests(client, auth, callback):
    auth.login_as(Role.FACILITATOR)
    response = client.get("/staff/callbacks")
    assert response.status_code == 403 and "612" not in response.get_data(as_text=True)


def test_a_request_links_to_the_staff_registration_with_her_number_filled_in(
        client, auth, callback, workshop):
    auth.login_as(Role.COORDINATOR)
    page = client.get("/staff/callbacks").get_data(as_text=True)
    assert f"/staff/callbacks/{callback.id}/register" in page
    form = client.get(f"/staff/callbacks/{callback.id}/register").get_data(as_text=True)
    assert 'value="612 34 56 78"' in form
    assert f'action="/staff/workshops/{workshop.id}/registrations/new"' in form
    home = db.session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == 1))
    response = client.post(f"/staff/workshops/{workshop.id}/registrations/new", data={
        "csrf_token": csrf_token_from(form), "name": "Carmen", "phone": "612 34 56 78",
        "home_neighbourhood": str(home)})
    assert response.status_code == 303
    [registration] = registrations()
    assert (registration.channel, registration.resident.phone) == (Channel.STAFF, PHONE)


def test_an_organiser_off_the_workshops_team_gets_no_registration_form(client, auth,
                                                                      callback):
    auth.login_as(Role.ORGANISER)
    page = client.get("/staff/callbacks").get_data(as_text=True)
    assert f"/staff/callbacks/{callback.id}/register" not in page
    assert client.get(f"/staff/callbacks/{callback.id}/register").status_code == 403


# Records: erasure, retention, reach


def test_erasing_a_resident_deletes_her_calls_and_requests_and_no_one_elses(client, workshop):
    call_to_the_workshop(client, "en").press("1").press("2").press("3")
    Call(client, "+34699999999").start().press("1").press("3")
    resident = db.session.scalar(select(Resident).where(Resident.phone == PHONE))
    erase_resident(resident, now=TEST_NOW)
    db.session.commit()
    assert set(db.session.scalars(select(VoiceCall.from_phone))) == {"+34699999999"}
    assert set(db.session.scalars(select(CallbackRequest.phone))) == {"+34699999999"}
    steps_left = db.session.scalar(select(func.count()).select_from(VoiceStep))
    assert steps_left == 3  # the other caller's inbound, language and menu steps


def test_calls_and_requests_are_deleted_after_the_retention_period(client, app, workshop):
    Call(client).start().press("1").press("3")
    days = app.config["SMS_RETENTION_DAYS"]
    outcomes = {o.kind: o.count for o in purge(now=TEST_NOW + timedelta(days=days - 1))}
    assert outcomes["voice-calls"] == 0
    outcomes = {o.kind: o.count for o in purge(now=TEST_NOW + timedelta(days=days + 1))}
    assert outcomes["voice-calls"] == 2  # the call and the request
    assert db.session.scalar(select(func.count()).select_from(VoiceStep)) == 0


def test_the_reach_figures_count_the_phone_channel(client, auth, workshop):
    call_to_the_workshop(client, "en").press("1")
    register(workshop, "611111111")
    today = to_local(TEST_NOW).date()
    period = {"date_from": today, "date_to": today + timedelta(days=30)}
    result = reach(ReachFilters(**period), now=TEST_NOW)
    assert {str(b.key): b.registrations for b in result.breakdowns["channel"]} == {
        "phone": 1, "web": 1}
    by_phone = reach(ReachFilters(channel="phone", **period), now=TEST_NOW)
    assert {str(b.key) for b in by_phone.breakdowns["channel"]} == {"phone"}
    auth.login_as(Role.COORDINATOR)
    page = client.get("/reach?lang=en").get_data(as_text=True)
    assert "Phone call" in page


# No input reaches a 5xx


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.one_of(st.none(), st.text(max_size=40)),
       sender=st.one_of(st.none(), st.text(max_size=40), st.just(PHONE)),
       sid=st.one_of(st.text(max_size=40), st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True)),
       step=st.sampled_from(["/voice/inbound", "/voice/language?n=2&tries=0",
                             "/voice/menu?n=2&tries=1&lang=ca",
                             "/voice/districts?n=3&tries=0&lang=es&page=5",
                             "/voice/workshop?n=4&tries=0&lang=en&district=01&index=0"
                             "&workshop=1",
                             "/voice/mine?n=4&tries=0&lang=en&index=0&registration=1"]))
def test_arbitrary_keys_numbers_and_call_ids_never_reach_a_5xx(client, workshop, engine_name,
                                                              keys, sender, sid, step):
    params = {"CallSid": sid}
    if keys is not None:
        params["Digits"] = keys
    if sender is not None:
        params["From"] = sender
    response = signed_post(client, BASE + step, params)
    FUZZ_TALLY[engine_name, "requests"] += 1
    FUZZ_TALLY[engine_name, "5xx"] += response.status_code >= 500
    assert response.status_code in (200, 400)



@pytest.mark.browser
def test_the_call_back_pages_have_no_accessibility_violations_and_fit_a_small_screen(
        live_server, browser, app):
    from tests.factories import DEFAULT_PASSWORD, make_user
    from tests.test_accessibility import violations

    with app.app_context():
        workshop = make_workshop(venue=ciutat_vella_venue(), summaries={"ca": "a"})
        taken = CallbackRequest(phone=PHONE, language="es", requested_at=TEST_NOW,
                                workshop_id=workshop.id, status=CallbackStatus.TAKEN)
        waiting = CallbackRequest(phone="+34699999999", language="ca",
                                  requested_at=TEST_NOW, workshop_id=workshop.id)
        closed = CallbackRequest(phone="+34611111111", language="en", requested_at=TEST_NOW,
                                 status=CallbackStatus.CLOSED, closed_at=TEST_NOW)
        db.session.add_all([taken, waiting, closed])
        db.session.commit()
        waiting_id = waiting.id
        make_user([Role.COORDINATOR], email="coordinator@example.org")
    context = browser.new_context(viewport={"width": 320, "height": 700}, locale="ca-ES",
                                  bypass_csp=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#email", "coordinator@example.org")
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/staff")
    found = {}
    for url in ["/staff/callbacks", f"/staff/callbacks/{waiting_id}/register"]:
        page.goto(live_server + url)
        found[url] = violations(page)
        # Hidden text positioned outside the table's scrolling box would widen the page.
        assert page.evaluate("document.documentElement.scrollWidth") == 320, url
    context.close()
    assert found == {url: [] for url in found}
