"""Registering without an account: capacity, waiting list, manage link, staff, erasure."""

import csv
import io
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from tests.conftest import RecordingSender, csrf_fields_from, post_form
from tests.factories import (
    make_user,
    make_workshop,
    manage_token,
    mobile,
    register,
    resident_details,
    token_in,
)
from tests.test_spreadsheets import cells_starting_a_formula, rows_read_with
from workshops.accounts.models import Role
from workshops.audit.models import AuditAction, AuditEvent
from workshops.catalogue import services as catalogue
from workshops.catalogue.local_time import Slot
from workshops.catalogue.models import Workshop, WorkshopStatus
from workshops.extensions import db
from workshops.notifications import services as notifications
from workshops.notifications.models import MessageKind, OutboxMessage
from workshops.notifications.services import notify
from workshops.notifications.worker import send_due
from workshops.places.models import Neighbourhood
from workshops.reach.facts import ReachFact
from workshops.registrations import services
from workshops.registrations.erasure import erase_resident
from workshops.registrations.models import (
    AgeBand,
    Channel,
    Gender,
    Registration,
    RegistrationStatus,
    Resident,
    hash_manage_token,
)
from workshops.registrations.phones import InvalidPhone, display_phone, parse_phone
from workshops.registrations.services import RegistrationError
from workshops.sms.inbound import handle as handle_sms


@pytest.fixture
def now():
    """The test's clock, read as the test starts: a test passes it, or a time from it, to
    the services as `now=`, so it agrees with the clock the views read."""
    return datetime.now(UTC)


def outbox(kind=None):
    query = select(OutboxMessage)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


# Phones


@pytest.mark.parametrize("text", ["612 34 56 78", "0034612345678", "+34 612 345 678",
                                  "612-34-56-78", " 612345678 "])
def test_spanish_mobile_numbers_in_any_usual_format_become_e164(text):
    assert parse_phone(text).e164 == "+34612345678"
    assert parse_phone(text).takes_sms


def test_a_landline_is_accepted_but_not_texted():
    phone = parse_phone("93 402 70 00")
    assert (phone.e164, phone.takes_sms) == ("+34934027000", False)


def test_a_foreign_mobile_with_its_country_code_is_accepted():
    assert parse_phone("+33 6 12 34 56 78").e164 == "+33612345678"


@pytest.mark.parametrize("text", ["", "12345", "abcdefghi", "+34 512 34", "6" * 40])
def test_malformed_phones_are_refused(text):
    with pytest.raises(InvalidPhone):
        parse_phone(text)


def test_phones_are_shown_in_the_national_format():
    assert display_phone("+34612345678") == "612 34 56 78"
    assert display_phone("+33612345678") == "+33 6 12 34 56 78"


# Capacity and waiting list (services)


def test_places_are_confirmed_until_full_then_people_wait_in_order(app_context):
    workshop = make_workshop(capacity=2)
    results = [register(workshop, mobile(n)) for n in range(4)]
    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [services.waitlist_position(r) for r in results] == [None, None, 1, 2]
    assert workshop.seats_taken == 2


def test_a_cancellation_promotes_the_first_person_waiting_exactly_once(app_context, now):
    workshop = make_workshop(capacity=1)
    first, second, third = (register(workshop, mobile(n)) for n in range(3))
    promoted = services.cancel(first, now=now)
    db.session.commit()
    assert promoted == second and second.status == RegistrationStatus.CONFIRMED
    assert second.promoted_at is not None
    assert services.waitlist_position(third) == 1
    assert workshop.seats_taken == 1
    assert [m.registration_id for m in outbox(MessageKind.PROMOTED)] == [second.id]
    with pytest.raises(RegistrationError):
        services.cancel(first, now=now)
    assert len(outbox(MessageKind.PROMOTED)) == 1


def test_leaving_the_waiting_list_promotes_nobody(app_context, now):
    workshop = make_workshop(capacity=1)
    register(workshop, mobile(1))
    waiting = register(workshop, mobile(2))
    assert services.cancel(waiting, now=now) is None
    assert workshop.seats_taken == 1


def finished_workshop_with_a_queue(now):
    """A workshop that ended yesterday: one person held its only place, one was waiting."""
    workshop = make_workshop(now=now - timedelta(days=10), capacity=1, slots=[
        Slot(now - timedelta(days=1, hours=2), now - timedelta(days=1))])
    return workshop, register_past(workshop, mobile(1)), register_past(workshop, mobile(2))


def stored_state():
    """What a cancellation would change: registrations, places taken, messages queued."""
    db.session.expire_all()
    registrations = [(r.id, r.status, r.confirmed_at, r.cancelled_at, r.promoted_at)
                     for r in db.session.scalars(select(Registration).order_by(Registration.id))]
    return registrations, [w.seats_taken for w in db.session.scalars(select(Workshop))], [
        (m.id, m.kind) for m in outbox()]


def test_no_cancellation_once_the_workshop_is_over(app_context, now):
    _workshop, holder, _waiting = finished_workshop_with_a_queue(now)
    before = stored_state()

    with pytest.raises(RegistrationError) as error:
        services.cancel(holder, now=now)
    db.session.rollback()

    assert error.value.code == "cancellation_closed"
    assert stored_state() == before


def test_sms_and_the_registrations_service_stop_cancellations_at_the_same_moment(
        app_context, now):
    ends = (now + timedelta(days=7)).replace(microsecond=0)
    workshop = make_workshop(capacity=4, slots=[Slot(ends - timedelta(hours=2), ends)])
    on_the_web, by_sms = register(workshop, mobile(1)), register(workshop, mobile(2))
    leave = f"LEAVE {workshop.public_code}"
    just_after = ends + timedelta(seconds=1)

    with pytest.raises(RegistrationError) as error:
        services.cancel(on_the_web, now=just_after)
    db.session.rollback()
    handle_sms("SM" + "1" * 32, by_sms.resident.phone, leave, now=just_after)
    db.session.commit()
    assert error.value.code == "cancellation_closed"
    assert (on_the_web.status, by_sms.status) == ("confirmed", "confirmed")

    services.cancel(on_the_web, now=ends)
    handle_sms("SM" + "2" * 32, by_sms.resident.phone, leave, now=ends)
    db.session.commit()
    assert (on_the_web.status, by_sms.status) == ("cancelled", "cancelled")


def test_the_same_phone_twice_gives_one_registration(app_context):
    workshop = make_workshop()
    first = register(workshop, "612 34 56 78")
    with pytest.raises(RegistrationError) as error:
        register(workshop, "0034612345678")
    assert error.value.code == "already_registered"
    assert error.value.registration.id == first.id
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 1


def test_signing_up_again_after_cancelling_goes_to_the_end_of_the_queue(app_context, now):
    workshop = make_workshop(capacity=1)
    first = register(workshop, mobile(1))
    register(workshop, mobile(2), now=now + timedelta(seconds=1))
    services.cancel(first, now=now + timedelta(seconds=2))
    register(workshop, mobile(3), now=now + timedelta(seconds=3))
    again = register(workshop, mobile(1), now=now + timedelta(seconds=4))
    assert again.id == first.id
    assert (again.status, services.waitlist_position(again)) == ("waitlisted", 2)


