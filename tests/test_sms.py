"""Registering by SMS: the signed Twilio webhook, keywords in three languages, the outbox
worker with the log and Twilio backends, reminders, delivery status, limits."""

import itertools
import json
import logging
import re
import threading
import unicodedata
from datetime import UTC, datetime, time, timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from tests.conftest import TEST_CONFIG, TEST_NOW, RecordingSender
from tests.factories import make_venue, make_workshop, mobile, register, token_in
from workshops.accounts.models import Role
from workshops.catalogue import services as catalogue
from workshops.catalogue.local_time import Slot, local_to_utc, to_local
from workshops.extensions import db
from workshops.notifications import texts
from workshops.notifications.models import MessageKind, OutboxMessage, OutboxStatus
from workshops.notifications.redaction import without_link_tokens
from workshops.notifications.segments import is_gsm7, segments
from workshops.notifications.worker import claim, schedule_reminders, send_due
from workshops.notifications.worker import render as render_outbox
from workshops.registrations.models import Registration, RegistrationStatus, Resident
from workshops.registrations.services import registration_by_token
from workshops.sms.commands import ACTIONS_BY_WORD
from workshops.sms.inbound import handle
from workshops.sms.models import InboundMessage
from workshops.sms.senders import LogSender, make_sender
from workshops.sms.views import twiml

PHONE = "+34612345678"
_sids = itertools.count(1)


def new_sid():
    """A MessageSid shaped like Twilio's: SM and 32 hexadecimal digits."""
    return f"SM{next(_sids):032x}"


def signed_post(client, path, params, token=TEST_CONFIG["TWILIO_AUTH_TOKEN"],
                base=TEST_CONFIG["PUBLIC_BASE_URL"]):
    url = base + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def text(client, body, sender=PHONE, sid=None, base=TEST_CONFIG["PUBLIC_BASE_URL"]):
    """Send an SMS to the webhook as Twilio would; return (status, reply text or "")."""
    params = {"MessageSid": sid or new_sid(), "From": sender,
              "To": TEST_CONFIG["TWILIO_FROM_NUMBER"], "Body": body, "NumMedia": "0"}
    response = signed_post(client, "/sms/inbound", params, base=base)
    xml = response.get_data(as_text=True)
    reply = xml.split("<Message>", 1)[1].split("</Message>", 1)[0] if "<Message>" in xml else ""
    return response.status_code, reply.replace("&amp;", "&").replace("&#39;", "'")


@pytest.fixture
def workshop(app_context, seeded):
    return make_workshop(capacity=1, public_code="123",
                         titles={"ca": "El mòbil pas a pas", "es": "El móvil paso a paso",
                                 "en": "Your phone, step by step"},
                         summaries={"ca": "a", "es": "b", "en": "c"})


def opens(text):
    """The registration the personal link in `text` opens, or None."""
    return registration_by_token(token_in(text))


def registrations():
    db.session.rollback()
    return db.session.scalars(select(Registration).order_by(Registration.id)).all()


# The webhook's security and idempotency


def test_a_forged_signature_gets_403_and_changes_nothing(client, workshop):
    params = {"MessageSid": new_sid(), "From": PHONE, "Body": "ALTA 123"}
    forged = signed_post(client, "/sms/inbound", params, token="not-the-real-token")
    unsigned = client.post("/sms/inbound", data=params)
    tampered = signed_post(client, "/sms/inbound", params)
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert tampered.status_code == 200
    client.post("/sms/inbound", data=params | {"Body": "ALTA 999"},
                headers={"X-Twilio-Signature": "x"})
    assert len(registrations()) == 1
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_the_same_message_delivered_twice_is_processed_once(client, workshop):
    sid = new_sid()
    first = text(client, "ALTA 123", sid=sid)
    second = text(client, "ALTA 123", sid=sid)
    assert first[0] == second[0] == 200
    # The first reply again, with a new link to the same place: links are stored cut, and
    # the first reply may never have reached the phone.
    assert without_link_tokens(first[1]) == without_link_tokens(second[1])
    assert len(registrations()) == 1
    assert [opens(reply) for _status, reply in (first, second)] == [registrations()[0]] * 2


def test_a_message_of_twilios_maximum_length_is_answered(client, workshop):
    status, reply = text(client, "NOM " + "Maria " * 266)
    assert len("NOM " + "Maria " * 266) == 1600
    assert status == 200 and "Maria" in reply
    assert db.session.scalar(select(Resident)).name.startswith("Maria Maria")


