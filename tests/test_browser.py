"""Real Chromium through Playwright against the app on loopback."""

import pytest

pytestmark = pytest.mark.browser


def test_a_resident_switches_the_home_page_to_spanish_and_it_stays(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "ca"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Apreneu a fer servir internet, a prop de casa")

    page.get_by_role("link", name="Español").click()
    page.wait_for_url("**/?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Aprenda a usar internet, cerca de casa")

    page.goto(live_server + "/login")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("link", name="Español").get_attribute("aria-current") == "true"


def test_the_skip_link_is_the_first_stop_and_leads_to_main(live_server, page):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.locator("a.skip-link").is_visible()


def test_public_pages_fit_a_320_px_phone_without_sideways_scrolling(live_server, browser,
                                                                      app):
    from tests.factories import make_workshop, manage_token, register

    with app.app_context():
        workshop = make_workshop()
        token = manage_token(register(workshop, "612345678"))
        workshop_id = workshop.id
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="es-ES")
    page = context.new_page()
    widths = {}
    for url in ["/", "/workshops", f"/workshops/{workshop_id}", f"/r/{token}",
                f"/r/{token}/cancel", f"/workshops/{workshop_id}/poster", "/login"]:
        page.goto(live_server + url)
        widths[url] = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert widths == {url: 320 for url in widths}


def test_a_resident_without_javascript_finds_a_workshop_in_their_neighbourhood(
        live_server, browser, app):
    from sqlalchemy import select

    from tests.factories import make_venue, make_workshop
    from workshops.extensions import db
    from workshops.places.models import Neighbourhood

    with app.app_context():
        trinitat = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 53))
        make_workshop(titles={"ca": "Mòbil a Trinitat", "es": "", "en": ""},
                      venue=make_venue(neighbourhood=trinitat))
        make_workshop(titles={"ca": "Correu al Raval", "es": "", "en": ""})
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-ES",
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_label("¿Dónde vive?").select_option(label="la Trinitat Nova")
    page.get_by_role("button", name="Mostrar los talleres").click()
    page.wait_for_url("**/workshops?neighbourhood=53")
    results = page.locator(".workshop-card").all_inner_texts()
    context.close()
    assert len(results) == 1 and "Mòbil a Trinitat" in results[0]
    assert "Solo disponible en catalán." in results[0]


def translated(app, language, message):
    from flask_babel import gettext

    with app.test_request_context(f"/?lang={language}"):
        return gettext(message)


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_a_resident_signs_up_on_a_phone_then_cancels_and_the_next_person_gets_the_place(
        live_server, browser, app, language):
    from sqlalchemy import select

    from tests.factories import make_workshop, register
    from workshops.extensions import db
    from workshops.registrations.models import Registration

    with app.app_context():
        workshop_id = make_workshop(capacity=1).id
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  is_mobile=True, locale="ca-ES")
    page = context.new_page()
    page.goto(f"{live_server}/workshops/{workshop_id}?lang={language}")
    page.fill("#name", "Fatima Zahra")
    page.fill("#phone", "612 34 56 78")
    page.select_option("#home_neighbourhood", label="el Raval")
    page.check("#sms_consent")
    page.locator("form.registration-form button[type=submit]").click()
    page.wait_for_url("**/r/*")

    heading = page.locator("#status-heading").inner_text()
    assert heading == translated(app, language, "Your place is confirmed")
    manage_url = page.locator(".manage-url code").inner_text()
    # The form posts to …/register#error-summary and the redirect keeps that fragment.
    assert manage_url.endswith(page.url.split("#")[0].rsplit("/", 1)[1])

    with app.app_context():
        waiting = register(_workshop(workshop_id), "699 99 99 99")
        waiting_id = waiting.id
    page.locator("a[href$='/cancel']").click()
    page.locator("form button.danger").click()
    page.wait_for_url("**/r/*")
    assert page.locator("#status-heading").inner_text() == translated(
        app, language, "This registration is cancelled")
    context.close()

    with app.app_context():
        promoted = db.session.get(Registration, waiting_id)
        assert promoted.status == "confirmed" and promoted.promoted_at is not None
        assert db.session.scalar(select(Registration).where(
            Registration.id != waiting_id)).status == "cancelled"


def _workshop(workshop_id):
    from workshops.catalogue.models import Workshop
    from workshops.extensions import db

    return db.session.get(Workshop, workshop_id)


def test_every_staff_form_field_is_at_least_44_px_tall(live_server, browser, app):
    from tests.factories import DEFAULT_PASSWORD, make_user
    from workshops.accounts.models import Role

    with app.app_context():
        make_user([Role.ORGANISER], email="org@example.org")
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="ca-ES")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#email", "org@example.org")
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.goto(live_server + "/staff/workshops/new")
    heights = page.evaluate("""Array.from(document.querySelectorAll(
        'main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main select,'
        + ' main textarea')).map(e => [e.name, e.getBoundingClientRect().height])""")
    context.close()
    assert heights and [name for name, height in heights if height < 44] == []


