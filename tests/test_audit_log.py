"""The audit log: who viewed, downloaded, revealed, corrected or erased residents' data,
and when."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import inspect, select

from tests.conftest import post_form
from tests.factories import make_user, make_workshop, register
from workshops.accounts.models import Role
from workshops.audit.models import AuditAction, AuditEvent
from workshops.audit.services import events_page, purge_audit_events, record
from workshops.clock import utcnow
from workshops.extensions import db
from workshops.registrations.models import Resident


def events() -> list[tuple]:
    return [(e.actor_id, e.action, e.subject_type, e.subject_id)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_an_event_says_who_did_what_to_which_record_and_when(app_context):
    coordinator = make_user([Role.COORDINATOR])
    workshop = make_workshop()
    now = utcnow()
    event = record(coordinator, AuditAction.REGISTRATIONS_VIEWED, workshop, now=now)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.actor_id, stored.action, stored.subject_type, stored.subject_id,
            stored.at) == (coordinator.id, AuditAction.REGISTRATIONS_VIEWED, "workshop",
                           workshop.id, now)


def test_an_event_has_no_room_for_anything_about_the_person():
    columns = {column.key for column in inspect(AuditEvent).columns}
    assert columns == {"id", "at", "actor_id", "action", "subject_type", "subject_id"}


def test_the_team_viewing_or_downloading_a_list_is_recorded_and_a_refusal_is_not(
        client, auth, app_context):
    facilitator = make_user([Role.FACILITATOR], email="fac@example.org")
    workshop = make_workshop(facilitators=[facilitator])
    register(workshop, "612345678")
    other = make_workshop()
    auth.login("fac@example.org")
    client.get(f"/staff/workshops/{workshop.id}/registrations")
    client.get(f"/staff/workshops/{workshop.id}/registrations.csv")
    assert client.get(f"/staff/workshops/{other.id}/registrations").status_code == 403
    assert events() == [
        (facilitator.id, AuditAction.REGISTRATIONS_VIEWED, "workshop", workshop.id),
        (facilitator.id, AuditAction.REGISTRATIONS_EXPORTED, "workshop", workshop.id)]


def test_finding_and_erasing_a_resident_are_recorded_without_her_details(client, auth,
                                                                         app_context):
    workshop = make_workshop()
    registration = register(workshop, "612345678", name="Anna Soler")
    coordinator = auth.login_as(Role.COORDINATOR)
    post_form(client, "/staff/residents/erase", phone="612 34 56 78")
    response = post_form(client, "/staff/residents/erase",
                         f"/staff/residents/{registration.resident_id}/erase",
                         phone="612 34 56 78", confirm="1")
    assert response.status_code == 303
    assert db.session.get(Resident, registration.resident_id).erased_at is not None
    assert events() == [
        (coordinator.id, AuditAction.RESIDENT_FOUND, "resident", registration.resident_id),
        (coordinator.id, AuditAction.RESIDENT_ERASED, "resident", registration.resident_id)]


def test_correcting_a_resident_is_recorded_without_her_details(client, auth, app_context):
    workshop = make_workshop()
    registration = register(workshop, "612345678", name="Anna Soler")
    resident_id = registration.resident_id
    coordinator = auth.login_as(Role.COORDINATOR)
    url = f"/staff/residents/{resident_id}/correct"
    fields = {"name": "Anna Soler Vidal", "email": "anna@example.org",
              "home_neighbourhood": "outside", "preferred_language": "es",
              "age_band": "", "gender": ""}
    assert post_form(client, url, data=fields).status_code == 303
    assert post_form(client, url, data=fields).status_code == 303  # nothing changed
    assert db.session.get(Resident, resident_id).name == "Anna Soler Vidal"
    opened = (coordinator.id, AuditAction.RESIDENT_OPENED, "resident", resident_id)
    assert events() == [opened, (coordinator.id, AuditAction.RESIDENT_CORRECTED, "resident",
                                 resident_id), opened]
    stored = [tuple(str(getattr(event, column.key)) for column in inspect(AuditEvent).columns)
              for event in db.session.scalars(select(AuditEvent))]
    for needle in ("Anna", "Soler", "612", "anna@", "outside"):
        assert not any(needle in value for row in stored for value in row)

    auth.logout()
    auth.login_as(Role.ADMIN)
    html = unescape(client.get("/admin/audit?lang=en").get_data(as_text=True))
    assert "Corrected a resident's details" in html
    assert "Opened a resident's details to correct them" in html
    assert "Anna" not in html


def test_a_phone_nobody_has_records_no_look_up(client, auth, app_context):
    auth.login_as(Role.COORDINATOR)
    response = post_form(client, "/staff/residents/erase", phone="699 99 99 99")
    assert response.status_code == 422
    assert events() == []


def test_events_are_listed_newest_first_a_page_at_a_time(app_context):
    admin = make_user([Role.ADMIN])
    workshop = make_workshop()
    start = utcnow() - timedelta(days=1)
    for minutes in range(5):
        record(admin, AuditAction.REGISTRATIONS_VIEWED, workshop,
               now=start + timedelta(minutes=minutes))
    db.session.commit()
    first = events_page(1, per_page=2)
    assert (first.total, first.pages) == (5, 3)
    assert [e.at for e in first.events] == [start + timedelta(minutes=4),
                                            start + timedelta(minutes=3)]
    last = events_page(99, per_page=2)
    assert (last.page, [e.at for e in last.events]) == (3, [start])


def test_the_admin_page_lists_events_in_the_admins_language(client, auth, app_context):
    workshop = make_workshop()
    register(workshop, "612345678", name="Anna Soler")
    coordinator = make_user([Role.COORDINATOR], name="Clara Coordinadora")
    record(coordinator, AuditAction.REGISTRATIONS_EXPORTED, workshop,
           now=utcnow() - timedelta(hours=1))
    db.session.commit()
    auth.login_as(Role.ADMIN)
    response = client.get("/admin/audit?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Clara Coordinadora" in html
    assert "Downloaded a workshop's registrations" in unescape(html)
    assert f"Workshop {workshop.id}" in html
    assert "Anna Soler" not in html and "612 34 56 78" not in html


def test_the_admin_page_goes_page_by_page(client, auth, app_context):
    admin = auth.login_as(Role.ADMIN)
    workshop = make_workshop()
    start = utcnow() - timedelta(days=1)
    for n in range(51):
        record(admin, AuditAction.REGISTRATIONS_VIEWED, workshop,
               now=start + timedelta(seconds=n))
    db.session.commit()
    first = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/admin/audit?page=2&lang=en").get_data(as_text=True)
    assert "Page 2 of 2" in second and len(re.findall(r"<tr>", second)) == 1 + 1
    assert client.get("/admin/audit?page=banana").status_code == 200


def test_events_older_than_the_retention_period_are_purged(app, app_context):
    assert app.config["AUDIT_RETENTION_DAYS"] == 730
    admin = make_user([Role.ADMIN])
    workshop = make_workshop()
    now = utcnow()
    for days in (731, 730, 729, 1):
        record(admin, AuditAction.REGISTRATIONS_VIEWED, workshop,
               now=now - timedelta(days=days))
    db.session.commit()
    assert purge_audit_events(now=now) == 1
    db.session.commit()
    assert sorted(now - e.at for e in db.session.scalars(select(AuditEvent))) == [
        timedelta(days=1), timedelta(days=729), timedelta(days=730)]


@pytest.mark.parametrize("days, kept", [(30, 1), (0, 0)])
def test_the_retention_period_is_configurable(app, app_context, days, kept):
    app.config["AUDIT_RETENTION_DAYS"] = days
    admin = make_user([Role.ADMIN])
    workshop = make_workshop()
    now = utcnow()
    for days in (29, 31):
        record(admin, AuditAction.REGISTRATIONS_VIEWED, workshop, now=now - timedelta(days=days))
    db.session.commit()
    assert purge_audit_events(now=now) == 2 - kept
    db.session.commit()
    assert len(events()) == kept