def database_rows():
    """Every row of every table, in primary key order."""
    db.session.rollback()
    return {table.name: db.session.execute(
                select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}


@pytest.mark.parametrize("field, value", [
    ("MessageSid", "SM" + "0" * 98), ("MessageSid", ""), ("MessageSid", "SM123"),
    ("MessageSid", " SM" + "0" * 31 + "1"), ("MessageSid", "SM" + "0" * 31 + "\x00"),
    ("From", "+34" + "6" * 40), ("From", ""), ("From", "+34612\x00345678"),
    ("From", "+34612345678\n"), ("Body", "ALTA 123 " + "x" * 1600), ("Body", "ALTA 123\x00"),
])
def test_a_malformed_signed_message_gets_400_and_changes_nothing(client, workshop, field,
                                                                 value):
    before = database_rows()
    params = {"MessageSid": new_sid(), "From": PHONE, "To": TEST_CONFIG["TWILIO_FROM_NUMBER"],
              "Body": "ALTA 123"} | {field: value}
    assert signed_post(client, "/sms/inbound", params).status_code == 400
    assert database_rows() == before


@pytest.mark.parametrize("field, value", [
    ("MessageSid", "SM" + "0" * 98), ("MessageSid", ""), ("MessageStatus", "failed" * 20),
    ("ErrorCode", "3" * 100), ("ErrorCode", "30003; sent"), ("ErrorCode", "\x00"),
])
def test_a_malformed_signed_status_callback_gets_400_and_changes_nothing(
        client, app, workshop, field, value):
    app.config["SMS_BACKEND"] = "twilio"
    register(workshop, mobile(1))
    send_due(make_sender(app, RecordingHttpClient()), now=datetime.now(UTC))
    before = database_rows()
    params = {"MessageSid": db.session.scalar(select(OutboxMessage.provider_id)),
              "MessageStatus": "failed", "ErrorCode": "30003"} | {field: value}
    assert signed_post(client, "/sms/status", params).status_code == 400
    assert database_rows() == before


# Keywords, languages and replies


@pytest.mark.parametrize("body, language, expected", [
    ("ALTA 123", "ca", "plaça confirmada: el mòbil pas a pas"),
    ("  àlta   123 ", "ca", "plaça confirmada"),
    ("apunta #123", "ca", "plaça confirmada"),
    ("Inscribir 123", "es", "plaza confirmada: el móvil paso a paso"),
    ("APUNTAR 123", "es", "plaza confirmada"),
    ("join 123", "en", "place confirmed: your phone, step by step"),
])
def test_signing_up_by_sms_in_each_language(client, workshop, body, language, expected):
    status, reply = text(client, body)
    assert status == 200
    assert expected in reply.lower()
    registration = registrations()[0]
    assert (registration.channel, registration.status) == ("sms", "confirmed")
    assert registration.resident.preferred_language == language
    assert registration.resident.phone == PHONE
    assert opens(reply) == registration
    assert segments(reply) <= 2


def test_a_full_workshop_puts_the_texter_on_the_waiting_list(client, workshop):
    register(workshop, mobile(1))
    _status, reply = text(client, "JOIN 123")
    assert "You are number 1 on the waiting list" in reply
    assert registrations()[-1].status == RegistrationStatus.WAITLISTED


def test_an_unknown_code_gets_a_pointer_to_find_workshops(client, workshop):
    _status, reply = text(client, "ALTA 999")
    assert "999" in reply and "TALLERS" in reply and reply.startswith("Internet 4all: ")
    assert registrations() == []


def test_a_cancelled_workshop_says_so(client, workshop):
    catalogue.cancel(workshop, reason="Obres", now=datetime.now(UTC))
    db.session.commit()
    _status, reply = text(client, "INSCRIBIR 123")
    assert "cancel" in reply.lower() and "El móvil paso a paso" in reply
    assert registrations() == []


def test_texting_twice_points_to_the_existing_place(client, workshop):
    text(client, "ALTA 123")
    _status, reply = text(client, "ALTA 123")
    assert "ja" in reply.lower() and "/r/" in reply
    assert len(registrations()) == 1


def test_leaving_by_sms_frees_the_place_for_the_next_person(client, workshop):
    text(client, "JOIN 123")
    waiting = register(workshop, mobile(1))
    _status, reply = text(client, "LEAVE 123")
    assert "is cancelled" in reply
    db.session.refresh(waiting)
    assert waiting.status == RegistrationStatus.CONFIRMED


def test_name_and_neighbourhood_can_be_sent_afterwards(client, workshop):
    text(client, "ALTA 123")
    _status, reply = text(client, "nom Maria Pérez")
    assert "Maria Pérez" in reply and "BARRI" in reply
    _status, reply = text(client, "barri trinitat nova")
    resident = db.session.scalar(select(Resident))
    assert (resident.name, resident.home_neighbourhood.name) == ("Maria Pérez",
                                                                 "la Trinitat Nova")


@pytest.mark.parametrize("body", ["NOM Maria Pérez", "nombre Maria Pérez",
                                  "Name Maria Pérez"])
def test_her_phone_renames_her_on_every_registration_but_a_strangers(client, workshop,
                                                                      body):
    first = register(workshop, PHONE, name="Maria Garcia")
    second = register(make_workshop(), PHONE, name="Maria Garcia")
    strangers = register(make_workshop(), PHONE, name="Someone Else")

    _status, reply = text(client, body)

    assert "Maria Pérez" in reply
    for registration in (first, second, strangers):
        db.session.refresh(registration)
    assert [r.display_name for r in (first, second)] == ["Maria Pérez", "Maria Pérez"]
    assert (strangers.display_name, strangers.recorded_name) == ("Someone Else",
                                                                 "Maria Pérez")


def test_finding_workshops_by_area_matches_loosely(client, workshop, app_context):
    from workshops.places.models import Neighbourhood

    trinitat = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 53))
    make_workshop(public_code="456", venue=make_venue(neighbourhood=trinitat),
                  titles={"ca": "Correu electrònic", "es": "", "en": ""})
    for query in ["TALLERS nou barris", "tallers Trinitat Nova", "Talleres NOU BARRIS"]:
        _status, reply = text(client, query)
        assert "456" in reply and "123" not in reply
    _status, reply = text(client, "WORKSHOPS atlantis")
    assert "atlantis" in reply


def test_mine_lists_upcoming_registrations(client, workshop):
    text(client, "ALTA 123")
    _status, reply = text(client, "MEVES")
    assert "123" in reply and "El mòbil pas a pas" in reply


@pytest.mark.parametrize("body, language", [("hola", "ca"), ("AYUDA", "es"), ("help", "en"),
                                            ("INFO", "ca")])
def test_help_in_the_language_of_the_keyword_or_catalan(client, workshop, body, language):
    _status, reply = text(client, body)
    assert {"ca": "ALTA 123", "es": "INSCRIBIR 123", "en": "JOIN 123"}[language] in reply


