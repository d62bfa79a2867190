"""Registering by SMS: the signed Twilio webhook, keywords in three languages, the outbox
worker with the log and Twilio backends, reminders, delivery status, limits."""

import itertools
import json
import logging
import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from tests.conftest import TEST_CONFIG
from tests.factories import make_venue, make_workshop, mobile, register
from workshops.accounts.models import Role
from workshops.catalogue import services as catalogue
from workshops.catalogue.schedule import Slot, local_to_utc, to_local
from workshops.extensions import db
from workshops.registrations.models import Registration, RegistrationStatus, Resident
from workshops.sms import texts
from workshops.sms.models import InboundMessage, MessageKind, OutboxMessage, OutboxStatus
from workshops.sms.segments import is_gsm7, segments
from workshops.sms.senders import LogSender, make_sender
from workshops.sms.worker import claim, schedule_reminders, send_due

PHONE = "+34612345678"
_sids = itertools.count(1)


def signed_post(client, path, params, token=TEST_CONFIG["TWILIO_AUTH_TOKEN"],
                base=TEST_CONFIG["PUBLIC_BASE_URL"]):
    url = base + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def text(client, body, sender=PHONE, sid=None, base=TEST_CONFIG["PUBLIC_BASE_URL"]):
    """Send an SMS to the webhook as Twilio would; return (status, reply text or "")."""
    params = {"MessageSid": sid or f"SM{next(_sids):032d}", "From": sender,
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


def registrations():
    db.session.rollback()
    return db.session.scalars(select(Registration).order_by(Registration.id)).all()


# The webhook's security and idempotency


def test_a_forged_signature_gets_403_and_changes_nothing(client, workshop):
    params = {"MessageSid": "SM1", "From": PHONE, "Body": "ALTA 123"}
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
    first = text(client, "ALTA 123", sid="SMrepeat")
    second = text(client, "ALTA 123", sid="SMrepeat")
    assert first == second and first[0] == 200
    assert len(registrations()) == 1


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
    assert "/r/" + registration.manage_token in reply
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
    assert "/r/" + confirmed.manage_token in bodies[0]


@pytest.mark.parametrize("body", ["ALTA 123", "INSCRIBIR 123", "JOIN 123", "AJUDA", "AYUDA",
                                  "HELP", "TALLERS", "TALLERES nou barris", "MEVES",
                                  "NOM Maria de los Ángeles Fernández", "STOP"])
def test_every_reply_fits_in_two_segments(client, app, app_context, seeded, body):
    app.config["PUBLIC_BASE_URL"] = REAL_URL
    venue = make_venue(name="Centre Cívic Can Basté – Sala d'actes de la planta baixa")
    make_workshop(public_code="123", venue=venue,
                  titles={"ca": LONG_TITLE, "es": LONG_TITLE, "en": LONG_TITLE},
                  summaries={"ca": "a", "es": "b", "en": "c"})
    _status, reply = text(client, body, base=REAL_URL)
    assert reply and segments(reply) <= 2, reply


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
    request = http.requests[0]
    assert request["method"] == "POST"
    assert request["uri"].endswith(f"/Accounts/{TEST_CONFIG['TWILIO_ACCOUNT_SID']}"
                                   "/Messages.json")
    assert request["data"]["To"] == "+34600000001"
    assert request["data"]["From"] == TEST_CONFIG["TWILIO_FROM_NUMBER"]
    assert request["data"]["StatusCallback"] == "http://localhost/sms/status"
    assert "plaça" in request["data"]["Body"]
    assert db.session.scalar(select(OutboxMessage)).provider_id == "SM" + "0" * 31 + "1"


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
    assert later.sent == 1 and len(http.requests) == 3


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
    register(workshop, mobile(1))
    send_due(LogSender(), now=datetime.now(UTC))
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


def test_coordinators_see_the_sms_log_in_their_language(client, auth, workshop):
    text(client, "ALTA 123")
    register(workshop, mobile(1))
    send_due(LogSender(), now=datetime.now(UTC))
    auth.login_as(Role.COORDINATOR)
    html = client.get("/staff/sms?lang=ca").get_data(as_text=True)
    assert "ALTA 123" in html and PHONE in html
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