def prove_phone_in_browser(page, live_server, app, phone, language):
    """Type the phone on /my-workshops, let the worker text the code, type it back."""
    import re
    from datetime import UTC, datetime

    from tests.conftest import RecordingSender
    from workshops.notifications.worker import send_due

    page.goto(f"{live_server}/my-workshops?lang={language}")
    page.fill("#phone", phone)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my-workshops/code")
    catcher = RecordingSender()
    with app.app_context():
        send_due(catcher, now=datetime.now(UTC))
    code = re.search(r"\b\d{6}\b", catcher.sent[-1][1]).group(0)
    page.fill("#code", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my-workshops/list")


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_a_resident_manages_everything_from_my_workshops_on_a_320_px_phone_without_javascript(
        live_server, browser, app, language):
    from sqlalchemy import select

    from tests.factories import make_workshop, register
    from workshops.extensions import db
    from workshops.registrations.models import Registration, Resident

    with app.app_context():
        summaries = {"ca": "a", "es": "b", "en": "c"}
        full = make_workshop(capacity=1, summaries=summaries,
                             titles={"ca": "Primer", "es": "Primero", "en": "First"})
        other = make_workshop(summaries=summaries,
                              titles={"ca": "Segon", "es": "Segundo", "en": "Second"})
        register(full, "612345678", name="Fatima Zahra")
        register(other, "612345678")
        waiting_id = register(full, "699999999").id
        full_id = full.id
    context = browser.new_context(viewport={"width": 320, "height": 640}, has_touch=True,
                                  is_mobile=True, locale="ca-ES", java_script_enabled=False)
    page = context.new_page()
    widths = {}

    def measure():
        widths[page.url] = page.evaluate("document.documentElement.scrollWidth")

    page.goto(f"{live_server}/my-workshops?lang={language}")
    measure()
    prove_phone_in_browser(page, live_server, app, "612 34 56 78", language)
    measure()
    cards = page.locator("#coming-heading + ul .card").all_inner_texts()
    assert len(cards) == 2 and "Fatima Zahra" in page.content()

    page.get_by_role("link", name=translated(app, language, "Change my details")).click()
    measure()
    page.fill("#name", "Fatima Zahra El Idrissi")
    page.select_option("#home_neighbourhood", label="el Raval")
    page.get_by_role("button", name=translated(app, language, "Save my details")).click()
    page.wait_for_url("**/my-workshops/list")
    assert translated(app, language, "Your details are saved.") in page.content()

    page.locator("a[href*='/registrations/'][href$='/cancel']").first.click()
    measure()
    page.locator("form button.danger").click()
    page.wait_for_url("**/my-workshops/list")
    assert len(page.locator("#coming-heading + ul .card").all()) == 1

    page.get_by_role("link", name=translated(app, language, "Delete my data")).click()
    measure()
    page.get_by_role("button", name=translated(app, language, "Yes, delete my data")).click()
    page.wait_for_url(f"{live_server}/")
    context.close()
    assert widths == {url: 320 for url in widths}

    with app.app_context():
        assert db.session.scalar(select(Resident).where(
            Resident.phone == "+34612345678")) is None
        waiting = db.session.get(Registration, waiting_id)
        assert waiting.status == "confirmed" and waiting.workshop_id == full_id


LANGUAGE_LINKS = {"ca": "Català", "es": "Español", "en": "English"}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_on_a_320_px_phone_when_and_where_come_first_and_a_failed_sign_up_opens_at_its_errors(
        live_server, browser, app, language, javascript):
    from tests.factories import make_workshop
    from tests.test_accessibility import violations

    with app.app_context():
        workshop_id = make_workshop(
            titles={"ca": "Mòbil", "es": "Móvil", "en": "Phone"},
            summaries={"ca": "Trucar.", "es": "Llamar.", "en": "Calling."},
            brings={"ca": "El mòbil.", "es": "El móvil.", "en": "Your phone."}).id
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale=f"{language}-ES",
                                  java_script_enabled=javascript, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/workshops/{workshop_id}?lang={language}")

    def top(selector):
        return page.locator(selector).first.bounding_box()["y"]

    assert top(".session-list li") < top("#name") and top(".venue-address") < top("#name")
    widths = [page.evaluate("document.documentElement.scrollWidth")]

    page.fill("#name", "Núria")
    page.fill("#phone", "12 34")
    page.locator("form.registration-form button[type=submit]").click()
    page.locator("#error-summary").wait_for()
    summary = page.locator("#error-summary").bounding_box()
    assert summary["y"] >= -1 and summary["y"] + 40 <= 640  # its heading is in sight
    if javascript:
        assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith(translated(app, language, "Error:"))
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    if javascript:  # axe runs in the page: the same markup is checked once
        assert violations(page) == []

    # Opened again from the address bar (a GET of the address the failure left there).
    reloaded = page.goto(page.url.split("#")[0])
    assert reloaded.status == 200
    assert (page.input_value("#name"), page.input_value("#phone")) == ("Núria", "12 34")
    other = "es" if language != "es" else "en"
    with page.expect_navigation() as switched:
        page.get_by_role("link", name=LANGUAGE_LINKS[other]).click()
    assert switched.value.status == 200
    assert page.locator("html").get_attribute("lang") == other
    assert (page.input_value("#name"), page.input_value("#phone")) == ("Núria", "12 34")
    assert page.locator("#error-summary").is_visible()
    widths.append(page.evaluate("document.documentElement.scrollWidth"))
    context.close()
    assert widths == [320, 320, 320]