def test_stop_silences_the_phone_until_start(client, workshop, app_context):
    text(client, "ALTA 123")
    _status, reply = text(client, "STOP")
    assert reply  # one last confirmation, as carriers expect
    assert text(client, "MEVES") == (200, "")
    assert text(client, "BAIXA 123") == (200, "")
    resident = db.session.scalar(select(Resident))
    assert resident.sms_opted_out and not resident.sms_consent
    _status, reply = text(client, "START")
    assert reply
    db.session.refresh(resident)
    assert not resident.sms_opted_out


@pytest.mark.parametrize("word", ["BAIXA", "baja", "Stop"])
def test_a_bare_stop_word_in_any_language_opts_out(client, workshop, word):
    text(client, word)
    assert db.session.scalar(select(Resident)).sms_opted_out


@pytest.mark.parametrize("stop_word, leave", [("BAIXA", "BAIXA 123"), ("baja", "BAJA 123"),
                                              ("STOP", "LEAVE 123")])
def test_an_opted_out_phone_leaving_by_code_frees_the_place_without_being_texted(
        client, workshop, stop_word, leave):
    text(client, "ALTA 123")
    waiting = register(workshop, mobile(1))
    text(client, stop_word)
    assert text(client, leave) == (200, "")
    mine, promoted = registrations()
    assert mine.status == RegistrationStatus.CANCELLED
    assert promoted.status == RegistrationStatus.CONFIRMED
    assert db.session.scalar(select(InboundMessage).order_by(InboundMessage.id.desc())
                             .limit(1)).action == "cancel"
    queued = db.session.scalars(select(OutboxMessage)).all()
    assert {m.resident_id for m in queued} == {waiting.resident_id}
    assert MessageKind.PROMOTED in {m.kind for m in queued}
    sender = RecordingSender()
    send_due(sender, now=datetime.now(UTC))
    assert [to for to, _body in sender.sent] and PHONE not in [to for to, _body in sender.sent]


@pytest.mark.parametrize("body", ["INSCRIBIR 123", "BAIXA 999", "MEVES", "TALLERS Raval",
                                  "NOM Maria", "BARRI Raval", "AJUDA", "hola", "STOP", "BAIXA"])
def test_an_opted_out_phone_gets_no_reply_and_changes_nothing_but_its_places(
        client, workshop, body):
    register(workshop, mobile(1))  # the workshop is full
    text(client, "BAJA")
    resident = db.session.scalar(select(Resident).where(Resident.phone == PHONE))
    before = (resident.name, resident.home_neighbourhood_id, resident.preferred_language,
              resident.sms_opted_out, resident.sms_consent)
    assert text(client, body) == (200, "")
    db.session.refresh(resident)
    assert (resident.name, resident.home_neighbourhood_id, resident.preferred_language,
            resident.sms_opted_out, resident.sms_consent) == before
    assert [r.resident.phone for r in registrations()] == ["+34600000001"]
    assert not db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.resident_id == resident.id))


@pytest.mark.parametrize("body", ["ALTA ١٢٣", "ALTA ۱۲۳", "ALTA १२३", "ＡＬＴＡ　１２３",
                                  "alta #١٢٣", "ALTA \u200f١٢٣\u200f", "JOIN ১২৩"])
def test_a_workshop_code_in_any_scripts_digits_signs_up(client, workshop, body):
    _status, reply = text(client, body)
    assert "/r/" in reply
    assert [(r.workshop_id, r.status) for r in registrations()] == [
        (workshop.id, RegistrationStatus.CONFIRMED)]


def test_leaving_with_a_code_in_arabic_digits_frees_the_place(client, workshop):
    text(client, "ALTA 123")
    waiting = register(workshop, mobile(1))
    _status, reply = text(client, "BAIXA ١٢٣")
    assert "cancel·lat" in reply
    db.session.refresh(waiting)
    assert waiting.status == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize("body", ["ALTA ¹²³", "ALTA ①②③", "JOIN ፩፪፫", "BAIXA 𐩀𐩁𐩂",
                                  "LEAVE ²", "ALTA ⑴⑵⑶", "ALTA 1²3"])
def test_characters_that_are_digits_but_not_decimal_never_break_a_reply(client, workshop,
                                                                       body):
    assert any(c.isdigit() and unicodedata.decimal(c, None) is None for c in body)
    status, reply = text(client, body)
    assert status == 200 and reply and segments(reply) <= 2


def test_too_many_messages_in_an_hour_stop_getting_answers(client, app, workshop):
    app.config["SMS_INBOUND_LIMIT_PER_HOUR"] = 3
    replies = [text(client, "AJUDA")[1] for _ in range(5)]
    assert [bool(r) for r in replies] == [True, True, True, False, False]


# Texts: every message within two segments, in every language


def test_segment_counting_follows_gsm7_and_ucs2():
    assert is_gsm7("Hola, què tal? àèéíòú") is False  # í, ó and ú are not GSM-7
    assert is_gsm7("Plaça confirmada") is False  # ç
    assert is_gsm7("Col·lecció") is False  # the punt volat
    assert is_gsm7("Café à la carte, Ñandú") is False
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension chars count twice
    assert segments("ç" * 70) == 1 and segments("ç" * 71) == 2 and segments("ç" * 134) == 2
    assert segments("ç" * 135) == 3


LONG_TITLE = ("Taller d'introducció a la identitat digital: idCAT Mòbil, Cl@ve, certificat "
              "digital i tràmits amb l'Ajuntament")


