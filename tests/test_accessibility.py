"""axe-core (WCAG 2.0–2.2 A and AA, target-size included) on every page of the foundation."""

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
                "/workshops/{workshop_id}/poster", "/r/{token}", "/r/{token}/cancel"]
ADMIN_PAGES = ["/staff", "/account", "/admin/users", "/admin/users/new",
               "/staff/neighbourhoods", "/staff/venues", "/staff/venues/new", "/staff/topics",
               "/staff/workshops", "/staff/workshops/new", "/staff/workshops/{workshop_id}",
               "/staff/workshops/{workshop_id}/edit", "/staff/workshops/{workshop_id}/cancel",
               "/staff/workshops/{workshop_id}/registrations",
               "/staff/workshops/{workshop_id}/registrations/new", "/staff/residents/erase",
               "/reach", "/reach?by=home&sort=per_thousand&dir=asc"]


@pytest.fixture
def workshop_id(app, live_server):
    from tests.factories import make_workshop

    with app.app_context():
        return make_workshop(titles={"ca": "Taller", "es": "", "en": ""},
                             audiences=["women"], capacity=1).id


@pytest.fixture
def token(app, workshop_id):
    from tests.factories import _workshop_by_id, register

    with app.app_context():
        register(_workshop_by_id(workshop_id), "611111111")
        return register(_workshop_by_id(workshop_id), "622222222").manage_token


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
    found["registration form with errors"] = violations(a11y_page)
    assert found == {url: [] for url in found}


def test_a_form_with_errors_has_no_accessibility_violations(live_server, a11y_page):
    a11y_page.goto(live_server + "/login")
    a11y_page.fill("#email", "someone@example.org")
    a11y_page.fill("#password", "wrong password")
    a11y_page.locator("form.form button[type=submit]").click()
    assert a11y_page.locator(".error-summary").is_visible()
    assert violations(a11y_page) == []


def test_staff_pages_have_no_accessibility_violations(live_server, a11y_page, app,
                                                     workshop_id):
    with app.app_context():
        make_user([Role.ADMIN], email="admin@example.org")
    a11y_page.goto(live_server + "/login")
    a11y_page.fill("#email", "admin@example.org")
    a11y_page.fill("#password", DEFAULT_PASSWORD)
    a11y_page.locator("form.form button[type=submit]").click()
    a11y_page.wait_for_url("**/staff")
    found = {}
    for url in ADMIN_PAGES:
        a11y_page.goto(live_server + url.format(workshop_id=workshop_id))
        found[url] = violations(a11y_page)
    for url in ["/admin/users/new", "/staff/workshops/new"]:
        a11y_page.goto(live_server + url)
        a11y_page.locator("form.form button[type=submit]").click()
        found[f"{url} (errors)"] = violations(a11y_page)
    assert found == {url: [] for url in found}
