"""Every staff route against every role: each role reaches only the pages its job needs."""

from datetime import timedelta

import pytest

from tests.conftest import csrf_token_from
from tests.factories import (
    attend,
    make_topic,
    make_user,
    make_venue,
    make_workshop,
    register,
)
from workshops.accounts.models import Role
from workshops.catalogue.local_time import Slot
from workshops.clock import utcnow
from workshops.extensions import db
from workshops.sms.models import InboundMessage
from workshops.voice.models import CallbackRequest

PUBLIC_ENDPOINTS = {"static", "home.home", "accounts.login",
                    "catalogue.listing", "catalogue.detail", "catalogue.poster",
                    "registrations.register", "registrations.manage", "registrations.cancel",
                    "registrations.sms_preference", "sms.inbound", "sms.delivery_status",
                    "calendars.feed", "calendars.workshop_calendar", "calendars.calendars_page",
                    "calendars.staff_feed", "attendance.service_worker",
                    "reach.open_data_csv", "reach.open_data_json", "privacy.page",
                    "home.accessibility",
                    # A resident's own pages: proved by a code, not a staff role.
                    "my.start", "my.send_code", "my.enter_code", "my.overview", "my.cancel",
                    "my.details", "my.sms_consent", "my.delete", "my.sign_out",
                    # Certificates: hers (proved by her link or code), and /verify for anyone.
                    "my.certificate", "outcomes.by_personal_link", "outcomes.verify_form",
                    "outcomes.verify",
                    # Operations: readiness is public; metrics answer loopback or a token
                    # (tests/test_operations.py), never a staff role.
                    "operations.readyz", "operations.metrics",
                    # Twilio's voice webhook: signed, not signed in (test_voice).
                    "voice.inbound", "voice.step"}
ALL_STAFF = set(Role)
ADMINS = {Role.ADMIN}
COORDINATORS = {Role.ADMIN, Role.COORDINATOR}
PUBLISHERS = {Role.ADMIN, Role.COORDINATOR, Role.ORGANISER}