REAL_URL = "https://tallers.internet4all.barcelona"
# The longest PUBLIC_BASE_URL every text must fit with.
LONG_URL = "https://tallers-internet4all.ajuntament.barcelona.cat/portal"
# As long as the workshop form allows (200 characters), and the longest venue name in use.
LONGEST_TITLES = {
    "ca": "Taller d'introducció a la identitat digital i a l'administració electrònica: idCAT "
          "Mòbil, Cl@ve, certificat digital, carpeta ciutadana, cita prèvia i tràmits en línia "
          "amb l'Ajuntament",
    "es": "Taller de introducción a la identidad digital y a la administración electrónica: "
          "idCAT Móvil, Cl@ve, certificado digital, carpeta ciudadana, cita previa y trámites "
          "en línea con el Ayuntamiento",
    "en": "Introduction to digital identity and e-government: idCAT Mobile, Cl@ve, digital "
          "certificates, the citizen folder, booking appointments and doing City Council "
          "paperwork online, step by step",
}
GSM7_TITLES = {language: "Taller: WhatsApp, videotrucades i xarxes socials per a gent gran, "
               "pas a pas, amb el teu propi mobil o tauleta (Android o iPhone) i molta "
               "paciencia - nivell inicial, sense coneixements previs"
               for language in ("ca", "es", "en")}
LONGEST_VENUE = ("Centre Cívic Can Basté – Espai de Creació i Difusió Cultural de Nou Barris, "
                 "Sala d'actes polivalent de la planta baixa (accés per la plaça de Can Basté)")
LONGEST_REASON = ("La sala està tancada per obres de millora fins a final de mes i no hem trobat "
                  "cap altre espai al barri on fer el taller. Disculpeu les molèsties: us "
                  "avisarem per SMS quan el tornem a programar, i tindreu plaça si la voleu.")


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_every_outgoing_text_fits_in_two_segments(app, app_context, seeded, language):
    app.config["PUBLIC_BASE_URL"] = REAL_URL
    venue = make_venue(name="Centre Cívic Can Basté – Sala d'actes de la planta baixa",
                       address="Passeig de Fabra i Puig, 274, Nou Barris")
    workshop = make_workshop(venue=venue, capacity=1,
                             titles={"ca": LONG_TITLE, "es": LONG_TITLE, "en": LONG_TITLE},
                             summaries={"ca": "a", "es": "b", "en": "c"})
    confirmed = register(workshop, mobile(1), preferred_language=language)
    waiting = register(workshop, mobile(2), preferred_language=language)
    now = datetime.now(UTC)
    with app.test_request_context():
        bodies = [
            texts.confirmed(confirmed, now), texts.waitlisted(waiting, now, 12),
            texts.promoted(confirmed, now), texts.reminder(confirmed, workshop.sessions[0], now),
            texts.schedule_changed(confirmed, now),
            texts.workshop_cancelled(confirmed, now, "La sala està tancada per obres de "
                                     "millora fins a final de mes. Disculpeu les molèsties."),
            texts.manage_link_text(confirmed, now),
        ]
    for body in bodies:
        assert segments(body) <= 2, body
        assert body.startswith("Internet 4all: ")
    # The texts that carry the personal link each carry a new one, and each opens her page.
    links = [token_in(body) for body in bodies if "/r/" in body]
    assert len(links) == len(set(links)) == 3
    assert {registration_by_token(token) for token in links} == {confirmed}


@pytest.mark.parametrize("language", ["ca", "es", "en"])
@pytest.mark.parametrize("titles, venue", [
    (LONGEST_TITLES, LONGEST_VENUE), (GSM7_TITLES, "Biblioteca Les Roquetes - Sala 2"),
    ({"ca": "Excel", "es": "Excel", "en": "Excel"}, "Casal"),
], ids=["ucs2", "gsm7", "short"])
def test_every_outbound_message_kind_fits_in_two_segments_with_a_60_character_address(
        app, app_context, seeded, language, titles, venue):
    assert len(LONG_URL) == 60 and all(len(t) <= 200 for t in titles.values())
    app.config["PUBLIC_BASE_URL"] = LONG_URL
    workshop = make_workshop(venue=make_venue(name=venue), capacity=1, titles=titles,
                             summaries={"ca": "a", "es": "b", "en": "c"})
    confirmed = register(workshop, mobile(1), preferred_language=language)
    waiting = register(workshop, mobile(2), preferred_language=language)
    params = {MessageKind.REMINDER: {"session_id": workshop.sessions[0].id},
              MessageKind.WORKSHOP_CANCELLED: {"reason": LONGEST_REASON}}
    for kind in set(MessageKind) - RESIDENT_KINDS:
        registration = waiting if kind == MessageKind.WAITLISTED else confirmed
        body = render_outbox(OutboxMessage(kind=kind, registration_id=registration.id,
                                           params=params.get(kind, {})), datetime.now(UTC))
        assert body is not None, kind
        assert segments(body) <= 2, body
        assert body.startswith("Internet 4all: ")
        if kind in (MessageKind.REGISTRATION_CONFIRMED, MessageKind.PROMOTED,
                    MessageKind.MANAGE_LINK):
            assert re.search(rf"{re.escape(LONG_URL)}/r/[\w-]{{22}}$", body), body
            assert opens(body) == confirmed


RESIDENT_KINDS = {MessageKind.PHONE_CODE, MessageKind.INTRODUCTION}


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_the_introduction_and_the_code_fit_in_two_segments(app, app_context, seeded, language):
    resident = Resident(preferred_language=language)
    for body in (texts.introduction(resident), texts.phone_code(resident, "123456")):
        assert segments(body) <= 2, body
        assert body.startswith("Internet 4all: ")
    assert "123456" in texts.phone_code(resident, "123456")


