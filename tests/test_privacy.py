"""Erasure everywhere, retention periods and the purge, the privacy page."""

import json
import logging
import re
import unicodedata
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import JSON, String, func, select
from twilio.http import HttpClient
from twilio.http.response import Response

from tests.conftest import RecordingSender, csrf_fields_from, post_form
from tests.factories import (
    attend,
    make_workshop,
    manage_token,
    mobile,
    register,
    resident_details,
    token_in,
)
from tests.test_sms import new_sid, signed_post, text
from workshops import built_documents, ratelimit
from workshops.accounts.models import Role
from workshops.audit import services as audit
from workshops.audit.models import AuditAction, AuditEvent
from workshops.catalogue.local_time import Slot
from workshops.extensions import db
from workshops.notifications.models import MessageKind, OutboxMessage, OutboxStatus
from workshops.notifications.services import notify
from workshops.notifications.worker import claim, schedule_reminders, send_due
from workshops.places.models import Neighbourhood
from workshops.privacy.retention import inactive_residents, months_before, purge, purge_if_due
from workshops.reach.exports import records
from workshops.reach.facts import ReachFact
from workshops.reach.queries import BY_HOME, BY_VENUE, ReachFilters, reach
from workshops.registrations import services
from workshops.registrations.erasure import erase_resident
from workshops.registrations.models import (
    Channel,
    ManageLink,
    Registration,
    Resident,
    hash_manage_token,
)
from workshops.sms.cli import purge_daily
from workshops.sms.inbound import handle
from workshops.sms.models import InboundMessage
from workshops.sms.senders import LogSender, make_sender
from workshops.voice.models import CallbackRequest, VoiceCall

NAME = "Eulàlia Zubizarreta-Oyarbide"
PHONE = "+34677889901"
# Every way her number may be written, and her name's distinctive parts.
PHONE_SPELLINGS = ["+34677889901", "677 88 99 01", "677889901", "0034677889901",
                   "34677889901", "677 889 901", "+34 677 88 99 01"]
NAME_PARTS = [NAME, "Zubizarreta", "Oyarbide"]


@pytest.fixture
def now():
    """The frozen clock as the test starts (see conftest.TEST_NOW)."""
    return datetime.now(UTC)


class RecordingHttpClient(HttpClient):
    """Twilio's HTTP layer without the network: the real Client, a message SID per send."""

    def __init__(self):
        super().__init__(logger=logging.getLogger("twilio.http_client"), is_async=False)
        self.requests = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append(dict(data or {}))
        return Response(201, json.dumps({"sid": f"SM{uuid.uuid4().hex}", "status": "queued"}))


# Scanning the whole database


def fold(value: str) -> str:
    """Lower case without accents: "Eulàlia" and "EULALIA" are the same name."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def text_columns():
    """Every column of every table that can hold text: String (and Text, enums), JSON."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, JSON)) or isinstance(
                    getattr(column.type, "impl", None), (String, JSON)):
                yield table, column


def scan(needles: list[str]) -> set[tuple[str, str, str]]:
    """(table.column, needle, value) wherever a needle occurs in a text column, compared
    without case or accents, and for phone numbers also by their digits alone."""
    db.session.rollback()
    folded = [(needle, fold(needle)) for needle in needles]
    digit_needles = [(needle, re.sub(r"\D", "", needle)) for needle in needles
                     if re.fullmatch(r"[+\d ]+", needle)]
    found = set()
    for table, column in text_columns():
        for value in db.session.scalars(select(column).where(column.is_not(None))):
            value = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) \
                else value
            where = f"{table.name}.{column.name}"
            for needle, folded_needle in folded:
                if folded_needle in fold(value):
                    found.add((where, needle, value[:80]))
            digits = re.sub(r"\D", "", value)
            for needle, digit_needle in digit_needles:
                if digit_needle[-9:] in digits:
                    found.add((where, needle, value[:80]))
    return found


