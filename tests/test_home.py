"""The site's common parts: every public page's footer, and the accessibility statement."""

import re
from html import unescape

import pytest

from tests.factories import make_workshop, manage_token, register

PUBLIC_PAGES = ["/", "/workshops", "/workshops/{workshop_id}", "/workshops/{workshop_id}/poster",
                "/r/{token}", "/calendars", "/privacy", "/accessibility", "/my-workshops",
                "/login", "/no-such-page"]


@pytest.fixture
def public_urls(seeded):
    workshop = make_workshop()
    token = manage_token(register(workshop, "611111111"))
    return [url.format(workshop_id=workshop.id, token=token) for url in PUBLIC_PAGES]


def footer_of(html: str) -> str:
    return re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S).group(1)


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_every_public_page_has_the_footer_with_statement_privacy_contact_and_open_data(
        client, public_urls, lang):
    missing = {}
    for url in public_urls:
        if url.endswith("/poster"):
            continue  # a printed poster has no footer (its own print stylesheet hides it)
        footer = footer_of(client.get(f"{url}?lang={lang}").get_data(as_text=True))
        wanted = ['href="/accessibility"', 'href="/privacy"', 'href="tel:010"',
                  'href="/open-data/reach.csv"', 'href="/open-data/reach.json"']
        missing[url] = [link for link in wanted if link not in footer]
    assert missing == {url: [] for url in missing}


@pytest.mark.parametrize("lang, hours", [
    ("ca", "De dilluns a divendres, de 9 a 14 h"), ("es", "De lunes a viernes, de 9 a 14 h"),
    ("en", "Monday to Friday, 9 am to 2 pm")])
def test_the_footer_gives_the_contact_phone_and_its_hours_in_the_pages_language(
        client, seeded, lang, hours):
    footer = footer_of(client.get(f"/privacy?lang={lang}").get_data(as_text=True))
    assert '<a href="tel:010">010</a> (' + hours + ")" in footer


def test_the_contact_phone_and_hours_come_from_the_settings(app, client, seeded):
    app.config["CONTACT_PHONE"] = "+34 933 000 000"
    app.config["CONTACT_HOURS"] = {"ca": "Cada dia, de 8 a 20 h", "es": "", "en": ""}
    footer = footer_of(client.get("/accessibility?lang=es").get_data(as_text=True))
    # A language without its own hours shows the first language's.
    assert '<a href="tel:+34933000000">+34 933 000 000</a> (Cada dia, de 8 a 20 h)' in footer


@pytest.mark.parametrize("lang, headings, dates", [
    ("ca", ["Situació de compliment", "Problemes coneguts", "Preparació d'aquesta declaració",
            "Comentaris i contacte", "Procediment d'aplicació"], "6 de desembre del 2026"),
    ("es", ["Situación de cumplimiento", "Problemas conocidos",
            "Preparación de esta declaración", "Observaciones y datos de contacto",
            "Procedimiento de aplicación"], "6 de diciembre de 2026"),
    ("en", ["Compliance status", "Known issues", "Preparation of this statement",
            "Feedback and contact", "Enforcement procedure"], "December 6, 2026"),
])
def test_the_accessibility_statement_has_each_section_the_royal_decree_asks_for(
        client, seeded, lang, headings, dates):
    html = unescape(client.get(f"/accessibility?lang={lang}").get_data(as_text=True))
    assert re.findall(r"<h2 [^>]*>([^<]+)</h2>", html) == headings
    assert "WCAG" in html and "2.2" in html and "1112/2018" in html
    assert html.count(dates) == 2  # prepared and last reviewed
    assert 'href="tel:010"' in html and 'href="mailto:privacitat@example.org"' in html
    known_issues = re.search(r'id="known-issues-heading".*?</section>', html, re.S).group(0)
    assert known_issues.count("<li>") >= 3