def test_a_text_that_fits_keeps_its_accents(app, app_context, workshop):
    registration = register(workshop, mobile(1), preferred_language="ca")
    body = texts.confirmed(registration, datetime.now(UTC))
    assert "plaça confirmada: El mòbil pas a pas" in body


def test_accents_go_before_words_when_a_long_address_leaves_no_room(app, app_context,
                                                                    workshop):
    app.config["PUBLIC_BASE_URL"] = LONG_URL
    registration = register(workshop, mobile(1), preferred_language="ca")
    body = texts.confirmed(registration, datetime.now(UTC))
    assert "placa confirmada: El mòbil pas a pas, " in body and is_gsm7(body)
    assert body.endswith(f"{LONG_URL}/r/{token_in(body)}") and opens(body) == registration


@pytest.mark.parametrize("base_url", [REAL_URL, LONG_URL])
def test_every_reply_fits_in_two_segments(client, app, app_context, seeded, base_url):
    """Each text comes from its own phone, which holds a place at 456, and is sent twice:
    signing up again answers with the personal link, leaving again that there is no place."""
    app.config["PUBLIC_BASE_URL"] = base_url
    for code in ("123", "456"):
        make_workshop(public_code=code, venue=make_venue(name=LONGEST_VENUE),
                      titles=LONGEST_TITLES, summaries={"ca": "a", "es": "b", "en": "c"})
    for n, body in enumerate(["ALTA 123", "INSCRIBIR 123", "JOIN 123", "BAIXA 456", "AJUDA",
                              "AYUDA", "HELP", "TALLERS", "TALLERES nou barris", "MEVES",
                              "NOM Maria de los Ángeles Fernández", "BARRI atlantis", "STOP"]):
        sender = mobile(10 + n)
        text(client, "ALTA 456", sender=sender, base=base_url)
        replies = [text(client, body, sender=sender, base=base_url)[1] for _ in range(2)]
        assert replies[0], body
        assert all(segments(reply) <= 2 for reply in replies), replies


# The outbox worker


class RecordingHttpClient(HttpClient):
    """Twilio's HTTP layer replaced by a recorder: the real Client, no network."""

    def __init__(self, responses=()):
        super().__init__(logger=logging.getLogger("twilio.http_client"), is_async=False)
        self.requests = []
        self.responses = list(responses)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {}),
                              "auth": auth})
        if self.responses:
            status, payload = self.responses.pop(0)
        else:
            status, payload = 201, {"sid": f"SM{len(self.requests):032d}", "status": "queued"}
        return Response(status, json.dumps(payload))


def test_the_log_backend_sends_in_the_residents_language(app, app_context, workshop):
    register(workshop, mobile(1), preferred_language="es")
    result = send_due(LogSender(), now=datetime.now(UTC))
    message = db.session.scalar(select(OutboxMessage))
    assert (result.sent, message.status) == (1, OutboxStatus.SENT)
    assert "plaza" in message.body and message.provider_id.startswith("log-")


def test_the_twilio_backend_uses_the_real_client(app, app_context, workshop):
    app.config["SMS_BACKEND"] = "twilio"
    http = RecordingHttpClient()
    register(workshop, mobile(1))
    send_due(make_sender(app, http), now=datetime.now(UTC))
    introduction, request = http.requests  # a web sign-up: who we are goes first
    assert "STOP" in introduction["data"]["Body"]
    assert request["method"] == "POST"
    assert request["uri"].endswith(f"/Accounts/{TEST_CONFIG['TWILIO_ACCOUNT_SID']}"
                                   "/Messages.json")
    assert request["data"]["To"] == "+34600000001"
    assert request["data"]["From"] == TEST_CONFIG["TWILIO_FROM_NUMBER"]
    assert request["data"]["StatusCallback"] == "http://localhost/sms/status"
    assert "plaça" in request["data"]["Body"]
    assert db.session.scalar(select(OutboxMessage)).provider_id == "SM" + "0" * 31 + "2"


# Personal links in texts: sent whole, stored with the token cut out


def test_no_column_holds_a_working_token_after_the_worker_sends_a_confirmation(
        app, client, app_context, workshop):
    from tests.test_privacy import scan

    app.config["SMS_BACKEND"] = "twilio"
    http = RecordingHttpClient()
    registration = register(workshop, mobile(1))
    assert send_due(make_sender(app, http), now=datetime.now(UTC)).sent == 1
    sent = http.requests[-1]["data"]["Body"]  # after the introduction
    token = token_in(sent)
    assert opens(sent) == registration and client.get(f"/r/{token}").status_code == 200
    assert scan([token]) == set()
    assert db.session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.kind == MessageKind.REGISTRATION_CONFIRMED)) == sent.replace(token, "…")


def test_no_column_holds_a_working_token_after_an_sms_reply_with_a_link(client, workshop):
    from tests.test_privacy import scan

    # Signing up, then again: the place is hers already, and the reply carries her link.
    replies = [text(client, "ALTA 123")[1], text(client, "ALTA 123")[1]]
    tokens = [token_in(reply) for reply in replies]
    assert [opens(reply) for reply in replies] == [registrations()[0]] * 2
    assert scan(tokens) == set()
    stored = db.session.scalars(select(InboundMessage.reply).order_by(InboundMessage.id))
    assert list(stored) == [reply.replace(token, "…")
                            for reply, token in zip(replies, tokens, strict=True)]


def test_a_text_without_the_link_makes_no_link(app_context, workshop):
    from workshops.registrations.models import ManageLink

    def links():
        return db.session.scalar(select(func.count()).select_from(ManageLink))

    register(workshop, mobile(1))  # confirmed: the confirmation carries a link
    register(workshop, mobile(2))  # waiting: that text points to no link
    assert send_due(LogSender(), now=datetime.now(UTC)).sent == 2
    assert links() == 1
    catalogue.cancel(workshop, reason="Obres", now=datetime.now(UTC))
    db.session.commit()
    assert send_due(LogSender(), now=datetime.now(UTC)).sent == 2
    assert links() == 1