def test_the_scan_reads_every_text_column_of_every_table(app_context):
    columns = {f"{table.name}.{column.name}" for table, column in text_columns()}
    assert {"resident.name", "resident.phone", "resident.email", "inbound_message.from_phone",
            "inbound_message.body", "inbound_message.reply", "inbound_message.message_sid",
            "outbox_message.body", "outbox_message.params", "outbox_message.provider_id",
            "outbox_message.last_error", "manage_link.token_hash",
            "rate_limit_hit.key_hash"} <= columns
    # Nothing that holds text escapes the scan, whatever its column type is called.
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            try:
                python_type = column.type.python_type
            except NotImplementedError:
                python_type = str
            if python_type in (str, dict, list):
                assert f"{table.name}.{column.name}" in columns


# Erasure everywhere


def published_figures(client) -> dict:
    """Everything the reach figures publish: the coordinators' dashboard and downloads, and
    the open data, by venue and by home (a fresh computation each time)."""
    built_documents.forget()
    figures = {}
    for by in (BY_VENUE, BY_HOME):
        figures[f"dashboard.json {by}"] = json.loads(client.get(f"/reach.json?by={by}").data)
        figures[f"dashboard.csv {by}"] = client.get(f"/reach.csv?by={by}").data
        page = client.get(f"/reach?by={by}").get_data(as_text=True)
        figures[f"dashboard {by}"] = page.split('<main', 1)[1].split("</main>", 1)[0]
        for extension in ("json", "csv"):
            built_documents.forget()
            response = client.get(f"/open-data/reach.{extension}?by={by}")
            assert response.status_code == 200
            figures[f"open data {extension} {by}"] = response.data
    for key in [k for k in figures if k.startswith("dashboard.json")]:
        figures[key].pop("generated_at", None)
    return figures


def reach_rows():
    """The rows every reach figure is computed from."""
    db.session.rollback()
    return db.session.execute(select(ReachFact.__table__)
                              .order_by(ReachFact.registration_id)).all()