# (endpoint, GET url, roles that may open it). Workshop pages are about a workshop that
# another organiser owns: only coordinators and admins may open those.
STAFF_PAGES = [
    ("accounts.staff_home", "/staff", ALL_STAFF),
    ("accounts.account", "/account", ALL_STAFF),
    ("accounts.user_list", "/admin/users", ADMINS),
    ("accounts.user_new", "/admin/users/new", ADMINS),
    ("accounts.user_edit", "/admin/users/{user_id}", ADMINS),
    ("places.neighbourhoods", "/staff/neighbourhoods", COORDINATORS),
    ("places.venues", "/staff/venues", COORDINATORS),
    ("places.edit_venue", "/staff/venues/new", COORDINATORS),
    ("places.edit_venue", "/staff/venues/{venue_id}", COORDINATORS),
    ("catalogue.my_workshops", "/staff/workshops", PUBLISHERS),
    ("catalogue.new_workshop", "/staff/workshops/new", PUBLISHERS),
    ("catalogue.manage_workshop", "/staff/workshops/{workshop_id}", COORDINATORS),
    ("catalogue.edit_workshop", "/staff/workshops/{workshop_id}/edit", COORDINATORS),
    ("catalogue.cancel_workshop", "/staff/workshops/{workshop_id}/cancel", COORDINATORS),
    ("catalogue.edit_session", "/staff/sessions/{session_id}/edit", COORDINATORS),
    ("catalogue.topics", "/staff/topics", COORDINATORS),
    ("catalogue.edit_topic", "/staff/topics/new", COORDINATORS),
    ("catalogue.edit_topic", "/staff/topics/{topic_id}", COORDINATORS),
    ("registrations.workshop_registrations", "/staff/workshops/{workshop_id}/registrations",
     COORDINATORS),
    ("registrations.workshop_registrations_csv",
     "/staff/workshops/{workshop_id}/registrations.csv", COORDINATORS),
    ("registrations.register_on_behalf", "/staff/workshops/{workshop_id}/registrations/new",
     COORDINATORS),
    ("registrations.erase_lookup", "/staff/residents/erase", COORDINATORS),
    ("registrations.correct", "/staff/residents/{resident_id}/correct", COORDINATORS),
    ("registrations.resident_page", "/staff/residents/{resident_id}", COORDINATORS),
    ("sms.log", "/staff/sms", COORDINATORS),
    ("audit.audit_log", "/admin/audit", ADMINS),
    ("places.map_data", "/admin/map-data", ADMINS),
    ("calendars.staff_calendars", "/staff/calendars", ALL_STAFF),
    ("calendars.schedule_csv", "/staff/calendars/schedule.csv", COORDINATORS),
    # A roster: the session's facilitators and the workshop's organiser too (test_attendance).
    ("attendance.today", "/staff/attendance", ALL_STAFF),
    ("attendance.roster", "/staff/sessions/{session_id}/attendance", COORDINATORS),
    ("attendance.walk_in", "/staff/sessions/{session_id}/attendance/walk-in", COORDINATORS),
    ("reach.dashboard", "/reach", COORDINATORS),
    ("reach.dashboard_csv", "/reach.csv", COORDINATORS),
    ("reach.dashboard_json", "/reach.json", COORDINATORS),
    # Certificates: the workshop's team too (test_certificates).
    ("outcomes.for_workshop", "/staff/workshops/{workshop_id}/certificates", COORDINATORS),
    ("outcomes.for_staff", "/staff/registrations/{finished_registration_id}/certificate",
     COORDINATORS),
    ("voice.callbacks", "/staff/callbacks", PUBLISHERS),
    # For the workshop she heard: its team (here, not the organiser signed in).
    ("voice.register_caller", "/staff/callbacks/{callback_id}/register", COORDINATORS),
]
# POST-only staff endpoints.
STAFF_ACTIONS = [
    ("accounts.logout", "/logout", ALL_STAFF),
    ("places.set_priority", "/staff/neighbourhoods/{neighbourhood_id}/priority", COORDINATORS),
    ("places.upload_boundaries", "/admin/map-data/boundaries", ADMINS),
    ("places.upload_indicators", "/admin/map-data/indicators", ADMINS),
    ("catalogue.add_sessions", "/staff/workshops/{workshop_id}/sessions", COORDINATORS),
    ("catalogue.delete_session", "/staff/sessions/{session_id}/delete", COORDINATORS),
    ("catalogue.publish_workshop", "/staff/workshops/{workshop_id}/publish", COORDINATORS),
    ("catalogue.unpublish_workshop", "/staff/workshops/{workshop_id}/unpublish", COORDINATORS),
    ("catalogue.duplicate_workshop", "/staff/workshops/{workshop_id}/duplicate", COORDINATORS),
    ("registrations.erase", "/staff/residents/{resident_id}/erase", COORDINATORS),
    ("privacy.erase_phone_traces", "/staff/phones/erase", COORDINATORS),
    ("sms.reveal_number", "/staff/sms/received/{message_id}/reveal", ADMINS),
    ("calendars.replace_own_feed_link", "/staff/calendars/my-link", ALL_STAFF),
    ("attendance.mark", "/staff/sessions/{session_id}/attendance/mark", COORDINATORS),
    ("attendance.sync", "/staff/sessions/{session_id}/attendance/sync", COORDINATORS),
    ("attendance.close", "/staff/sessions/{session_id}/attendance/close", COORDINATORS),
    ("voice.take", "/staff/callbacks/{callback_id}/take", PUBLISHERS),
    ("voice.close", "/staff/callbacks/{callback_id}/close", PUBLISHERS),
]