def test_a_copy_that_loses_the_race_gets_the_first_reply_with_a_working_link(
        client, workshop, monkeypatch):
    """Twilio delivers the same message twice at once: the copy that fails to store it
    answers like a redelivery."""
    from sqlalchemy.exc import IntegrityError

    from workshops.sms import views

    def other_copy_first(sid, sender, body, *, now):
        monkeypatch.setattr(views, "handle", handle)
        handle(sid, sender, body, now=now)
        db.session.commit()
        raise IntegrityError("INSERT INTO inbound_message", {}, Exception("duplicate key"))

    monkeypatch.setattr(views, "handle", other_copy_first)
    status, reply = text(client, "ALTA 123")
    assert status == 200 and "plaça confirmada" in reply
    assert opens(reply) == registrations()[0]
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_a_stored_text_loses_the_key_in_its_link_and_keeps_everything_else():
    assert without_link_tokens(
        "Internet 4all: plaça confirmada: Excel, dl. 1/12 10:00. https://i4a.example/r/Ab_1-x"
    ) == "Internet 4all: plaça confirmada: Excel, dl. 1/12 10:00. https://i4a.example/r/…"
    assert without_link_tokens("612 34 56 78: http://x.cat/base/r/AbC.") == (
        "612 34 56 78: http://x.cat/base/….")  # a base address with a path: cut all the same
    assert without_link_tokens("https://i4a.example/ and ALTA 123") == (
        "https://i4a.example/ and ALTA 123")
    assert without_link_tokens(None) == ""


def test_transient_failures_retry_later_and_permanent_ones_never(app, app_context, workshop):
    app.config["SMS_BACKEND"] = "twilio"
    http = RecordingHttpClient([
        (503, {"code": 20503, "message": "Service unavailable", "status": 503}),
        (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
               "status": 400}),
    ])
    register(workshop, mobile(1))
    register(workshop, mobile(2))
    now = datetime.now(UTC)
    result = send_due(make_sender(app, http), now=now)
    assert (result.retried, result.failed) == (1, 1)
    retrying, failed = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    assert retrying.status == OutboxStatus.PENDING and retrying.send_after > now
    assert failed.status == OutboxStatus.FAILED and "21610" in failed.last_error
    assert send_due(make_sender(app, http), now=now).sent == 0  # not due yet
    later = send_due(make_sender(app, http), now=now + timedelta(hours=1))
    # Each first attempt failed on the introduction; the retry sends it, then the text.
    assert later.sent == 1 and len(http.requests) == 4


def test_nothing_is_sent_to_a_phone_that_opted_out(client, app, workshop):
    register(workshop, PHONE)
    text(client, "STOP")
    db.session.add(OutboxMessage(kind=MessageKind.MANAGE_LINK,
                                 resident_id=registrations()[0].resident_id,
                                 registration_id=registrations()[0].id, params={},
                                 status=OutboxStatus.PENDING, created_at=datetime.now(UTC),
                                 send_after=datetime.now(UTC), attempts=0))
    db.session.commit()
    sender = LogSender()
    sent = []
    sender.send = lambda to, body: sent.append(to) or "x"
    result = send_due(sender, now=datetime.now(UTC))
    assert sent == [] and result.skipped == 1


def test_two_workers_never_claim_the_same_message(app, app_context, workshop):
    workshop.capacity = 40
    db.session.commit()
    for n in range(30):
        register(workshop, mobile(n))
    claimed, barrier = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            claimed.append(claim(datetime.now(UTC), batch=20))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = claimed
    assert not set(first) & set(second)
    assert len(first) + len(second) == 30


def test_reminders_are_queued_once_per_person_and_session(app, app_context, seeded):
    now = datetime.now(UTC)
    tomorrow = to_local(now).date() + timedelta(days=1)
    start = local_to_utc(tomorrow, time(10))
    workshop = make_workshop(slots=[Slot(start, start + timedelta(hours=2))], capacity=1)
    register(workshop, mobile(1))
    register(workshop, mobile(2))  # waiting: no reminder
    assert schedule_reminders(now=now) == 1
    assert schedule_reminders(now=now) == 0
    db.session.commit()
    send_due(LogSender(), now=now)
    reminder = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.REMINDER))
    assert reminder.status == OutboxStatus.SENT and "10:00" in reminder.body
    assert f"BAIXA {workshop.public_code}" in reminder.body


def test_moving_a_session_tells_people_with_a_place(app_context):
    workshop = make_workshop(capacity=2)
    register(workshop, mobile(1))
    new_start = workshop.sessions[0].starts_at + timedelta(days=1)
    catalogue.move_session(workshop.sessions[0], Slot(new_start, new_start + timedelta(hours=2)),
                           now=datetime.now(UTC))
    db.session.commit()
    changed = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.SCHEDULE_CHANGED)).all()
    assert len(changed) == 1


# Delivery status callbacks and the log page


def test_delivery_status_is_recorded_and_never_moves_backwards(client, app, workshop):
    app.config["SMS_BACKEND"] = "twilio"
    register(workshop, mobile(1))
    send_due(make_sender(app, RecordingHttpClient()), now=datetime.now(UTC))
    message = db.session.scalar(select(OutboxMessage))
    sid = message.provider_id
    for status in ["sent", "delivered", "sent"]:
        response = signed_post(client, "/sms/status", {"MessageSid": sid,
                                                       "MessageStatus": status})
        assert response.status_code == 204
    db.session.refresh(message)
    assert message.delivery_status == "delivered"
    forged = client.post("/sms/status", data={"MessageSid": sid, "MessageStatus": "failed"})
    assert forged.status_code == 403