def test_an_erased_resident_is_in_no_table_and_every_figure_stays_the_same(
        app, client, auth, app_context, seeded, clock):
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.name == "el Raval"))
    web_workshop = make_workshop(capacity=20, titles={"ca": "Videotrucades", "es": "",
                                                      "en": ""})
    sms_workshop = make_workshop(capacity=20, public_code="123")
    others = [register(web_workshop, mobile(n), name=f"Veïna {n}",
                       home_neighbourhood=raval) for n in range(1, 8)]
    others += [register(sms_workshop, mobile(n)) for n in range(1, 4)]

    # She signs up on the web: name, phone, email, neighbourhood, age band and gender.
    page = client.get(f"/workshops/{web_workshop.id}").get_data(as_text=True)
    fields = csrf_fields_from(page) | {
        "submission_key": re.search(r'name="submission_key"[^>]*value="([^"]+)"',
                                    page).group(1),
        "name": NAME, "phone": "677 88 99 01", "home_neighbourhood": str(raval.id),
        "sms_consent": "y", "email": "eulalia.zubizarreta@example.org",
        "age_band": "45-64", "gender": "woman"}
    response = client.post(f"/workshops/{web_workshop.id}/register", data=fields)
    assert response.status_code == 303
    her_tokens = [token_in(response.headers["Location"])]
    # …and again (a new form): the place is hers already, her link goes out by SMS.
    page = client.get(f"/workshops/{web_workshop.id}").get_data(as_text=True)
    again = fields | csrf_fields_from(page) | {"submission_key": "another-form"}
    assert client.post(f"/workshops/{web_workshop.id}/register", data=again).status_code == 409
    # By SMS (signed webhook): sign up, her name, her area, her places, help; the log keeps
    # the number as Twilio sent it, in more than one spelling.
    status, reply = text(client, "ALTA 123", sender=PHONE)
    assert status == 200
    her_tokens.append(token_in(reply))
    assert NAME in text(client, f"NOM {NAME}", sender=PHONE)[1]
    text(client, "BARRI Raval", sender="0034677889901")
    text(client, "MEVES", sender=PHONE)
    # Already registered: her link in the reply.
    her_tokens.append(token_in(text(client, "INSCRIBIR 123", sender=PHONE)[1]))
    db.session.rollback()
    her = db.session.scalar(select(Resident).where(Resident.phone == PHONE))
    assert her.name == NAME and her.email
    her_id = her.id
    # The worker sends her confirmation, link and reminders through the real Twilio client;
    # Twilio reports a delivery.
    app.config["SMS_BACKEND"] = "twilio"
    http = RecordingHttpClient()
    clock.move_to(web_workshop.first_session_starts_at - timedelta(hours=20))
    now = datetime.now(UTC)
    schedule_reminders(now=now)
    db.session.commit()
    sender = make_sender(app, http)
    while send_due(sender, now=now).sent:
        pass
    db.session.rollback()
    mine = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.resident_id == her_id)).all()
    assert {m.kind for m in mine} >= {MessageKind.REGISTRATION_CONFIRMED,
                                      MessageKind.MANAGE_LINK, MessageKind.REMINDER}
    assert all(m.status == OutboxStatus.SENT and m.provider_id and m.body for m in mine), [
        (m.kind, m.status) for m in mine]
    assert any(request["To"] == PHONE for request in http.requests)
    her_tokens += [token_in(request["Body"]) for request in http.requests
                   if request["To"] == PHONE and "/r/" in request["Body"]]
    assert len(her_tokens) == len(set(her_tokens)) == 5  # web, 2 replies, 2 texts
    assert all(client.get(f"/r/{token}").status_code == 200 for token in her_tokens)
    assert signed_post(client, "/sms/status", {
        "MessageSid": mine[0].provider_id, "MessageStatus": "delivered",
        "ErrorCode": ""}).status_code == 204
    provider_ids = [m.provider_id for m in mine]
    received_sids = list(db.session.scalars(select(InboundMessage.message_sid)))
    token_hashes = [hash_manage_token(token) for token in her_tokens]
    phone_hash = ratelimit.Limit("register-phone", PHONE, 1, timedelta(hours=1)).key_hash
    # Both workshops take place; she comes to both, as do the others.
    for registration in db.session.scalars(select(Registration)):
        attend(registration, registration.workshop.sessions[0])
    clock.move_to(max(web_workshop.last_session_ends_at,
                      sms_workshop.last_session_ends_at) + timedelta(days=2))
    auth.login_as(Role.COORDINATOR)

    needles = PHONE_SPELLINGS + NAME_PARTS + provider_ids + received_sids + her_tokens + \
        token_hashes + [phone_hash]
    before = scan(needles)
    found_in = {where for where, _needle, _value in before}
    assert {"resident.name", "resident.phone", "resident.email", "inbound_message.from_phone",
            "inbound_message.body", "inbound_message.reply", "inbound_message.message_sid",
            "outbox_message.provider_id", "manage_link.token_hash",
            "rate_limit_hit.key_hash"} <= found_in, found_in
    # Her links were stored only as hashes, even before the erasure (so the texts sent to
    # her, kept with their links cut, hold nothing of hers that the scan looks for).
    assert not [found for found in before if found[1] in her_tokens], before
    figures, facts = published_figures(client), reach_rows()
    assert facts

    # The coordinator erases her by phone.
    response = post_form(client, "/staff/residents/erase",
                         f"/staff/residents/{her_id}/erase", phone="677 88 99 01", confirm="1")
    assert response.status_code == 303
    client.get(response.headers["Location"])  # the confirmation is shown (and gone)

    assert scan(needles) == set()
    assert {client.get(f"/r/{token}").status_code for token in her_tokens} == {404}
    assert published_figures(client) == figures
    assert reach_rows() == facts
    erased = db.session.get(Resident, her_id)
    assert erased.erased_at is not None
    assert (erased.age_band, erased.gender, erased.home_neighbourhood_id) == (
        "45-64", "woman", raval.id)  # kept for the figures, by design
    assert db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.resident_id == her_id)) == 2
    # Nobody else lost anything.
    assert {r.resident.phone for r in others} == {f"+34{mobile(n)}" for n in range(1, 8)}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.resident_id != her_id)) > 0