def test_every_route_is_listed_as_public_or_staff(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    listed = {endpoint for endpoint, _url, _roles in STAFF_PAGES + STAFF_ACTIONS}
    assert endpoints == PUBLIC_ENDPOINTS | listed


@pytest.fixture
def ids(app_context):
    venue = make_venue()
    target = make_user([Role.ORGANISER], email="target@example.org")
    workshop = make_workshop(organiser=target, venue=venue)
    resident_id = register(workshop, "612345678").resident_id
    finished = make_workshop(organiser=target, venue=venue, now=utcnow() - timedelta(days=30),
                             slots=[Slot(utcnow() - timedelta(days=8),
                                         utcnow() - timedelta(days=8, hours=-2))])
    finished_registration = register(finished, "612345679", now=utcnow() - timedelta(days=20))
    attend(finished_registration, finished.sessions[0])
    message = InboundMessage(message_sid="SM" + "0" * 32, from_phone="+34612345678",
                             body="ALTA 123", received_at=utcnow())
    db.session.add(message)
    callback = CallbackRequest(phone="+34612345678", language="ca", requested_at=utcnow(),
                               workshop_id=workshop.id)
    db.session.add(callback)
    db.session.commit()
    return {"callback_id": callback.id,
            "user_id": target.id, "neighbourhood_id": venue.neighbourhood_id,
            "message_id": message.id, "venue_id": venue.id, "workshop_id": workshop.id,
            "session_id": workshop.sessions[0].id, "topic_id": make_topic().id,
            "resident_id": resident_id, "finished_registration_id": finished_registration.id}


def by_id(routes):
    return [pytest.param(url, roles, id=url) for _endpoint, url, roles in routes]


@pytest.mark.parametrize("url, roles", by_id(STAFF_PAGES))
def test_anonymous_visitors_are_sent_to_sign_in(client, ids, url, roles):
    response = client.get(url.format(**ids))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("url, roles", by_id(STAFF_ACTIONS))
def test_anonymous_posts_change_nothing(client, ids, url, roles):
    assert client.post(url.format(**ids)).status_code in {302, 400}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("url, allowed", by_id(STAFF_PAGES))
def test_each_role_opens_only_the_pages_it_is_allowed_and_no_browser_keeps_them(
        client, auth, ids, role, url, allowed):
    auth.login_as(role)
    response = client.get(url.format(**ids))
    assert response.status_code == (200 if role in allowed else 403)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("url, allowed", by_id(STAFF_ACTIONS))
def test_each_role_may_post_only_the_actions_it_is_allowed(client, auth, ids, role, url,
                                                           allowed):
    auth.login_as(role)
    token = csrf_token_from(client.get("/staff").get_data(as_text=True))
    response = client.post(url.format(**ids), data={"csrf_token": token, "priority": "1"})
    assert (response.status_code == 403) == (role not in allowed)
    if url != "/logout":  # signed out by it: nothing personal in the answer
        assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_stay_cacheable_for_visitors(client, ids):
    for url in ["/", "/workshops", f"/workshops/{ids['workshop_id']}",
                "/static/css/site.css"]:
        with client.get(url) as response:
            assert response.status_code == 200
            assert "no-store" not in response.headers.get("Cache-Control", "")


def test_a_public_page_seen_by_signed_in_staff_is_not_kept(client, auth, ids):
    auth.login_as(Role.FACILITATOR)
    assert client.get("/workshops").headers["Cache-Control"] == "no-store"
    with client.get("/static/css/site.css") as response:
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_guessing_an_id_that_does_not_exist_gives_404(client, auth, ids):
    auth.login_as(Role.COORDINATOR)
    assert client.get("/staff/workshops/999999").status_code == 404
    assert client.get("/staff/sessions/999999/edit").status_code == 404
    assert client.get("/staff/sessions/999999/attendance").status_code == 404


def test_a_person_with_several_roles_gets_the_union(client, auth, ids):
    auth.login_as(Role.ORGANISER, Role.COORDINATOR)
    assert client.get("/staff/neighbourhoods").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_a_forbidden_page_is_translated(client, auth, ids):
    auth.login_as(Role.FACILITATOR)
    response = client.get("/admin/users?lang=es")
    assert response.status_code == 403
    assert '<html lang="es">' in response.get_data(as_text=True)


ROSTER_PAGES = ["/staff/sessions/{session_id}/attendance",
                "/staff/sessions/{session_id}/attendance/walk-in"]


@pytest.mark.parametrize("url", ROSTER_PAGES)
def test_a_roster_opens_for_the_sessions_facilitator_and_the_workshops_organiser(
        client, auth, ids, url):
    from workshops.catalogue.models import Session
    from workshops.extensions import db

    facilitator = auth.login_as(Role.FACILITATOR)
    session = db.session.get(Session, ids["session_id"])
    assert client.get(url.format(**ids)).status_code == 403
    session.workshop.facilitators = [facilitator]
    db.session.commit()
    assert client.get(url.format(**ids)).status_code == 200
    auth.logout()
    auth.login("target@example.org")  # the organiser who owns the workshop
    assert client.get(url.format(**ids)).status_code == 200
    # Their own workshop does not open another's roster by guessing its id.
    other = make_workshop()
    assert client.get(url.format(session_id=other.sessions[0].id)).status_code == 403