def test_coordinators_see_the_sms_log_in_their_language_with_numbers_masked(client, auth, workshop):
    text(client, "ALTA 123")
    register(workshop, mobile(1))
    send_due(LogSender(), now=datetime.now(UTC))
    auth.login_as(Role.COORDINATOR)
    html = client.get("/staff/sms?lang=ca").get_data(as_text=True)
    assert "ALTA 123" in html and "••• ••• 678" in html and PHONE not in html
    assert "Llista d'espera" in html and "Enviat" in html
    assert "waitlisted" not in html and ">sent<" not in html


def test_a_sender_that_is_not_a_phone_gets_no_reply(client, workshop):
    assert text(client, "ALTA 123", sender="INTERNET4ALL") == (200, "")
    assert text(client, "ALTA 123", sender="+34 12") == (200, "")
    assert registrations() == []


def test_the_worker_command_sends_what_is_due_and_stops(runner, app_context, workshop):
    register(workshop, mobile(1))
    result = runner.invoke(args=["sms", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert db.session.scalar(select(OutboxMessage)).status == OutboxStatus.SENT
    assert runner.invoke(args=["sms", "reminders"]).output.startswith("0 reminders")


# Any input (property-based): the conversation and the webhook over arbitrary text

FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
# A phone with a place, one waiting, one opted out, one unknown, a foreign mobile, and
# senders that are not phones.
SENDERS = [PHONE, "+34600000001", "+34600000002", "+34600000003", "+447700900123",
           "INTERNET4ALL", "+34 12"]
# Any character a request can carry (UTF-8: no lone surrogates) but NUL, which the webhook
# refuses before the conversation sees it.
NOT_NUL = st.characters(codec="utf-8", exclude_characters="\x00")


def in_any_case(word):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda lower: "".join(c.lower() if low else c for c, low in zip(word, lower, strict=True)))


keywords = st.sampled_from(sorted(ACTIONS_BY_WORD)).flatmap(in_any_case)
codes = st.one_of(st.sampled_from(["123", "456", "١٢٣", "۴۵۶", "१२३", "１２３", "#123", "999"]),
                  st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=5))
separators = st.sampled_from([" ", "  ", "\u3000", " \u200f", "\t", "\n", ". ", ""])
any_text = st.text(NOT_NUL, max_size=80)
messages = st.one_of(
    any_text,
    keywords,
    st.builds("{}{}{}".format, keywords, separators, codes),
    st.builds("{}{}{}".format, keywords, separators, any_text),
    st.builds(lambda word, filler, times: f"{word} {filler * times}"[:1600],
              keywords, st.text(NOT_NUL, min_size=1, max_size=5), st.integers(100, 1600)),
)
twilio_sids = st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True)


@pytest.fixture
def residents_in_every_state(app, app_context, seeded):
    """Two workshops with the longest names, linked at the longest address; SENDERS' first
    three phones hold a place, wait, and have opted out."""
    app.config["PUBLIC_BASE_URL"] = LONG_URL
    full, other = (make_workshop(public_code=code, capacity=capacity,
                                 venue=make_venue(name=LONGEST_VENUE), titles=LONGEST_TITLES,
                                 summaries={"ca": "a", "es": "b", "en": "c"})
                   for code, capacity in (("123", 1), ("456", 5)))
    register(full, PHONE)
    register(full, mobile(1))
    register(other, mobile(2)).resident.sms_opted_out = True
    db.session.commit()


@settings(FUZZ, max_examples=150)
@given(sender=st.sampled_from(SENDERS), body=messages)
def test_any_text_gets_no_reply_or_one_within_two_segments(residents_in_every_state, sender,
                                                          body):
    """Each example is rolled back: all start from the same residents and places."""
    try:
        reply = handle(new_sid(), sender, body, now=datetime.now(UTC))
    finally:
        db.session.rollback()
    assert reply is None or 0 < segments(reply) <= 2, reply
    ElementTree.fromstring(twiml(reply)[0])  # noqa: S314 (our answer: Twilio can read it)


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_the_signed_webhook_never_answers_5xx_and_a_refusal_changes_nothing(
        client, residents_in_every_state, data):
    """Requests shaped like Twilio's are answered; anything else may be refused (400), and
    then nothing changed. Earlier examples' sign-ups stay: what is checked holds anyway."""
    shaped_like_twilios = data.draw(st.booleans(), label="shaped like Twilio's")
    if shaped_like_twilios:
        params = {"MessageSid": data.draw(twilio_sids), "From": data.draw(
            st.sampled_from(SENDERS)), "Body": data.draw(messages)}
    else:
        some_text = st.text(st.characters(codec="utf-8"), max_size=40)
        anything = st.one_of(
            st.none(), some_text, twilio_sids, st.sampled_from(SENDERS), messages,
            st.builds(lambda text, times: (text * times)[:300], some_text.filter(bool),
                      st.integers(20, 300)),  # past every column
            st.builds("{}\x00{}".format, some_text, some_text),
            st.integers(1590, 1700).map(lambda n: ("ALTA 123 " * 200)[:n]))
        params = {name: value for name in ("MessageSid", "From", "Body")
                  if (value := data.draw(anything, label=name)) is not None}
    db.session.execute(delete(InboundMessage))  # no example is another's redelivery
    db.session.commit()
    before = database_rows()
    response = signed_post(client, "/sms/inbound", params, base=LONG_URL)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        reply = ElementTree.fromstring(response.data).findtext("Message")  # noqa: S314
        assert reply is None or segments(reply) <= 2, reply
    else:
        assert not shaped_like_twilios
        assert database_rows() == before