def test_erasure_deletes_her_messages_and_no_one_elses(app_context, now):
    workshop = make_workshop(public_code="321")
    her = register(workshop, mobile(1)).resident
    other = register(workshop, mobile(2)).resident
    for sender in (f"+34{mobile(1)}", f"0034{mobile(1)}", "6 0000 0001", f"+34{mobile(2)}"):
        handle(new_sid(), sender, "MEVES", now=now)
    send_due(LogSender(), now=now)
    db.session.commit()

    erase(her, now)

    assert list(db.session.scalars(select(InboundMessage.from_phone))) == [f"+34{mobile(2)}"]
    assert {m.resident_id for m in db.session.scalars(select(OutboxMessage))} == {other.id}


def test_erasure_deletes_her_links_and_no_one_elses(client, app_context, now):
    workshop = make_workshop()
    past = old_workshop(timedelta(days=30), now=now)
    hers = [register(workshop, mobile(1)), register_at(past, mobile(1), now - timedelta(days=40))]
    theirs = register(workshop, mobile(2))
    her_links = [manage_token(registration) for registration in hers * 2]
    their_link = manage_token(theirs)

    erase(hers[0].resident, now)

    assert {client.get(f"/r/{token}").status_code for token in her_links} == {404}
    assert client.get(f"/r/{their_link}").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ManageLink)) == 1


def test_someone_who_only_texted_and_asked_for_a_call_back_is_erased_on_request(
        client, auth, app_context, now):
    """She never signed up, so no resident has her number: the lookup offers to erase what
    her number sent, and afterwards it is in no table; someone else's stays."""
    other = f"+34{mobile(2)}"
    for sender in ("0034677889901", "677 88 99 01", other):
        handle(new_sid(), sender, "HOLA", now=now)
    db.session.add_all([
        VoiceCall(call_sid="CA" + "1" * 32, from_phone=PHONE, started_at=now, language="es"),
        CallbackRequest(phone=PHONE, language="es", requested_at=now),
        CallbackRequest(phone=other, language="ca", requested_at=now)])
    db.session.commit()
    assert scan([PHONE])
    auth.login_as(Role.COORDINATOR)

    found = post_form(client, "/staff/residents/erase?lang=en", phone="677 88 99 01")
    html = found.get_data(as_text=True)
    assert found.status_code == 422 and "No resident has this phone number." in html
    assert 'action="/staff/phones/erase"' in html
    assert f'<input type="hidden" name="phone" value="{PHONE}">' in html
    response = post_form(client, "/staff/residents/erase", "/staff/phones/erase",
                         phone=PHONE, confirm="1")

    assert response.status_code == 303
    assert scan([PHONE]) == set()
    assert list(db.session.scalars(select(InboundMessage.from_phone))) == [other]
    assert list(db.session.scalars(select(CallbackRequest.phone))) == [other]
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.subject_type) == (AuditAction.PHONE_ERASED, "callback_request")
    shown = client.get("/staff/residents/erase?lang=en").get_data(as_text=True)
    assert "Erased from this number: 2 text messages, 2 calls or call-back requests." in shown
    post_form(client, "/staff/residents/erase", "/staff/phones/erase", phone=PHONE,
              confirm="1")
    assert "Nothing is kept from this number." in client.get(
        "/staff/residents/erase?lang=en").get_data(as_text=True)


def test_a_residents_number_is_never_erased_as_a_strangers(client, auth, app_context, now):
    resident = register(make_workshop(public_code="321"), mobile(1)).resident
    handle(new_sid(), f"+34{mobile(1)}", "MEVES", now=now)
    db.session.commit()
    auth.login_as(Role.COORDINATOR)
    response = post_form(client, "/staff/residents/erase", "/staff/phones/erase",
                         phone=f"+34{mobile(1)}", confirm="1")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert db.session.get(Resident, resident.id).erased_at is None


