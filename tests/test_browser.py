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


def test_the_home_page_fits_a_320_px_phone_without_sideways_scrolling(live_server, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="ca-ES")
    page = context.new_page()
    page.goto(live_server + "/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert scroll_width <= 320


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
    page.get_by_label("Su barrio").select_option(label="la Trinitat Nova")
    page.get_by_role("button", name="Mostrar los talleres").click()
    page.wait_for_url("**/workshops?neighbourhood=53")
    results = page.locator(".workshop-card").all_inner_texts()
    context.close()
    assert len(results) == 1 and "Mòbil a Trinitat" in results[0]
    assert "Solo disponible en catalán." in results[0]