@pytest.mark.parametrize("setup, code", [
    (lambda w, now: catalogue.cancel(w, reason="Closed", now=now), "workshop_cancelled"),
    (lambda w, now: catalogue.unpublish(w, now=now), "not_published"),
    (lambda w, now: setattr(w, "registration_closes_at", now - timedelta(hours=1)),
     "registration_closed"),
    (lambda w, now: setattr(w, "registration_opens_at", now + timedelta(days=1)),
     "registration_not_open_yet"),
])
def test_no_registration_when_the_workshop_is_not_open(app_context, now, setup, code):
    workshop = make_workshop()
    setup(workshop, now)
    db.session.commit()
    with pytest.raises(RegistrationError) as error:
        register(workshop, mobile(1))
    assert error.value.code == code


def test_no_registration_once_the_workshop_is_over(app_context, now):
    workshop = make_workshop(now=now - timedelta(days=10),
                             slots=[Slot(now - timedelta(days=5), now - timedelta(days=5) +
                                         timedelta(hours=2))])
    with pytest.raises(RegistrationError) as error:
        register(workshop, mobile(1))
    assert error.value.code == "workshop_over"


def test_staff_may_add_people_after_registration_closed(app_context, now):
    workshop = make_workshop()
    workshop.registration_closes_at = now - timedelta(hours=1)
    db.session.commit()
    assert register(workshop, mobile(1), channel=Channel.STAFF).status == "confirmed"


def test_messages_are_queued_only_for_consenting_mobiles(app_context):
    workshop = make_workshop(capacity=1)
    register(workshop, mobile(1))
    register(workshop, mobile(2), sms_consent=False)
    register(workshop, "934027000")
    register(workshop, None, channel=Channel.STAFF, name="Without phone")
    kinds = [(m.kind, m.registration_id) for m in outbox()]
    assert [kind for kind, _id in kinds] == [MessageKind.REGISTRATION_CONFIRMED]


def test_cancelling_a_workshop_tells_everyone_registered(app_context, now):
    workshop = make_workshop(capacity=1)
    register(workshop, mobile(1))
    register(workshop, mobile(2))
    catalogue.cancel(workshop, reason="La sala és en obres", now=now)
    db.session.commit()
    cancelled = outbox(MessageKind.WORKSHOP_CANCELLED)
    assert len(cancelled) == 2
    assert {m.params["reason"] for m in cancelled} == {"La sala és en obres"}


def test_every_registration_records_its_channel_and_time(app_context):
    workshop = make_workshop()
    for n, channel in enumerate(Channel):
        registration = register(workshop, mobile(n), channel=channel)
        assert registration.channel == channel and registration.created_at is not None


def test_manage_tokens_carry_at_least_128_random_bits(app_context):
    workshop = make_workshop()
    tokens = [manage_token(register(workshop, mobile(n))) for n in range(20)]
    assert len(set(tokens)) == 20
    assert all(len(token) >= 22 and re.fullmatch(r"[\w-]+", token) for token in tokens)


# Erasure


def test_erasure_removes_personal_data_and_keeps_anonymous_figures(app_context, now):
    past = make_workshop(now=now - timedelta(days=20),
                         slots=[Slot(now - timedelta(days=14), now - timedelta(days=14) +
                                     timedelta(hours=2))])
    old = register_past(past, mobile(1))
    upcoming = make_workshop(capacity=1)
    mine = register(upcoming, mobile(1), email="maria@example.org")
    waiting = register(upcoming, mobile(2))
    resident = mine.resident
    old_token = manage_token(mine)

    erase_resident(resident, now=now)
    db.session.commit()

    assert (resident.name, resident.phone, resident.email) == ("", None, "")
    assert resident.erased_at is not None
    assert old.status == RegistrationStatus.CONFIRMED  # history stays for statistics
    assert mine.status == RegistrationStatus.CANCELLED and waiting.status == "confirmed"
    assert services.registration_by_token(old_token) is None
    assert not [m for m in outbox() if m.resident_id == resident.id and m.status == "pending"]


def register_past(workshop, phone):
    """A registration made while the workshop was still upcoming."""
    registration = services.register(
        workshop.id, resident_details(phone), channel=Channel.WEB,
        now=workshop.first_session_starts_at - timedelta(days=3))
    db.session.commit()
    return registration


# Web pages


def signup_fields(client, workshop_id, lang="ca", **overrides):
    html = client.get(f"/workshops/{workshop_id}?lang={lang}").get_data(as_text=True)
    neighbourhood = re.search(r'<option value="(\d+)">', html.split('name="home_neighbourhood"')[1])
    fields = csrf_fields_from(html)
    fields["submission_key"] = re.search(r'name="submission_key"[^>]*value="([^"]+)"',
                                         html).group(1)
    fields |= {"name": "Maria Garcia", "phone": "612 34 56 78", "sms_consent": "y",
               "home_neighbourhood": neighbourhood.group(1)}
    return fields | overrides


@pytest.fixture
def workshop(app_context, seeded):
    return make_workshop(capacity=1)


def test_a_resident_signs_up_and_lands_on_their_manage_page(client, workshop):
    response = client.post(f"/workshops/{workshop.id}/register",
                           data=signup_fields(client, workshop.id))
    assert response.status_code == 303
    token = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/r/{token}")
    html = page.get_data(as_text=True)
    assert "La vostra plaça està confirmada" in html
    assert f"http://localhost/r/{token}" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    resident = db.session.scalar(select(Resident))
    assert (resident.phone, resident.name, resident.preferred_language) == (
        "+34612345678", "Maria Garcia", "ca")