def erase(resident, now):
    erase_resident(resident, now=now)
    db.session.commit()


def test_a_message_erased_after_the_worker_claimed_it_is_not_sent(app_context, now):
    workshop = make_workshop()
    registration = register(workshop, mobile(1), now=now)
    assert claim(now)
    erase(registration.resident, now)
    result = send_due(LogSender(), now=now + timedelta(minutes=11))  # the claim expired
    assert (result.sent, result.failed) == (0, 0)


def test_the_sms_log_shows_no_live_personal_links(client, auth, app_context, now):
    workshop = make_workshop()
    register(workshop, mobile(1), now=now)
    sender = RecordingSender()
    send_due(sender, now=now)
    db.session.commit()
    [_introduction, (_to, sent)] = sender.sent
    token = token_in(sent)
    assert client.get(f"/r/{token}").status_code == 200  # the text went out with its link
    stored = db.session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.kind == MessageKind.REGISTRATION_CONFIRMED))
    assert token not in stored and stored == sent.replace(token, "…")
    auth.login_as(Role.COORDINATOR)
    page = client.get("/staff/sms").get_data(as_text=True)
    assert "/r/…" in page and token not in page


# Retention


def old_workshop(ends_ago: timedelta, *, now):
    """A workshop held `ends_ago` before now, made and published before it started."""
    start = (now - ends_ago - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return make_workshop(now=start - timedelta(days=10),
                         slots=[Slot(start, start + timedelta(hours=2))])


def register_at(workshop, phone, at, **details):
    """Sign up at `at`, and the worker sends the confirmation then, as it would."""
    registration = services.register(workshop.id, resident_details(phone, **details),
                                     channel=Channel.WEB, now=at)
    db.session.commit()
    send_due(LogSender(), now=at)
    return registration


def all_figures(now):
    """The reach figures over the longest period the dashboard offers, by venue and home."""
    db.session.rollback()
    today = now.date()
    return [records(reach(ReachFilters(date(today.year - 3, today.month, 1), today, by=by),
                          now=now)) for by in (BY_VENUE, BY_HOME)]


@pytest.fixture
def world(app_context, seeded, now):
    """Residents on either side of the 24-month line, and text messages on either side of
    the 90-day one."""
    long_ago = old_workshop(timedelta(days=800), now=now)  # about 26 months
    recent = old_workshop(timedelta(days=200), now=now)
    raval = db.session.scalar(select(Neighbourhood).where(Neighbourhood.name == "el Raval"))
    signed_up = long_ago.first_session_starts_at - timedelta(days=5)
    people = {}
    # Registered and came 26 months ago, nothing since: anonymised.
    people["gone"] = register_at(long_ago, mobile(1), signed_up, name="Anna Antiga",
                                 home_neighbourhood=raval, age_band="65-74")
    attend(people["gone"], long_ago.sessions[0])
    # Came 26 months ago and again 7 months ago: kept.
    people["back"] = register_at(long_ago, mobile(2), signed_up, name="Berta Tornada")
    register_at(recent, mobile(2), recent.first_session_starts_at - timedelta(days=5),
                name="Berta Tornada")
    # Came 26 months ago, texted 4 months ago (the message itself is past the SMS period).
    people["texted"] = register_at(long_ago, mobile(3), signed_up, name="Carla Missatge")
    handle(new_sid(), f"+34{mobile(3)}", "TALLERS", now=now - timedelta(days=120))
    # Signed up 26 months ago; a coordinator corrected her mark 23 months ago.
    people["marked"] = register_at(long_ago, mobile(4), signed_up, name="Dolors Marcada")
    mark = attend(people["marked"], long_ago.sessions[0])
    mark.recorded_at = now - timedelta(days=700)
    # Only ever texted, 25 months ago: anonymised.
    handle(new_sid(), f"+34{mobile(5)}", "NOM Elena Sola", now=now - timedelta(days=770))
    # Erased already: not counted again.
    people["erased"] = register_at(long_ago, mobile(6), signed_up, name="Fina Esborrada")
    erase(people["erased"].resident, now - timedelta(days=400))
    # Text messages 91 and 89 days old, in both directions.
    handle(new_sid(), f"+34{mobile(2)}", "MEVES", now=now - timedelta(days=91))
    handle(new_sid(), f"+34{mobile(2)}", "AJUDA", now=now - timedelta(days=89))
    for age in (91, 89):
        message = notify(MessageKind.MANAGE_LINK, registration=people["back"],
                         now=now - timedelta(days=age))
        send_due(LogSender(), now=now - timedelta(days=age))
        db.session.refresh(message)
    pending = notify(MessageKind.MANAGE_LINK, registration=people["back"],
                     now=now - timedelta(days=91), send_after=now + timedelta(hours=1))
    # Attempt-limit records: one two days old in a scope nobody used since, one recent.
    ratelimit.record("login-address", "192.0.2.1", now=now - timedelta(days=2),
                     window=timedelta(minutes=15))
    ratelimit.record("register-phone", "+34600000009", now=now - timedelta(minutes=5),
                     window=timedelta(hours=1))
    db.session.commit()
    people["pending_id"] = pending.id
    people["recent_id"] = recent.id
    return people


def names():
    db.session.rollback()
    return set(db.session.scalars(select(Resident.name).where(Resident.name != "")))


def database_rows():
    db.session.rollback()
    return {table.name: db.session.execute(
                select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}


def test_what_is_past_retention_goes_and_what_is_within_stays(world, now):
    figures, facts = all_figures(now), reach_rows()
    assert names() == {"Anna Antiga", "Berta Tornada", "Carla Missatge", "Dolors Marcada",
                       "Elena Sola"}

    outcomes = {o.kind: o.count for o in purge(now=now)}
    db.session.commit()

    # Sent: the 91-day-old link, the five confirmations, and the introductions that went
    # before the first text to the four web-only numbers still on record.
    # Links: those sent to the workshop over for 26 months (4 confirmations, 2 links).
    assert outcomes == {"residents": 2, "sms-received": 3, "sms-sent": 10, "manage-links": 6,
                        "attempt-limits": 1, "phone-codes": 0, "audit-events": 0,
                        "voice-calls": 0}  # nobody called (see test_voice)
    assert list(db.session.scalars(select(Registration.workshop_id).join(
        ManageLink, ManageLink.registration_id == Registration.id))) == [world["recent_id"]]
    assert names() == {"Berta Tornada", "Carla Missatge", "Dolors Marcada"}
    assert scan([f"+34{mobile(1)}", "Anna Antiga", f"+34{mobile(5)}", "Elena Sola"]) == set()
    received = db.session.scalars(select(InboundMessage)).all()
    assert [m.body for m in received] == ["AJUDA"]
    sent = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.created_at for m in sent] == [now - timedelta(days=89),
                                            now - timedelta(days=91)]
    assert sent[1].id == world["pending_id"]  # still to be sent: not the log's to purge
    assert db.session.scalar(select(func.count()).select_from(ratelimit.RateLimitHit)) == 1
    # The anonymised keep what the figures need; every figure is the same.
    gone = db.session.get(Resident, world["gone"].resident_id)
    assert (gone.phone, gone.erased_at, gone.age_band) == (None, now, "65-74")
    assert all_figures(now) == figures and reach_rows() == facts
    # Nothing more is due: a second purge changes nothing.
    assert {o.count for o in purge(now=now)} == {0}


def test_the_periods_come_from_the_configuration(app, world, now):
    app.config["SMS_RETENTION_DAYS"] = 100
    app.config["RESIDENT_RETENTION_MONTHS"] = 30
    outcomes = {o.kind: o.count for o in purge(now=now)}
    assert (outcomes["residents"], outcomes["sms-received"]) == (0, 2)  # 120 and 770 days
    app.config["RESIDENT_RETENTION_MONTHS"] = 7
    inactive = {r.name for r in db.session.scalars(inactive_residents(now))}
    assert inactive == {"Anna Antiga", "Dolors Marcada", "Elena Sola"}


def test_a_dry_run_counts_and_changes_nothing(runner, world, now):
    for age in (timedelta(days=731), timedelta(days=10)):
        audit.record(None, AuditAction.REGISTRATIONS_VIEWED, world["gone"].workshop,
                     now=now - age)
    db.session.commit()
    before = database_rows()
    result = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert database_rows() == before
    assert result.output.splitlines() == [
        "sms-received: 3 would be deleted (text messages received more than 90 days ago)",
        "sms-sent: 10 would be deleted (text messages sent more than 90 days ago)",
        "voice-calls: 0 would be deleted (phone calls and call-back requests older than 90 "
        "days)",
        "manage-links: 6 would be deleted (personal links to workshops over for 24 months)",
        "residents: 2 would be anonymised (residents with no activity for 24 months)",
        "attempt-limits: 1 would be deleted (attempt-limit records past every window)",
        "phone-codes: 0 would be deleted (codes for My workshops asked for more than a day "
        "ago)",
        "audit-events: 1 would be deleted (audit events older than 730 days)",
    ]
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "residents: 2 anonymised" in result.output
    assert "audit-events: 1 deleted" in result.output
    assert database_rows() != before
    assert [event.at for event in db.session.scalars(select(AuditEvent))] == [
        now - timedelta(days=10)]
    assert names() == {"Berta Tornada", "Carla Missatge", "Dolors Marcada"}


def test_the_sms_worker_purges_once_a_day(world, now):
    last = purge_daily(None, now=now)
    assert last == now and names() == {"Berta Tornada", "Carla Missatge", "Dolors Marcada"}
    handle(new_sid(), f"+34{mobile(2)}", "AJUDA", now=now - timedelta(days=95))
    db.session.commit()
    assert purge_daily(last, now=now + timedelta(hours=23)) == last  # not yet
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 2
    assert purge_daily(last, now=now + timedelta(days=1)) == now + timedelta(days=1)
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert purge_if_due(None, now=now)


def test_a_resident_who_texts_is_active_after_her_messages_are_gone(app_context, now):
    workshop = old_workshop(timedelta(days=800), now=now)
    registration = register_at(workshop, mobile(1), workshop.first_session_starts_at
                               - timedelta(days=3))
    handle(new_sid(), f"+34{mobile(1)}", "AJUDA", now=now - timedelta(days=300))
    db.session.commit()
    assert registration.resident.last_message_at == now - timedelta(days=300)
    purge(now=now)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0
    assert db.session.get(Resident, registration.resident_id).phone == f"+34{mobile(1)}"
    later = now + timedelta(days=440)  # 24 months after the message, and a few days
    assert [r.id for r in db.session.scalars(inactive_residents(later))] == [
        registration.resident_id]


def test_a_registration_for_a_workshop_still_to_come_keeps_her(app_context, now):
    workshop = make_workshop(now=now - timedelta(days=800), slots=[
        Slot(now + timedelta(days=3), now + timedelta(days=3, hours=2))])
    register_at(workshop, mobile(1), now - timedelta(days=790))
    assert db.session.scalars(inactive_residents(now)).all() == []


@pytest.mark.parametrize("moment, months, expected", [
    (datetime(2026, 3, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
    (datetime(2026, 3, 31, 9, tzinfo=UTC), 25, datetime(2024, 2, 29, 9, tzinfo=UTC)),
    (datetime(2026, 11, 27, 9, tzinfo=UTC), 24, datetime(2024, 11, 27, 9, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
])
def test_months_before_stays_in_the_calendar(moment, months, expected):
    assert months_before(moment, months) == expected


def test_retention_periods_are_read_from_the_environment(monkeypatch, tmp_path):
    from workshops.config import from_environment

    defaults = from_environment(str(tmp_path))
    assert (defaults["SMS_RETENTION_DAYS"], defaults["RESIDENT_RETENTION_MONTHS"]) == (90, 24)
    assert "@" in defaults["PRIVACY_CONTACT_EMAIL"]
    monkeypatch.setenv("SMS_RETENTION_DAYS", "30")
    monkeypatch.setenv("RESIDENT_RETENTION_MONTHS", "12")
    monkeypatch.setenv("PRIVACY_CONTACT_EMAIL", "dades@example.cat")
    settings = from_environment(str(tmp_path))
    assert (settings["SMS_RETENTION_DAYS"], settings["RESIDENT_RETENTION_MONTHS"],
            settings["PRIVACY_CONTACT_EMAIL"]) == (30, 12, "dades@example.cat")
    monkeypatch.setenv("SMS_RETENTION_DAYS", "0")
    with pytest.raises(ValueError):
        from_environment(str(tmp_path))


def test_upgrading_fills_the_last_message_time_from_the_sms_log(app_context, now):
    from flask_migrate import downgrade, upgrade

    handle(new_sid(), f"+34{mobile(1)}", "NOM Maria", now=now - timedelta(days=3))
    handle(new_sid(), f"+34{mobile(1)}", "AJUDA", now=now - timedelta(days=1))
    db.session.commit()
    db.session.remove()
    downgrade(revision="0012_audit_events")
    upgrade()
    resident = db.session.scalar(select(Resident))
    assert (resident.name, resident.last_message_at) == ("Maria", now - timedelta(days=1))


# The privacy page


@pytest.mark.parametrize("language, footer", [
    ("ca", "Dades dels barris"), ("es", "Datos de los barrios"),
    ("en", "Neighbourhood data")])
def test_the_privacy_page_speaks_each_language(client, app_context, language, footer):
    """Its own texts are in the catalogues (test_translations checks every one)."""
    response = client.get(f"/privacy?lang={language}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html and footer in html
    assert "APDCAT" in html and "Twilio" in html


def test_the_privacy_page_states_the_configured_periods_and_contact_and_every_use(
        app, client, app_context):
    app.config.update(SMS_RETENTION_DAYS=45, RESIDENT_RETENTION_MONTHS=18,
                      MY_WORKSHOPS_CODE_MINUTES=7, PRIVACY_CONTACT_EMAIL="dades@example.cat")
    html = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "45 days" in html and "18 months" in html
    assert "links: they stop working 18 months after" in html and "valid for 7 minutes" in html
    assert "in your own browser, not by us, for up to 10 minutes" in html
    assert "one question by text message the day after a workshop" in html
    assert "shows only your initials, the workshop and its dates" in html
    assert "Your certificates: deleted when your data is erased" in html
    assert 'href="mailto:dades@example.cat"' in html
    main = html.split("<main", 1)[1]
    assert len(re.findall(r"<h1[ >]", main)) == 1 and len(re.findall(r"<h2 ", main)) == 7
    assert "<script" not in main
    for right in ("access", "rectification", "erasure", "objection", "BAIXA", "STOP"):
        assert right in html


def test_every_page_and_every_form_for_personal_data_links_to_it(client, auth, app_context,
                                                                 seeded):
    workshop = make_workshop()
    for url in ("/", "/workshops", f"/workshops/{workshop.id}", "/login", "/privacy",
                "/no-such-page"):
        assert 'href="/privacy"' in client.get(url).get_data(as_text=True).split(
            '<footer', 1)[1], url
    detail = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    sign_up = detail.split('class="signup-box"', 1)[1]
    assert 'href="/privacy"' in sign_up.split("</section>", 1)[0]
    auth.login_as(Role.COORDINATOR)
    for url in (f"/staff/workshops/{workshop.id}/registrations/new",
                f"/staff/sessions/{workshop.sessions[0].id}/attendance/walk-in"):
        main = client.get(url).get_data(as_text=True).split("<main", 1)[1].split("</main>")[0]
        assert 'href="/privacy"' in main, url
