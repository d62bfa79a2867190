"""Staff see only what their job needs, role by role.

One workshop, two places: Anna and Berta hold them, Carla waits, Dolors cancelled. Each
role opens the registrations list, its CSV, the roster and the SMS log:

| role                      | names | phone     | email | age, gender | waiting | cancelled |
|---------------------------|-------|-----------|-------|-------------|---------|-----------|
| admin, coordinator        | yes   | full      | CSV   | never       | yes     | yes       |
| organiser of the workshop | yes   | full      | CSV   | never       | yes     | yes       |
| facilitator of it         | yes   | last 3    | no    | never       | yes     | no        |
| another organiser         | 403   |           |       |             |         |           |
| another facilitator       | 403   |           |       |             |         |           |

The roster shows everyone the last three digits only. The SMS log (coordinators and
admins) masks every number and cuts every link; only an admin may reveal one number.
"""

import csv
import io

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import make_user, make_workshop, manage_token, register
from workshops.accounts.models import Role
from workshops.audit.models import AuditAction, AuditEvent
from workshops.clock import utcnow
from workshops.extensions import db
from workshops.notifications.models import OutboxMessage
from workshops.notifications.redaction import redacted
from workshops.notifications.worker import send_due
from workshops.registrations.models import AgeBand, Gender
from workshops.registrations.phones import masked_phone
from workshops.registrations.services import cancel
from workshops.sms.models import InboundMessage
from workshops.sms.senders import LogSender

PEOPLE = {  # name: (phone as typed, as shown in full, email)
    "Anna Soler": ("612345678", "612 34 56 78", "anna@example.org"),
    "Berta Vidal": ("612000111", "612 00 01 11", "berta@example.org"),
    "Carla Puig": ("612000222", "612 00 02 22", "carla@example.org"),
    "Dolors Mas": ("612000333", "612 00 03 33", "dolors@example.org"),
}
# The labels of the age band and gender every one of them gave (for statistics only).
STATISTICS_ONLY = ["65 to 74", "Non-binary"]
ROLES = ["admin", "coordinator", "organiser", "other organiser", "facilitator",
         "other facilitator"]
FULL = {"admin", "coordinator", "organiser"}
FORBIDDEN = {"other organiser", "other facilitator"}


@pytest.fixture
def team(app_context):
    """The people on staff, by role, around one workshop with four registrations."""
    users = {
        "admin": make_user([Role.ADMIN], email="admin@example.org"),
        "coordinator": make_user([Role.COORDINATOR], email="coordinator@example.org"),
        "organiser": make_user([Role.ORGANISER], email="organiser@example.org"),
        "other organiser": make_user([Role.ORGANISER], email="other-organiser@example.org"),
        "facilitator": make_user([Role.FACILITATOR], email="facilitator@example.org"),
        "other facilitator": make_user([Role.FACILITATOR],
                                       email="other-facilitator@example.org"),
    }
    workshop = make_workshop(organiser=users["organiser"], capacity=2,
                             facilitators=[users["facilitator"]])
    make_workshop(organiser=users["other organiser"],
                  facilitators=[users["other facilitator"]])
    registrations = {
        name: register(workshop, phone, name=name, email=email, age_band=AgeBand.FROM_65,
                       gender=Gender.NON_BINARY)
        for name, (phone, _shown, email) in PEOPLE.items()}
    cancel(registrations["Dolors Mas"], now=utcnow())
    db.session.commit()
    return users, workshop, registrations


def sign_in(auth, users, role):
    auth.login(users[role].email)
    return users[role]


def read_csv(response) -> list[list[str]]:
    text = response.data.decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_a_masked_phone_keeps_only_its_last_three_digits():
    assert masked_phone("+34612345678") == "••• ••• 678"
    assert masked_phone("+447700900123") == "••• ••• 123"
    assert masked_phone(None) == masked_phone("") == ""