def test_a_double_submit_gives_one_registration_and_the_same_page(client, workshop):
    fields = signup_fields(client, workshop.id)
    first = client.post(f"/workshops/{workshop.id}/register", data=fields)
    second = client.post(f"/workshops/{workshop.id}/register", data=fields)
    # Each answer carries its own link (only hashes are stored), both to the same place.
    links = [token_in(response.headers["Location"]) for response in (first, second)]
    assert [services.registration_by_token(token) for token in links] == [
        db.session.scalar(select(Registration))] * 2
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_the_same_phone_from_another_form_gets_a_pointer_not_the_link(client, app, workshop):
    client.post(f"/workshops/{workshop.id}/register", data=signup_fields(client, workshop.id))
    stranger = app.test_client()
    response = stranger.post(f"/workshops/{workshop.id}/register",
                             data=signup_fields(stranger, workshop.id, lang="en"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already registered" in html and "/r/" not in html
    assert len(outbox(MessageKind.MANAGE_LINK)) == 1


def test_errors_are_translated_and_keep_what_was_typed(client, workshop):
    response = client.post(f"/workshops/{workshop.id}/register", data=signup_fields(
        client, workshop.id, lang="es", phone="12 34", name="Núria"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Esto no parece un número de teléfono. Escríbalo así: 612 34 56 78." in html
    assert 'value="Núria"' in html and 'value="12 34"' in html
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_a_full_workshop_puts_people_on_the_waiting_list_with_their_position(client, app,
                                                                            workshop):
    register(workshop, mobile(1))
    response = client.post(f"/workshops/{workshop.id}/register",
                           data=signup_fields(client, workshop.id, lang="en"))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are on the waiting list" in html
    assert "Your position on the waiting list: 1." in html


def test_cancelling_through_the_manage_link_needs_confirmation(client, workshop):
    waiting_phone = mobile(9)
    mine = register(workshop, mobile(1))
    waiting = register(workshop, waiting_phone)
    token = manage_token(mine)
    confirm = client.get(f"/r/{token}/cancel")
    assert confirm.status_code == 200 and mine.status == "confirmed"
    response = post_form(client, f"/r/{token}/cancel")
    assert response.status_code == 303
    db.session.refresh(mine)
    db.session.refresh(waiting)
    assert (mine.status, waiting.status) == ("cancelled", "confirmed")


CANCELLATION_CLOSED = (
    "This workshop has finished, so this registration can no longer be cancelled.")


def test_the_manage_link_cannot_cancel_a_place_once_the_workshop_is_over(
        client, app_context, now):
    _workshop, holder, _waiting = finished_workshop_with_a_queue(now)
    token = manage_token(holder)
    before = stored_state()

    response = post_form(client, f"/r/{token}?lang=en", f"/r/{token}/cancel")

    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<p class="flash flash-error">' + CANCELLATION_CLOSED in html
    assert stored_state() == before


def test_the_manage_page_offers_no_cancellation_once_the_workshop_is_over_and_says_why(
        client, app_context, now):
    _workshop, holder, waiting = finished_workshop_with_a_queue(now)
    upcoming = register(make_workshop(), mobile(3))

    for registration in (holder, waiting):
        token = manage_token(registration)
        html = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
        assert f"/r/{token}/cancel" not in html
        assert CANCELLATION_CLOSED in html
        confirm = client.get(f"/r/{token}/cancel")
        assert (confirm.status_code, confirm.headers["Location"]) == (303, f"/r/{token}")
    token = manage_token(upcoming)
    html = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
    assert f"/r/{token}/cancel" in html
    assert CANCELLATION_CLOSED not in html


def test_an_unknown_manage_token_is_404(client, app_context):
    assert client.get("/r/not-a-real-token").status_code == 404
    assert client.get("/r/" + "x" * 200).status_code == 404


# Personal links: stored only as hashes, one per page or text that shows one


def test_no_column_of_any_table_holds_a_working_token_after_a_web_sign_up(client, workshop):
    from tests.test_privacy import scan

    response = client.post(f"/workshops/{workshop.id}/register",
                           data=signup_fields(client, workshop.id))
    token = token_in(response.headers["Location"])
    assert client.get(f"/r/{token}").status_code == 200
    assert scan([token]) == set()
    assert {where for where, _needle, _value in scan([hash_manage_token(token)])} == {
        "manage_link.token_hash"}


def test_the_token_in_the_redirect_and_the_token_in_the_sms_both_open_the_page(
        client, workshop):
    response = client.post(f"/workshops/{workshop.id}/register",
                           data=signup_fields(client, workshop.id, lang="en"))
    sender = RecordingSender()
    assert send_due(sender, now=now_()).sent == 1
    [_introduction, (_to, text)] = sender.sent
    tokens = [token_in(response.headers["Location"]), token_in(text)]
    assert tokens[0] != tokens[1]
    for token in tokens:
        html = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
        assert "Your place is confirmed" in html and f"/r/{token}/cancel" in html


def test_an_old_link_keeps_working_after_a_new_one_is_sent(client, workshop):
    registration = register(workshop, mobile(1))
    old = manage_token(registration)
    notify(MessageKind.MANAGE_LINK, registration=registration, now=now_())
    db.session.commit()
    sender = RecordingSender()
    send_due(sender, now=now_())
    new = token_in(sender.sent[-1][1])
    assert new != old
    assert [services.registration_by_token(token) for token in (old, new)] == [
        registration] * 2
    assert [client.get(f"/r/{token}").status_code for token in (old, new)] == [200, 200]


def test_a_tampered_token_is_404_on_every_page_of_the_link(client, workshop):
    registration = register(workshop, mobile(1))
    token = manage_token(registration)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for tampered in (flipped, token[:-1], token + "x", token.upper(),
                     hash_manage_token(token)):  # what a copy of the database holds
        assert client.get(f"/r/{tampered}").status_code == 404
        assert client.get(f"/r/{tampered}/cancel").status_code == 404
        assert post_form(client, f"/r/{token}", f"/r/{tampered}/cancel").status_code == 404
        assert post_form(client, f"/r/{token}", f"/r/{tampered}/sms",
                         consent="0").status_code == 404
    db.session.refresh(registration)
    assert registration.status == "confirmed" and not registration.sms_muted


def test_sign_up_attempts_are_limited_per_phone(client, app, workshop):
    app.config["REGISTRATION_LIMIT_PER_PHONE"] = 2
    url = f"/workshops/{workshop.id}/register"
    for _ in range(3):  # forms with mistakes do not count
        assert client.post(url, data=signup_fields(client, workshop.id, name="")).status_code == 422
    assert client.post(url, data=signup_fields(client, workshop.id)).status_code == 303
    assert client.post(url, data=signup_fields(client, workshop.id)).status_code == 409
    response = client.post(url, data=signup_fields(client, workshop.id, lang="en"))
    assert response.status_code == 429
    assert "Too many attempts. Please try again in" in response.get_data(as_text=True)


def test_sign_up_attempts_are_limited_per_address(client, app, workshop):
    app.config["REGISTRATION_LIMIT_PER_ADDRESS"] = 3
    statuses = [client.post(f"/workshops/{workshop.id}/register", data=signup_fields(
        client, workshop.id, phone=mobile(n))).status_code for n in range(4)]
    assert statuses == [303, 303, 303, 429]


# What one sign-up costs the database (issue 17): every statement it runs, in order.


@pytest.fixture
def statements(app):
    """Every statement the app runs from here on, as sent to the database."""
    seen = []

    def note(_connection, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_a_web_sign_up_writes_the_persons_reach_facts_once_and_runs_few_statements(
        client, workshop, statements, engine_name):
    url = f"/workshops/{workshop.id}/register"
    fields = signup_fields(client, workshop.id, phone=mobile(7))
    statements.clear()
    assert client.post(url, data=fields).status_code == 303

    assert [" ".join(s.split()[:3]) for s in statements
            if "reach_fact" in s.split(" WHERE")[0]] == [
        "DELETE FROM reach_fact", "INSERT INTO reach_fact"]
    # Reads, the places and the waiting list under the workshop's lock, the attempt
    # limits, the person, her place, its text, its link, her reach facts, the catalogue's
    # version. PostgreSQL adds the advisory lock, a savepoint, and locking her reach rows.
    assert len(statements) <= {"sqlite": 15, "postgresql": 19}[engine_name]


def test_a_web_sign_up_reads_before_it_takes_the_sqlite_write_lock_and_takes_it_once(
        client, workshop, statements, engine_name):
    if engine_name != "sqlite":
        pytest.skip("the write lock taken up front is SQLite's (see workshops.database)")
    url = f"/workshops/{workshop.id}/register"
    fields = signup_fields(client, workshop.id, phone=mobile(8))
    statements.clear()
    assert client.post(url, data=fields).status_code == 303

    assert statements.count("BEGIN IMMEDIATE") == 1
    before = statements[:statements.index("BEGIN IMMEDIATE")]
    assert before and all(statement.startswith("SELECT") for statement in before)


def test_a_refused_sign_up_shows_the_page_outside_the_write_transaction(
        client, app, workshop, statements, engine_name):
    app.config["REGISTRATION_LIMIT_PER_PHONE"] = 1
    url = f"/workshops/{workshop.id}/register"
    assert client.post(url, data=signup_fields(client, workshop.id)).status_code == 303
    fields = signup_fields(client, workshop.id)
    statements.clear()
    response = client.post(url, data=fields)
    assert response.status_code == 429
    assert "Maria Garcia" in response.get_data(as_text=True)
    if engine_name == "sqlite":  # the page's reads come after the refused attempt's end
        assert statements.count("BEGIN IMMEDIATE") == 1


def test_an_unknown_or_draft_workshop_is_404_for_a_valid_sign_up(client, app_context,
                                                                 seeded):
    workshop = make_workshop(capacity=5)
    fields = signup_fields(client, workshop.id, phone=mobile(9))
    assert client.post("/workshops/999999/register", data=fields).status_code == 404
    workshop.status = WorkshopStatus.DRAFT
    db.session.commit()
    assert client.post(f"/workshops/{workshop.id}/register", data=fields).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_a_neighbourhood_that_is_not_among_the_choices_is_refused(client, workshop):
    url = f"/workshops/{workshop.id}/register"
    for value in ("0", "007", "-1", "99999", "１"):
        fields = signup_fields(client, workshop.id, home_neighbourhood=value)
        assert client.post(url, data=fields).status_code == 422, value
    fields = signup_fields(client, workshop.id, home_neighbourhood="outside")
    assert client.post(url, data=fields).status_code == 303


def test_reach_facts_are_written_once_per_transaction_however_many_flushes(
        app_context, seeded, statements):
    workshop = make_workshop(capacity=5)
    registration = services.register(workshop.id, resident_details(mobile(3)),
                                     channel=Channel.WEB, now=datetime.now(UTC))
    db.session.flush()
    registration.resident.age_band = AgeBand("65-74")
    db.session.flush()
    registration.resident.gender = Gender("woman")
    db.session.flush()
    assert not [s for s in statements if "INTO reach_fact" in s]
    db.session.commit()

    assert len([s for s in statements if s.startswith("INSERT INTO reach_fact")]) == 1
    assert db.session.scalars(select(ReachFact.age_band)).all() == [AgeBand("65-74")]


def test_a_transaction_that_reads_reach_facts_after_a_change_reads_them_current(
        app_context, seeded):
    workshop = make_workshop(capacity=5)
    registration = services.register(workshop.id, resident_details(mobile(5)),
                                     channel=Channel.WEB, now=datetime.now(UTC))
    registration.resident.age_band = AgeBand("75+")
    db.session.flush()
    assert db.session.scalars(select(ReachFact.age_band)).all() == [AgeBand("75+")]
    db.session.commit()


def test_a_rolled_back_change_leaves_no_reach_facts_to_write(app_context, seeded,
                                                             statements):
    workshop = make_workshop(capacity=5)
    services.register(workshop.id, resident_details(mobile(4)), channel=Channel.WEB,
                      now=datetime.now(UTC))
    db.session.flush()
    db.session.rollback()
    statements.clear()
    db.session.commit()
    assert not [s for s in statements if "reach_fact" in s]


# Staff


def test_staff_register_someone_without_a_phone(client, auth, app_context, seeded):
    organiser = auth.login_as(Role.ORGANISER)
    workshop = make_workshop(organiser=organiser)
    url = f"/staff/workshops/{workshop.id}/registrations/new"
    html = client.get(url).get_data(as_text=True)
    neighbourhood = re.search(r'<option value="(\d+)">', html.split('name="home_neighbourhood"')[1])
    response = post_form(client, url, name="Joan Puig", phone="",
                         home_neighbourhood=neighbourhood.group(1))
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert (registration.channel, registration.resident.phone) == (Channel.STAFF, None)
    assert registration.created_by_id == organiser.id


def test_the_registrations_csv_opens_in_catalan_and_spanish_spreadsheets(client, auth,
                                                                         app_context):
    organiser = auth.login_as(Role.ORGANISER)
    workshop = make_workshop(organiser=organiser, capacity=1)
    register(workshop, mobile(1), name="Núria Puig")
    register(workshop, mobile(2), name="=HYPERLINK(\"x\")")
    response = client.get(f"/staff/workshops/{workshop.id}/registrations.csv?lang=es")
    body = response.data.decode("utf-8")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith("\ufeff\"Estado\";")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Estado", "Posición en la lista de espera", "Nombre"]
    assert rows[1][:4] == ["Confirmada", "", "Núria Puig", "600 00 00 01"]
    assert rows[2][:3] == ["Lista de espera", "1", "'=HYPERLINK(\"x\")"]


def test_the_registrations_csv_holds_no_formula_whatever_separator_it_is_split_on(
        client, auth, app_context):
    organiser = auth.login_as(Role.ORGANISER)
    workshop = make_workshop(organiser=organiser)
    register(workshop, mobile(1), name='Pau,=HYPERLINK("http://evil.example")',
             email="pau@example.org\r\n+1")
    register(workshop, "+33 6 12 34 56 78", name="Anna\t@SUM(1)")
    response = client.get(f"/staff/workshops/{workshop.id}/registrations.csv?lang=en")

    _header, pau, anna = rows_read_with(response.data, ";")
    assert pau[2:5] == ['Pau,\'=HYPERLINK("http://evil.example")', "600 00 00 01",
                        "pau@example.org\n'+1"]
    assert anna[2:4] == ["Anna\t'@SUM(1)", "'+33 6 12 34 56 78"]
    assert cells_starting_a_formula(response.data) == []


def test_only_the_workshops_team_sees_its_registrations(client, auth, app_context):
    facilitator = make_user([Role.FACILITATOR], email="fac@example.org")
    workshop = make_workshop(facilitators=[facilitator])
    other = make_workshop()
    auth.login("fac@example.org")
    assert client.get(f"/staff/workshops/{workshop.id}/registrations").status_code == 200
    assert client.get(f"/staff/workshops/{other.id}/registrations").status_code == 403
    assert client.get(f"/staff/workshops/{other.id}/registrations.csv").status_code == 403


def test_a_coordinator_erases_a_resident_by_phone(client, auth, app_context):
    workshop = make_workshop()
    registration = register(workshop, "612345678")
    auth.login_as(Role.COORDINATOR)
    found = post_form(client, "/staff/residents/erase", phone="612 34 56 78")
    assert "Resident 612345678" in found.get_data(as_text=True)
    response = post_form(client, "/staff/residents/erase",
                         f"/staff/residents/{registration.resident_id}/erase",
                         phone="612 34 56 78", confirm="1")
    assert response.status_code == 303
    resident = db.session.get(Resident, registration.resident_id)
    assert resident.phone is None and resident.erased_at is not None


def test_a_coordinator_erases_someone_with_no_phone_from_a_workshops_registrations(
        client, auth, app_context):
    workshop = make_workshop()
    registration = register(workshop, None, channel=Channel.STAFF, name="Rosa Pons")
    register(workshop, "612345678")
    auth.login_as(Role.COORDINATOR)
    lookup = client.get("/staff/residents/erase?lang=en").get_data(as_text=True)
    assert "Someone with no phone: open the registrations of a workshop" in lookup
    listed = client.get(f"/staff/workshops/{workshop.id}/registrations?lang=en").get_data(
        as_text=True)
    page_url = f"/staff/residents/{registration.resident_id}"
    assert f'href="{page_url}">Correct or erase<span class="visually-hidden">: Rosa Pons' in listed
    page = client.get(f"{page_url}?lang=en").get_data(as_text=True)
    assert "Rosa Pons" in page and "No phone · 1 registration" in page
    assert f'href="{page_url}/correct"' in page

    response = post_form(client, page_url, f"{page_url}/erase", confirm="1")

    assert response.status_code == 303
    resident = db.session.get(Resident, registration.resident_id)
    assert resident.erased_at is not None and resident.name == ""
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CANCELLED
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == [AuditAction.RESIDENT_VIEWED, AuditAction.RESIDENT_ERASED]
    assert client.get(page_url).status_code == 404
    assert f'href="{page_url}"' not in client.get(
        f"/staff/workshops/{workshop.id}/registrations?lang=en").get_data(as_text=True)


def test_erasing_someone_with_a_phone_from_her_page_still_needs_that_phone(
        client, auth, app_context):
    registration = register(make_workshop(), "612345678")
    auth.login_as(Role.COORDINATOR)
    page_url = f"/staff/residents/{registration.resident_id}"
    assert post_form(client, page_url, f"{page_url}/erase", confirm="1").status_code == 400
    assert post_form(client, page_url, f"{page_url}/erase", confirm="1",
                     phone="699 99 99 99").status_code == 400
    assert db.session.get(Resident, registration.resident_id).erased_at is None
    # Her page's own button sends it.
    page = client.get(page_url).get_data(as_text=True)
    assert '<input type="hidden" name="phone" value="+34612345678">' in page
    assert post_form(client, page_url, f"{page_url}/erase", confirm="1",
                     phone="+34612345678").status_code == 303
    assert db.session.get(Resident, registration.resident_id).erased_at is not None


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.ORGANISER])
def test_only_coordinators_get_a_way_to_a_resident_from_the_list(client, auth, app_context,
                                                                 role):
    user = make_user([role], email="team@example.org")
    workshop = (make_workshop(facilitators=[user]) if role == Role.FACILITATOR
                else make_workshop(organiser=user))
    registration = register(workshop, None, channel=Channel.STAFF, name="Rosa Pons")
    auth.login("team@example.org")
    listed = client.get(f"/staff/workshops/{workshop.id}/registrations?lang=en")
    assert listed.status_code == 200 and "Rosa Pons" in listed.get_data(as_text=True)
    assert "/staff/residents/" not in listed.get_data(as_text=True)
    assert client.get(f"/staff/residents/{registration.resident_id}").status_code == 403


# Only a proven channel changes a resident


def neighbourhoods(count):
    return db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.id)
                              .limit(count)).all()


def maria(workshop, **overrides):
    """Maria, registered from her own phone (SMS): everything stored about her is hers."""
    home = neighbourhoods(1)[0]
    values = dict(name="Maria Garcia", email="maria@example.org", home_neighbourhood=home,
                  age_band=AgeBand.FROM_65, gender=Gender.WOMAN, preferred_language="es")
    return register(workshop, "612 34 56 78", channel=Channel.SMS, **(values | overrides))


def stored_about(resident):
    db.session.refresh(resident)
    return (resident.name, resident.email, resident.home_neighbourhood_id,
            resident.lives_outside_barcelona, resident.age_band, resident.gender,
            resident.preferred_language, resident.sms_consent, resident.sms_consent_at,
            resident.sms_opted_out)


def pending_messages():
    return sorted((m.registration_id, m.kind) for m in outbox() if m.status == "pending")


def test_a_web_sign_up_with_her_phone_changes_nothing_stored_about_her(client, app, workshop):
    hers = maria(workshop)
    before = stored_about(hers.resident)
    other = make_workshop()
    stranger = app.test_client()
    fields = signup_fields(stranger, other.id, lang="en", name="Someone Else",
                           email="someone@example.org", age_band="16-29", gender="man",
                           home_neighbourhood=str(neighbourhoods(2)[1].id))
    del fields["sms_consent"]  # an unticked box withdraws nothing either

    response = stranger.post(f"/workshops/{other.id}/register", data=fields)

    assert response.status_code == 303
    theirs = db.session.scalar(select(Registration).where(Registration.workshop_id == other.id))
    assert theirs.resident_id == hers.resident_id  # a resident is one phone
    assert stored_about(hers.resident) == before
    assert (theirs.name_given, theirs.display_name, theirs.recorded_name) == (
        "Someone Else", "Someone Else", "Maria Garcia")
    assert (hers.name_given, hers.display_name) == ("", "Maria Garcia")
    # Statistics count her as her record says, whatever a form claimed.
    facts = {f.registration_id: (f.home_neighbourhood_id, f.age_band, f.gender)
             for f in db.session.scalars(select(ReachFact))}
    assert facts[theirs.id] == facts[hers.id] == before[2:3] + before[4:6]


def test_the_same_name_typed_again_keeps_following_her_record(client, app, workshop):
    hers = maria(workshop)
    other = make_workshop()
    stranger = app.test_client()
    stranger.post(f"/workshops/{other.id}/register",
                  data=signup_fields(stranger, other.id, name=" Maria Garcia "))
    theirs = db.session.scalar(select(Registration).where(Registration.workshop_id == other.id))
    assert (theirs.name_given, theirs.recorded_name) == ("", "")
    handle_sms("SM" + "3" * 32, hers.resident.phone, "NOM Maria Garcia Puig", now=now_())
    db.session.commit()
    assert theirs.display_name == hers.display_name == "Maria Garcia Puig"


def now_():
    return datetime.now(UTC)


@pytest.mark.parametrize("how", ["opted out by SMS", "never agreed"])
def test_consent_ticked_on_the_web_never_turns_on_sms_for_her(client, app, workshop, how):
    if how == "opted out by SMS":
        hers = maria(workshop)
        handle_sms("SM" + "4" * 32, hers.resident.phone, "STOP", now=now_())
        db.session.commit()
    else:
        hers = register(workshop, "612 34 56 78", sms_consent=False)
    before = stored_about(hers.resident)
    other = make_workshop()
    stranger = app.test_client()

    stranger.post(f"/workshops/{other.id}/register",
                  data=signup_fields(stranger, other.id, sms_consent="y"))

    assert stored_about(hers.resident) == before
    assert not before[7] and not hers.resident.can_receive_sms
    assert pending_messages() == []


def test_staff_registering_her_phone_on_behalf_changes_nothing_stored_about_her(
        client, auth, workshop):
    hers = maria(workshop)
    before = stored_about(hers.resident)
    organiser = auth.login_as(Role.ORGANISER)
    other = make_workshop(organiser=organiser)
    url = f"/staff/workshops/{other.id}/registrations/new"

    response = post_form(client, f"{url}?lang=en", url, name="Pere Soler", phone="612 34 56 78",
                         email="pere@example.org", age_band="30-44", gender="man",
                         home_neighbourhood=str(neighbourhoods(2)[1].id), sms_consent="y")

    assert response.status_code == 303
    assert "Pere Soler is registered." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert stored_about(hers.resident) == before
    theirs = db.session.scalar(select(Registration).where(Registration.workshop_id == other.id))
    assert (theirs.resident_id, theirs.display_name, theirs.recorded_name) == (
        hers.resident_id, "Pere Soler", "Maria Garcia")


def test_staff_lists_show_the_name_typed_for_a_registration_and_the_one_on_record(
        client, auth, workshop):
    organiser = auth.login_as(Role.ORGANISER)
    hers = maria(make_workshop(organiser=organiser))
    other = make_workshop(organiser=organiser)
    services.register(other.id, resident_details("612 34 56 78", name="Pere Soler"),
                      channel=Channel.WEB, now=now_())
    db.session.commit()

    theirs_page = client.get(f"/staff/workshops/{other.id}/registrations?lang=en")
    hers_page = client.get(f"/staff/workshops/{hers.workshop_id}/registrations?lang=en")
    csv_rows = rows_read_with(client.get(
        f"/staff/workshops/{other.id}/registrations.csv?lang=en").data, ";")

    html = theirs_page.get_data(as_text=True)
    assert "Pere Soler" in html and "Name on record for this phone: Maria Garcia" in html
    html = hers_page.get_data(as_text=True)
    assert "Maria Garcia" in html and "Pere Soler" not in html
    assert csv_rows[0][-2] == "Name on record for this phone"
    assert (csv_rows[1][2], csv_rows[1][-2]) == ("Pere Soler", "Maria Garcia")


def test_a_new_phone_creates_the_resident_from_what_was_typed(client, workshop):
    home = neighbourhoods(2)[1]
    response = client.post(f"/workshops/{workshop.id}/register", data=signup_fields(
        client, workshop.id, lang="es", name="Núria Puig", email="nuria@example.org",
        age_band="45-64", gender="woman", home_neighbourhood=str(home.id)))
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    resident = registration.resident
    assert (resident.phone, resident.name, resident.email, resident.home_neighbourhood_id,
            resident.age_band, resident.gender, resident.preferred_language,
            resident.sms_consent) == ("+34612345678", "Núria Puig", "nuria@example.org",
                                      home.id, AgeBand.FROM_45, Gender.WOMAN, "es", True)
    assert (registration.name_given, registration.display_name) == ("", "Núria Puig")


def test_another_registrations_manage_link_leaves_her_consent_and_messages_alone(
        client, app, workshop):
    hers = maria(workshop)  # her confirmation is waiting to be sent
    other = make_workshop()
    theirs = services.register(other.id, resident_details("612 34 56 78", name="Intrús"),
                               channel=Channel.WEB, now=now_())
    db.session.commit()
    before = stored_about(hers.resident)
    assert pending_messages() == [(hers.id, MessageKind.REGISTRATION_CONFIRMED),
                                  (theirs.id, MessageKind.REGISTRATION_CONFIRMED)]

    url = f"/r/{manage_token(theirs)}"
    stranger = app.test_client()
    response = post_form(stranger, url, f"{url}/sms", consent="0")

    assert response.status_code == 303
    assert stored_about(hers.resident) == before
    db.session.refresh(theirs)
    assert theirs.sms_muted and not hers.sms_muted
    sender = RecordingSender()
    result = send_due(sender, now=now_())
    assert (result.sent, result.skipped) == (1, 1)
    introduction, confirmation = sender.sent  # her number never texted us: who we are first
    assert "STOP" in introduction[1]
    assert services.registration_by_token(token_in(confirmation[1])) == hers
    notifications.notify_workshop_cancelled(other, now=now_())  # nothing more about theirs
    assert pending_messages() == []


def test_a_manage_link_stops_and_resumes_the_messages_about_its_registration(client,
                                                                            workshop):
    registration = register(workshop, mobile(1))
    url = f"/r/{manage_token(registration)}"
    html = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "Stop SMS messages about this workshop" in html

    assert post_form(client, url, f"{url}/sms", consent="0").status_code == 303
    html = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "We do not send you SMS messages about this workshop." in html
    assert send_due(RecordingSender(), now=now_()).skipped == 1
    notifications.notify_schedule_changed(workshop, now=now_())
    assert pending_messages() == []

    assert post_form(client, url, f"{url}/sms", consent="1").status_code == 303
    db.session.refresh(registration)
    assert not registration.sms_muted and registration.resident.sms_consent
    notifications.notify_schedule_changed(workshop, now=now_())
    assert pending_messages() == [(registration.id, MessageKind.SCHEDULE_CHANGED)]


def test_a_manage_link_cannot_switch_on_sms_for_a_phone_without_consent(client, workshop):
    registration = register(workshop, mobile(1), sms_consent=False)
    url = f"/r/{manage_token(registration)}"
    html = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "We do not send SMS messages to this phone." in html
    assert "send START from this phone to +34 600 00 00 00" in html
    assert f"{url}/sms" not in html
    # Sent anyway, with a valid CSRF token from the cancel page: it mutes nothing and
    # agrees to nothing on her behalf.
    assert post_form(client, f"{url}/cancel", f"{url}/sms", consent="1").status_code == 303
    db.session.refresh(registration.resident)
    assert not registration.resident.sms_consent
    notifications.notify_schedule_changed(workshop, now=now_())
    assert pending_messages() == []


def test_erasure_also_removes_names_typed_for_her_phone(app_context, now):
    hers = register(make_workshop(), mobile(1), name="Maria")
    theirs = register(make_workshop(), mobile(1), name="Someone Else")
    assert theirs.name_given == "Someone Else"
    erase_resident(hers.resident, now=now)
    db.session.commit()
    assert (hers.display_name, theirs.display_name) == ("", "")


# A coordinator corrects a resident's details (the audit is tested in test_audit_log)


def correction_url(resident_id):
    return f"/staff/residents/{resident_id}/correct"


def correction_fields(**overrides):
    fields = {"name": "Maria Garcia", "email": "maria@example.org",
              "home_neighbourhood": str(neighbourhoods(1)[0].id), "preferred_language": "es",
              "age_band": "", "gender": ""}
    return fields | overrides


def test_a_coordinator_corrects_her_details_and_her_registrations_show_them(
        client, app, auth, workshop):
    hers = maria(workshop)
    other = make_workshop()
    theirs = services.register(other.id, resident_details("612 34 56 78", name="Pere Soler"),
                               channel=Channel.WEB, now=now_())
    someone = register(make_workshop(), mobile(2), name="Joan Puig")
    db.session.commit()
    before = stored_about(hers.resident)
    someone_before = stored_about(someone.resident)
    new_home = neighbourhoods(3)[2]
    auth.login_as(Role.COORDINATOR)
    url = correction_url(hers.resident_id)

    found = post_form(client, "/staff/residents/erase?lang=en", phone="612 34 56 78")
    assert url in found.get_data(as_text=True)  # "Correct this person's details"
    page = client.get(f"{url}?lang=en")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'value="Maria Garcia"' in html and 'value="maria@example.org"' in html
    assert f'<option value="{before[2]}" selected>' in html
    response = post_form(client, f"{url}?lang=en", f"{url}?lang=en", data=correction_fields(
        name="Maria Garcia Puig", home_neighbourhood=str(new_home.id)))

    assert response.status_code == 303
    assert "The person&#39;s details have been corrected." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    after = stored_about(hers.resident)
    assert (after[0], after[2]) == ("Maria Garcia Puig", new_home.id)
    assert after[1:2] + after[3:] == before[1:2] + before[3:]  # the rest, consent included
    assert stored_about(someone.resident) == someone_before
    db.session.refresh(theirs)
    assert (hers.name_given, theirs.name_given) == ("", "Pere Soler")
    assert (hers.display_name, theirs.recorded_name) == ("Maria Garcia Puig",
                                                          "Maria Garcia Puig")
    listing = client.get(f"/staff/workshops/{workshop.id}/registrations?lang=en")
    assert "Maria Garcia Puig" in listing.get_data(as_text=True)
    csv_rows = rows_read_with(client.get(
        f"/staff/workshops/{workshop.id}/registrations.csv?lang=en").data, ";")
    assert csv_rows[1][2:6] == ["Maria Garcia Puig", "612 34 56 78", "maria@example.org",
                                new_home.name]
    # The reach figures count her where she lives now.
    facts = {f.registration_id: f.home_neighbourhood_id
             for f in db.session.scalars(select(ReachFact))}
    assert facts[hers.id] == facts[theirs.id] == new_home.id


def test_a_coordinator_changes_age_and_gender_only_when_she_asks(client, auth, workshop):
    hers = maria(workshop)
    auth.login_as(Role.COORDINATOR)
    url = correction_url(hers.resident_id)
    assert post_form(client, url, data=correction_fields()).status_code == 303
    assert (hers.resident.age_band, hers.resident.gender) == (AgeBand.FROM_65, Gender.WOMAN)

    assert post_form(client, url, data=correction_fields(age_band="75+",
                                                         gender="unsaid")).status_code == 303
    db.session.refresh(hers.resident)
    assert (hers.resident.age_band, hers.resident.gender) == (AgeBand.FROM_75, Gender.UNSAID)
    assert post_form(client, url, data=correction_fields(age_band="unsaid")).status_code == 303
    db.session.refresh(hers.resident)
    assert hers.resident.age_band is None


def test_the_correction_page_never_shows_her_age_band_or_gender(client, auth, workshop):
    hers = maria(workshop)
    auth.login_as(Role.COORDINATOR)
    html = client.get(f"{correction_url(hers.resident_id)}?lang=en").get_data(as_text=True)
    for name in ("age_band", "gender"):
        select_html = html.split(f'name="{name}"')[1].split("</select>")[0]
        assert re.findall(r'<option value="([^"]*)" selected>', select_html) == [""]
        assert '<option value="" selected>Leave as it is</option>' in select_html


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.ORGANISER])
def test_only_coordinators_correct_a_resident(client, auth, workshop, role):
    hers = maria(workshop)
    before = stored_about(hers.resident)
    auth.login_as(role)
    url = correction_url(hers.resident_id)
    assert client.get(url).status_code == 403
    # With a valid CSRF token (the sign-out form's), so only the role check refuses it.
    response = post_form(client, "/staff", url, data=correction_fields(name="Intrús"))
    assert response.status_code == 403
    assert stored_about(hers.resident) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("field, value", [
    ("email", "not-an-email"), ("name", "x" * 121), ("home_neighbourhood", "99999"),
    ("age_band", "12-15"), ("gender", "other"), ("preferred_language", "fr"),
    ("email", "a@" + "b" * 260 + ".org")])