def test_a_confirmation_still_queued_when_the_workshop_is_cancelled_is_not_sent(
        app_context, workshop):
    register(workshop, mobile(1))
    catalogue.cancel(workshop, reason="La sala està tancada.", now=datetime.now(UTC))
    db.session.commit()
    sender = RecordingSender()
    result = send_due(sender, now=datetime.now(UTC))
    bodies = [body for _to, body in sender.sent if "STOP" not in body]  # after the introduction
    assert len(bodies) == 1 and "La sala està tancada." in bodies[0]
    assert "confirmada" not in bodies[0] and result.skipped == 1


# TALLERS / TALLERES / WORKSHOPS: what a resident can join now


def trinitat_nova():
    from workshops.places.models import Neighbourhood

    return db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 53))


def open_in_trinitat(code, titles, days, **overrides):
    start = (TEST_NOW + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return make_workshop(public_code=code, venue=make_venue(neighbourhood=trinitat_nova()),
                         titles=titles, summaries={lang: "-" for lang, t in titles.items() if t},
                         slots=[Slot(start, start + timedelta(hours=2))], **overrides)


def test_the_workshop_list_leaves_out_what_has_started_or_closed(client, app_context, seeded):
    started = TEST_NOW - timedelta(days=2)
    make_workshop(public_code="101", venue=make_venue(neighbourhood=trinitat_nova()),
                  titles={"ca": "Ja començat", "es": "", "en": ""},
                  now=started - timedelta(days=9),
                  slots=[Slot(started, started + timedelta(hours=2)),
                         Slot(started + timedelta(days=7),
                              started + timedelta(days=7, hours=2))])
    open_in_trinitat("102", {"ca": "Tancat", "es": "", "en": ""}, 5,
                     registration_closes_at=TEST_NOW - timedelta(hours=1))
    open_in_trinitat("456", {"ca": "Obert", "es": "", "en": ""}, 6)
    _status, reply = text(client, "TALLERS Nou Barris")
    assert "456 Obert" in reply
    assert "101" not in reply and "102" not in reply


@pytest.mark.parametrize("body, language", [
    ("TALLERS Trinitat Nova", "ca"), ("TALLERES trinitat nova", "es"),
    ("WORKSHOPS Trinitat Nova", "en")])
def test_the_workshop_list_dates_each_workshop_in_the_reply_s_language(
        client, app_context, seeded, body, language):
    from babel.dates import format_datetime

    workshop = open_in_trinitat("456", {"ca": "Correu", "es": "Correo", "en": "Email"}, 4)
    _status, reply = text(client, body)
    expected = format_datetime(workshop.sessions[0].starts_at, "EEE d/M HH:mm",
                               tzinfo=to_local(TEST_NOW).tzinfo, locale=language)
    assert f"456 {workshop.title(language).text} ({expected})" in reply


LONG_TITLES = [
    "Cita prèvia i tràmits amb l'Ajuntament des del mòbil",
    "Primeros pasos con el ordenador y el correo electrónico",
    "Video calls with your family and friends far away",
    "Que no us enganyin: estafes per internet i per telèfon",
]


@pytest.mark.parametrize("body", ["TALLERS Trinitat Nova", "TALLERES Trinitat Nova",
                                  "WORKSHOPS Trinitat Nova"])
def test_the_workshop_list_shortens_titles_between_words_and_says_where_the_others_are(
        client, app, app_context, seeded, body):
    app.config["PUBLIC_BASE_URL"] = LONG_URL
    for n, title in enumerate(LONG_TITLES):
        open_in_trinitat(str(401 + n), {"ca": title, "es": title, "en": title}, 3 + n)
    _status, reply = text(client, body, base=LONG_URL)
    assert segments(reply) <= 2
    listed = re.findall(r"\b(40[1-4]) (.+?) \(", reply)
    assert listed, reply
    for code, shown in listed:
        original = LONG_TITLES[int(code) - 401]
        words = shown.rstrip(".…").split()
        plain = without_accents(original).split()
        assert [without_accents(w) for w in words] == plain[:len(words)], (shown, original)
    others = len(LONG_TITLES) - len(listed)
    assert f"{others} " in reply
    assert f"{LONG_URL}/workshops?neighbourhood=53&free_seats=y" in reply


def without_accents(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text.replace("·", "."))
                   if not unicodedata.combining(c))


def test_a_short_title_is_cut_after_a_whole_word_and_not_on_a_dangling_one():
    from workshops.sms.listing import short_title

    assert short_title("Cita prèvia i tràmits amb l'Ajuntament", 28) == (
        "Cita prèvia i tràmits…")
    assert short_title("Primeros pasos con el móvil", 20) == "Primeros pasos…"
    assert short_title("Videotrucades", 5) == "Videotrucades"
    assert short_title("Correu electrònic", 40) == "Correu electrònic"


def test_a_message_is_stored_once_with_its_action_and_reply_in_few_statements(
        client, app, workshop):
    """Issue 17: the webhook answers the bench's AJUDA with four statements (SQLite's
    BEGIN included): seen already and the sender's count at once, the sender, the row."""
    from sqlalchemy import event

    seen = []

    def note(_connection, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        status, reply = text(client, "AJUDA", sender="+34612000001")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert status == 200 and reply
    assert [s for s in seen if "inbound_message" in s.split(" WHERE")[0]
            and not s.startswith("SELECT")] == [s for s in seen
                                                if s.startswith("INSERT INTO inbound_message")]
    assert len(seen) <= 4
    stored = db.session.scalar(select(InboundMessage))
    assert (stored.action, stored.reply) == ("help", without_link_tokens(reply))