@pytest.mark.parametrize("role", ROLES)
def test_the_registrations_list_shows_each_role_what_its_job_needs(client, auth, team, role):
    users, workshop, _registrations = team
    sign_in(auth, users, role)
    response = client.get(f"/staff/workshops/{workshop.id}/registrations?lang=en")
    if role in FORBIDDEN:
        assert response.status_code == 403
        assert not any(name in response.get_data(as_text=True) for name in PEOPLE)
        return
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for name, (_phone, shown, email) in PEOPLE.items():
        listed = role in FULL or name != "Dolors Mas"
        assert (name in html) == listed
        assert (shown in html) == (listed and role in FULL)
        assert (masked_phone(_phone) in html) == (listed and role not in FULL)
        assert email not in html  # the page never needed it: the CSV has it
    assert "Carla Puig" in html  # the waiting list, for the door
    assert not any(label in html for label in STATISTICS_ONLY)


@pytest.mark.parametrize("role", ROLES)
def test_the_registrations_csv_holds_what_the_list_shows_and_no_more(client, auth, team,
                                                                     role):
    users, workshop, _registrations = team
    sign_in(auth, users, role)
    response = client.get(f"/staff/workshops/{workshop.id}/registrations.csv?lang=en")
    if role in FORBIDDEN:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = read_csv(response)
    by_name = {dict(zip(header, row, strict=True))["Name"]: dict(zip(header, row, strict=True))
               for row in rows}
    assert "Age" not in header and "Gender" not in header
    assert not any(label in cell for row in rows for cell in row for label in STATISTICS_ONLY)
    if role in FULL:
        assert header == ["Status", "Waiting list position", "Name", "Phone", "Email",
                          "Neighbourhood where they live", "Channel", "Registered on",
                          "Name on record for this phone", "Sessions attended"]
        assert set(by_name) == set(PEOPLE)
        assert {name: (row["Phone"], row["Email"]) for name, row in by_name.items()} == {
            name: (shown, email) for name, (_phone, shown, email) in PEOPLE.items()}
        assert by_name["Dolors Mas"]["Status"] == "Cancelled"
    else:
        assert header == ["Status", "Waiting list position", "Name", "Phone", "Channel",
                          "Registered on", "Name on record for this phone",
                          "Sessions attended"]
        assert set(by_name) == {"Anna Soler", "Berta Vidal", "Carla Puig"}
        assert {name: row["Phone"] for name, row in by_name.items()} == {
            name: masked_phone(PEOPLE[name][0]) for name in by_name}
    assert (by_name["Carla Puig"]["Status"], by_name["Carla Puig"]["Waiting list position"]) \
        == ("Waiting list", "1")


@pytest.mark.parametrize("role", ROLES)
def test_the_roster_shows_names_and_the_last_three_digits_to_whoever_may_open_it(
        client, auth, team, role):
    users, workshop, _registrations = team
    sign_in(auth, users, role)
    response = client.get(f"/staff/sessions/{workshop.sessions[0].id}/attendance?lang=en")
    if role in FORBIDDEN:
        assert response.status_code == 403
        return
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for name, (phone, shown, email) in PEOPLE.items():
        on_roster = name != "Dolors Mas"  # the waiting list is; a cancellation is not
        assert (name in html) == on_roster
        assert (masked_phone(phone) in html) == on_roster
        assert shown not in html and email not in html
    assert not any(label in html for label in STATISTICS_ONLY)


def test_the_walk_in_form_shows_nobody_else_s_details(client, auth, team):
    users, workshop, _registrations = team
    sign_in(auth, users, "facilitator")
    html = client.get(f"/staff/sessions/{workshop.sessions[0].id}/attendance/walk-in"
                      "?lang=en").get_data(as_text=True)
    assert not any(name in html for name in PEOPLE)
    assert not any(shown in html or masked_phone(phone) in html
                   for phone, shown, _email in PEOPLE.values())


def test_finding_a_resident_to_erase_shows_name_and_phone_but_no_statistics(client, auth,
                                                                              team):
    users, _workshop, _registrations = team
    sign_in(auth, users, "coordinator")
    page = client.get("/staff/residents/erase?lang=en")
    found = client.post("/staff/residents/erase?lang=en", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "phone": "612 34 56 78"})
    html = found.get_data(as_text=True)
    assert "Anna Soler" in html and "612 34 56 78" in html
    assert "anna@example.org" not in html
    assert not any(label in html for label in STATISTICS_ONLY)


