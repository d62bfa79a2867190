"""axe-core (WCAG 2.0–2.2 A and AA, target-size included) on every page."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import CHROMIUM_ARGS  # noqa: F401  (same browser set-up)
from tests.factories import DEFAULT_PASSWORD, make_user
from workshops.accounts.models import Role

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "runOnly": {"type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}
PUBLIC_PAGES = ["/", "/?lang=es", "/?lang=en", "/login", "/no-such-page", "/workshops",
                "/workshops?neighbourhood=1&lang=es", "/workshops?neighbourhood=73",
                "/workshops/{workshop_id}", "/workshops/{workshop_id}?lang=en",
                "/workshops/{workshop_id}/poster", "/r/{token}", "/r/{token}/cancel",
                "/calendars", "/calendars?district=10&feed_lang=es", "/privacy",
                "/privacy?lang=en", "/accessibility", "/accessibility?lang=es", "/my-workshops",
                "/my-workshops?lang=es"]
ADMIN_PAGES = ["/staff", "/account", "/admin/users", "/admin/users/new",
               "/staff/neighbourhoods", "/staff/venues", "/staff/venues/new", "/staff/topics",
               "/staff/workshops", "/staff/workshops/new", "/staff/workshops/{workshop_id}",
               "/staff/workshops/{workshop_id}/edit", "/staff/workshops/{workshop_id}/cancel",
               "/staff/workshops/{workshop_id}/registrations",
               "/staff/workshops/{workshop_id}/registrations/new", "/staff/residents/erase",
               "/staff/residents/{resident_id}/correct", "/staff/residents/{resident_id}",
               "/staff/calendars", "/staff/calendars/schedule.csv?date_from=&date_to=someday",
               "/reach", "/reach?by=home&sort=per_thousand&dir=asc", "/reach?lang=es",
               "/reach?lang=en&district=08", "/admin/map-data", "/staff/sms",
               "/admin/audit"]


@pytest.fixture
def workshop_id(app, live_server):
    from tests.factories import make_workshop

    with app.app_context():
        return make_workshop(titles={"ca": "Taller", "es": "", "en": ""},
                             audiences=["women"], capacity=1).id


@pytest.fixture
def token(app, workshop_id):
    from tests.factories import _workshop_by_id, manage_token, register

    with app.app_context():
        register(_workshop_by_id(workshop_id), "611111111")
        return manage_token(register(_workshop_by_id(workshop_id), "622222222"))


def violations(page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.fixture(params=[(390, 844), (1024, 768)], ids=["phone", "tablet"])
def a11y_page(request, browser):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="ca-ES", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def test_public_pages_have_no_accessibility_violations(live_server, a11y_page, workshop_id,
                                                      token):
    found = {}
    for url in PUBLIC_PAGES:
        a11y_page.goto(live_server + url.format(workshop_id=workshop_id, token=token))
        found[url] = violations(a11y_page)
    a11y_page.goto(f"{live_server}/workshops/{workshop_id}")
    a11y_page.locator("form.registration-form button[type=submit]").click()
    a11y_page.locator("[aria-invalid=true]").first.wait_for()  # the answer has come
    found["registration form with errors"] = violations(a11y_page)
    assert found == {url: [] for url in found}


def test_a_form_with_errors_has_no_accessibility_violations(live_server, a11y_page):
    a11y_page.goto(live_server + "/login")
    a11y_page.fill("#email", "someone@example.org")
    a11y_page.fill("#password", "wrong password")
    a11y_page.locator("form.form button[type=submit]").click()
    a11y_page.locator(".error-summary").wait_for()
    assert violations(a11y_page) == []


@pytest.fixture
def resident_id(app, workshop_id):
    from tests.factories import _workshop_by_id, register

    with app.app_context():
        return register(_workshop_by_id(workshop_id), "633333333").resident_id


def test_staff_pages_have_no_accessibility_violations(live_server, a11y_page, app,
                                                     workshop_id, resident_id):
    with app.app_context():
        make_user([Role.ADMIN], email="admin@example.org")
    a11y_page.goto(live_server + "/login")
    a11y_page.fill("#email", "admin@example.org")
    a11y_page.fill("#password", DEFAULT_PASSWORD)
    a11y_page.locator("form.form button[type=submit]").click()
    a11y_page.wait_for_url("**/staff")
    found = {}
    for url in ADMIN_PAGES:
        a11y_page.goto(live_server + url.format(workshop_id=workshop_id,
                                                resident_id=resident_id))
        found[url] = violations(a11y_page)
    for url in ["/admin/users/new", "/staff/workshops/new"]:
        a11y_page.goto(live_server + url)
        a11y_page.locator("form.form button[type=submit]").click()
        a11y_page.locator(".error-summary").wait_for()  # the answer, not the page leaving
        found[f"{url} (errors)"] = violations(a11y_page)
    correct = f"/staff/residents/{resident_id}/correct"
    a11y_page.goto(live_server + correct)
    a11y_page.fill("#email", "not an email")
    a11y_page.locator("form.form button[type=submit]").click()
    a11y_page.locator(".error-summary").wait_for()
    found[f"{correct} (errors)"] = violations(a11y_page)
    assert found == {url: [] for url in found}


@pytest.fixture
def roster_session_id(app, live_server):
    """A session in progress: people present, absent, unmarked, waiting and a walk-in."""
    from datetime import UTC, datetime, timedelta

    from tests.factories import make_workshop, mobile, register
    from workshops.attendance import services as attendance
    from workshops.catalogue.local_time import Slot
    from workshops.extensions import db
    from workshops.registrations.services import ResidentDetails

    with app.app_context():
        facilitator = make_user([Role.FACILITATOR], email="facilitator@example.org")
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        created = start - timedelta(days=2)
        workshop = make_workshop(now=created, capacity=3,
                                 slots=[Slot(start, start + timedelta(hours=2))])
        workshop.facilitators = [facilitator]
        people = [register(workshop, mobile(n), now=created, name=f"Persona {n}")
                  for n in range(1, 5)]
        session = workshop.sessions[0]
        for registration, present in zip(people[:2], (True, False), strict=True):
            attendance.mark(session, attendance.Change(f"a11y-{registration.id}",
                                                       registration.id, present, start),
                            by=facilitator, now=start)
        walk_in = ResidentDetails(phone=None, name="Rosa Serra",
                                  home_neighbourhood=workshop.venue.neighbourhood)
        attendance.add_walk_in(session, walk_in, by=facilitator, now=start)
        db.session.commit()
        return session.id


@pytest.mark.parametrize("size", [(768, 1024), (1024, 768), (390, 844)],
                         ids=["tablet-portrait", "tablet-landscape", "phone"])
def test_attendance_pages_have_no_accessibility_violations(live_server, browser,
                                                           roster_session_id, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True,
                                  locale="ca-ES", bypass_csp=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#email", "facilitator@example.org")
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/staff/attendance")
    roster = f"/staff/sessions/{roster_session_id}/attendance"
    found, widths = {}, {}
    for url in ["/staff/attendance", roster, roster + "?q=ningu", roster + "/walk-in",
                "/staff/attendance?lang=es", roster + "?lang=en"]:
        page.goto(live_server + url)
        found[url] = violations(page)
        widths[url] = page.evaluate("document.documentElement.scrollWidth")
    page.goto(live_server + roster + "/walk-in")
    page.locator("form.form button[type=submit]").click()
    found["walk-in form with errors"] = violations(page)
    context.close()
    assert found == {url: [] for url in found}
    assert widths == {url: width for url in widths}  # no sideways scrolling


def test_my_workshops_pages_have_no_accessibility_violations(live_server, a11y_page, app,
                                                            token):
    from tests.test_browser import prove_phone_in_browser

    a11y_page.goto(live_server + "/my-workshops")
    a11y_page.fill("#phone", "not a phone")
    a11y_page.locator("main form button[type=submit]").click()
    a11y_page.locator(".error-summary").wait_for()
    found = {"phone with an error": violations(a11y_page)}
    prove_phone_in_browser(a11y_page, live_server, app, "622 22 22 22", "ca")
    found["list"] = violations(a11y_page)
    for url in ["/my-workshops/details", "/my-workshops/delete"]:
        a11y_page.goto(live_server + url)
        found[url] = violations(a11y_page)
    a11y_page.goto(live_server + "/my-workshops/details")
    a11y_page.fill("#name", "")
    a11y_page.locator("main form button[type=submit]").click()
    a11y_page.locator(".error-summary").wait_for()
    found["details with an error"] = violations(a11y_page)
    assert found == {page: [] for page in found}


def test_the_reach_page_with_its_map_and_the_map_data_uploads_have_no_violations(
        live_server, a11y_page, app):
    """With boundaries imported, every district and folded line open, in each language;
    and the upload page showing a file's errors and a CSV's wrong rows."""
    from datetime import UTC, datetime

    from tests.test_places import REAL_BARRIS
    from workshops.extensions import db
    from workshops.places.boundaries import import_boundaries

    if not REAL_BARRIS.exists():
        pytest.skip(f"no boundaries file at {REAL_BARRIS}")
    with app.app_context():
        make_user([Role.ADMIN], email="admin@example.org")
        import_boundaries(REAL_BARRIS, now=datetime.now(UTC))
        db.session.commit()
    a11y_page.goto(live_server + "/login")
    a11y_page.fill("#email", "admin@example.org")
    a11y_page.fill("#password", DEFAULT_PASSWORD)
    a11y_page.locator("form.form button[type=submit]").click()
    a11y_page.wait_for_url("**/staff")
    found = {}
    for lang in ("ca", "es", "en"):
        a11y_page.goto(f"{live_server}/reach?lang={lang}")
        a11y_page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        found[lang] = violations(a11y_page)
    a11y_page.goto(live_server + "/admin/map-data")
    a11y_page.set_input_files("#boundaries-file", {"name": "barris.geojson",
                                                   "mimeType": "application/json",
                                                   "buffer": b"[]"})
    a11y_page.locator("#boundaries-file").locator("xpath=ancestor::form").locator(
        "button[type=submit]").click()
    a11y_page.locator(".error-summary").wait_for()
    found["boundaries file refused"] = violations(a11y_page)
    a11y_page.set_input_files("#indicators-file", {
        "name": "needs.csv", "mimeType": "text/csv",
        "buffer": b"neighbourhood_code,indicator,value,year,source\n99,x,y,z,\n"})
    a11y_page.locator("#indicators-file").locator("xpath=ancestor::form").locator(
        "button[type=submit]").click()
    a11y_page.locator("#indicator-problems").wait_for()
    found["indicator rows refused"] = violations(a11y_page)
    assert found == {page: [] for page in found}