def test_a_bad_correction_changes_nothing_and_keeps_what_was_typed(client, auth, workshop,
                                                                   field, value):
    hers = maria(workshop)
    before = stored_about(hers.resident)
    auth.login_as(Role.COORDINATOR)
    url = correction_url(hers.resident_id)
    response = post_form(client, f"{url}?lang=ca", f"{url}?lang=ca", data=correction_fields(
        **{"name": "Maria Garcia Puig", "email": "maria.garcia@example.org", field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Hi ha un problema" in html  # translated
    typed = {"name": "Maria Garcia Puig", "email": "maria.garcia@example.org", field: value}
    assert f'value="{typed["name"]}"' in html and f'value="{typed["email"]}"' in html
    assert stored_about(hers.resident) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.RESIDENT_CORRECTED)) == 0


def test_an_erased_resident_cannot_be_corrected(client, auth, workshop, now):
    hers = maria(workshop)
    erase_resident(hers.resident, now=now)
    db.session.commit()
    auth.login_as(Role.COORDINATOR)
    assert client.get(correction_url(hers.resident_id)).status_code == 404
    assert client.get(correction_url(10**6)).status_code == 404


# A failed sign-up, as GOV.UK does it

def site_css() -> str:
    return (Path(__file__).parent.parent / "workshops/static/css/site.css").read_text()


def error_summary_of(html: str) -> str:
    return html.split('id="error-summary"')[1].split("</div>")[0]


def test_a_failed_sign_up_opens_at_a_summary_that_links_to_each_field_to_correct(
        client, workshop):
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert f'action="/workshops/{workshop.id}/register#error-summary"' in page
    assert "<title>Error:" not in page and 'id="error-summary"' not in page

    response = client.post(f"/workshops/{workshop.id}/register", data=signup_fields(
        client, workshop.id, name="", phone="12 34", home_neighbourhood=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.split("<title>")[1].startswith("Error: ")
    summary = error_summary_of(html)
    assert 'tabindex="-1"' in html.split('id="error-summary"')[0].rsplit("<div", 1)[1]
    assert "Hi ha un problema" in summary
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)
    assert [target for target, _text in links] == ["phone", "name", "home_neighbourhood"]
    assert dict(links)["name"] == "Escriviu el vostre nom."
    for target, _text in links:
        assert f'id="{target}"' in html
    assert "js/error-summary." in html
    # The summary comes before the first field of the form.
    assert html.index('id="error-summary"') < html.index('id="name"')


def test_a_refused_sign_up_puts_its_reason_in_the_summary_and_the_title(client, workshop):
    register(workshop, mobile(1))
    response = client.post(f"/workshops/{workshop.id}/register", data=signup_fields(
        client, workshop.id, lang="en", phone=mobile(1)))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert html.split("<title>")[1].startswith("Error: ")
    assert "already registered" in error_summary_of(html)


def test_a_failed_sign_up_survives_a_reload_and_a_change_of_language(client, workshop):
    url = f"/workshops/{workshop.id}/register"
    response = client.post(url, data=signup_fields(client, workshop.id, phone="12 34",
                                                   name="Núria", email="nuria@example.org"))
    assert response.status_code == 422
    # The language switcher on that page is a GET to the same address.
    assert f'href="{url}?lang=es"' in response.get_data(as_text=True)
    for address in (url, f"{url}?lang=es", f"/workshops/{workshop.id}?lang=es"):
        page = client.get(address)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, address
        assert 'value="Núria"' in html and 'value="12 34"' in html, address
        assert 'value="nuria@example.org"' in html
        assert '<details class="optional-fields" open' in html
    assert "Esto no parece un número de teléfono" in html  # the errors speak the new language
    assert html.split("<title>")[1].startswith("Error: ")


def test_the_sign_up_address_answers_a_get_with_the_workshop_page_never_a_405(client, workshop):
    response = client.get(f"/workshops/{workshop.id}/register?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/workshops/{workshop.id}#sign-up"
    assert client.get("/workshops/999999/register").status_code == 404


def test_what_was_typed_is_forgotten_once_signed_up_or_after_ten_minutes(client, workshop,
                                                                        clock):
    url = f"/workshops/{workshop.id}/register"
    client.post(url, data=signup_fields(client, workshop.id, phone="12 34", name="Núria"))
    clock.shift(timedelta(minutes=11))
    assert client.get(url).status_code == 302
    assert 'value="Núria"' not in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)

    client.post(url, data=signup_fields(client, workshop.id, phone="12 34", name="Núria"))
    assert client.post(url, data=signup_fields(client, workshop.id, name="Núria")
                       ).status_code == 303
    assert client.get(url).status_code == 302
    with client.session_transaction() as stored:
        assert "registration_draft" not in stored


def test_the_longest_draft_any_form_can_leave_fits_in_the_cookie_and_comes_back_on_reload(
        client, auth, workshop):
    """Every field as long as a browser can send, in 4-byte characters, by a signed-in
    facilitator: the draft is kept, the cookie stays under a browser's 4,096 bytes, and a
    reload shows the form with its errors. (The draft was measured as uncompressed JSON, 12
    bytes an emoji, not as the compressed cookie: an email of 255 emojis was dropped and the
    reload came back without its errors.)"""
    auth.login_as(Role.FACILITATOR)
    url = f"/workshops/{workshop.id}/register"
    characters = random.Random(0)  # noqa: S311 - varied, so compression cannot shrink them
    fields = {name: "".join(chr(characters.randrange(0x10000, 0x110000)) for _ in range(5000))
              for name in ("name", "phone", "home_neighbourhood", "sms_consent", "age_band",
                           "gender", "email", "submission_key")}
    response = client.post(url, data=signup_fields(client, workshop.id) | fields)
    assert response.status_code == 422
    cookie = next(header for header in response.headers.getlist("Set-Cookie")
                  if header.startswith("session="))
    assert len(cookie.encode()) < 4096
    with client.session_transaction() as stored:
        assert stored["registration_draft"]["fields"]["email"] == fields["email"][:255]
    again = client.get(f"{url}?lang=es").get_data(as_text=True)
    assert 'id="error-summary"' in again
    assert f'value="{fields["name"][:121]}"' in again


def test_the_optional_section_is_a_disclosure_and_checkbox_labels_sit_beside_their_box(
        client, workshop):
    html = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert re.search(r'<details class="optional-fields">\s*<summary>', html)
    css = site_css()
    assert ".optional-fields summary::before" in css  # a drawn marker: not a text field
    assert re.search(r"\.checkbox-field \{ display: grid; grid-template-columns: 1.5rem", css)


def test_cancelling_puts_keep_and_cancel_apart_and_styled_differently(client, workshop):
    token = manage_token(register(workshop, mobile(1)))
    html = client.get(f"/r/{token}/cancel").get_data(as_text=True)
    buttons = html.split('class="form choice-buttons"')[1].split("</form>")[0]
    assert buttons.index('class="button secondary"') < buttons.index('class="button danger"')
    css = site_css()
    assert re.search(r"\.choice-buttons \{[^}]*gap: 1\.25rem 2\.5rem", css)


# The reference and the printed place

def test_every_registration_gets_its_own_short_reference_without_lookalike_characters(
        workshop):
    references = [register(workshop, mobile(n)).reference for n in range(1, 60)]
    assert len(set(references)) == len(references)
    assert all(re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", ref)
               for ref in references)


def test_the_reference_is_on_the_confirmation_page_and_in_the_confirmation_sms(
        client, workshop):
    response = client.post(f"/workshops/{workshop.id}/register",
                           data=signup_fields(client, workshop.id))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    registration = db.session.scalar(select(Registration))
    assert f"<strong>{registration.reference}</strong>" in html
    sender = RecordingSender()
    send_due(sender, now=datetime.now(UTC))
    confirmations = [body for _to, body in sender.sent if "plaça confirmada" in body]
    assert len(confirmations) == 1 and f"Ref. {registration.reference} " in confirmations[0]


def test_the_place_prints_on_one_sheet_with_what_she_needs_and_no_navigation(client, workshop):
    token = manage_token(register(workshop, mobile(1)))
    html = client.get(f"/r/{token}").get_data(as_text=True)
    sheet = html.split('<div class="place-sheet">')[1].split('aria-labelledby="sms-heading"')[0]
    for needed in (workshop.title("ca").text, workshop.venue.name, workshop.public_code,
                   "BAIXA", db.session.scalar(select(Registration)).reference, "/r/"):
        assert needed in sheet, needed
    css = site_css()
    assert "@page { size: A4" in css
    print_rules = "".join(block.split("}\n}")[0] for block in css.split("@media print")[1:])
    for hidden in (".site-header, .site-footer", ".place-sheet form", ".no-print"):
        assert hidden in print_rules, hidden