# The SMS log


@pytest.fixture
def sms_log(team):
    """Messages the log shows: the confirmations sent (stored with their links cut) and one
    text received, whose reply carries a whole link (as stored before links were cut on
    the way in, migration 0014) and whose body a phone number."""
    users, workshop, registrations = team
    send_due(LogSender(), now=utcnow())
    received = InboundMessage(
        message_sid="SM" + "1" * 32, from_phone="+34612345678",
        body="ALTA 123, my daughter's number is 699 11 22 33", received_at=utcnow(),
        reply=f"Done: http://localhost/r/{manage_token(registrations['Anna Soler'])}")
    db.session.add(received)
    db.session.commit()
    return users, registrations, received


def test_messages_in_the_log_hide_numbers_and_the_keys_in_links():
    assert redacted("Cancel: http://localhost/r/AbC_12-xyz.") == "Cancel: http://localhost/r/…."
    assert redacted("https://i4a.example/r/abc/cancel?x=1 ok") == "https://i4a.example/r/… ok"
    assert redacted("https://i4a.example/AbCdEf") == "https://i4a.example/…"
    assert redacted("see https://i4a.example/") == "see https://i4a.example/"
    assert redacted("From +34612345678 and 612 34 56 78") == (
        "From ••• ••• 678 and ••• ••• 678")
    assert redacted("The 'To' number +34612345678 is not valid") == (
        "The 'To' number ••• ••• 678 is not valid")
    assert redacted("ALTA 123 dv. 4/12 10:00") == "ALTA 123 dv. 4/12 10:00"
    assert redacted(None) == ""


@pytest.mark.parametrize("role", ROLES)
def test_the_sms_log_masks_numbers_and_links_for_every_role_that_may_open_it(
        client, auth, sms_log, role):
    users, _registrations, received = sms_log
    sign_in(auth, users, role)
    response = client.get("/staff/sms?lang=en")
    if role not in {"admin", "coordinator"}:
        assert response.status_code == 403
        return
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalars(select(OutboxMessage.body)).first()  # the texts were sent
    assert "http://localhost/r/…" in html
    assert received.reply.rsplit("/", 1)[1] not in html
    assert "••• ••• 678" in html and "••• ••• 233" in html
    assert "+34612345678" not in html and "699 11 22 33" not in html
    assert ("Show the number" in html) == (role == "admin")


def test_an_admin_reveals_one_number_and_the_audit_log_records_it(client, auth, sms_log):
    users, _registrations, received = sms_log
    admin = sign_in(auth, users, "admin")
    page = client.get("/staff/sms?lang=en").get_data(as_text=True)
    response = client.post(f"/staff/sms/received/{received.id}/reveal?lang=en",
                           data={"csrf_token": csrf_token_from(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert '<strong id="revealed-number">+34612345678</strong>' in html
    assert "699 11 22 33" not in html  # only the sender's number, nothing else
    event = db.session.scalar(select(AuditEvent))
    assert (event.actor_id, event.action, event.subject_type, event.subject_id) == (
        admin.id, AuditAction.PHONE_REVEALED, "inbound_message", received.id)


def test_revealing_a_number_needs_the_form_s_token_and_then_records_nothing(client, auth,
                                                                             sms_log):
    users, _registrations, received = sms_log
    sign_in(auth, users, "admin")
    response = client.post(f"/staff/sms/received/{received.id}/reveal")
    assert response.status_code == 400
    assert "+34612345678" not in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent)) is None


def test_a_coordinator_may_not_reveal_a_number(client, auth, sms_log):
    users, _registrations, received = sms_log
    sign_in(auth, users, "coordinator")
    page = client.get("/staff/sms").get_data(as_text=True)
    response = client.post(f"/staff/sms/received/{received.id}/reveal",
                           data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 403
    assert "+34612345678" not in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent)) is None
