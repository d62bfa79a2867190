"""A fourth language is one setting and one `make translations`: with LANGUAGES=ca,es,en,fr
and the French catalogue that target creates (in a temporary copy of translations/), the
forms offer French texts, pages are served in French with what nobody translated shown in
another language, and the SMS words fall back to the default language's."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import post_form
from tests.factories import make_topic, make_venue, make_workshop
from workshops.accounts.models import Role
from workshops.catalogue.models import Workshop
from workshops.config import PROJECT_ROOT
from workshops.extensions import db
from workshops.keywords import keyword

WITH_FRENCH = "ca,es,en,fr"


@pytest.fixture(scope="module")
def catalogues_with_french(tmp_path_factory):
    """translations/ copied, then `make translations` run on the copy with French added
    (the install step is taken as done: this suite already runs in the environment)."""
    translations = tmp_path_factory.mktemp("translations")
    shutil.copytree(PROJECT_ROOT / "translations", translations, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.mo"))
    subprocess.run(
        ["make", "--no-print-directory", "-o", "install", "translations", "MAKE=make -o install",
         f"TRANSLATIONS={translations}", f"BIN={Path(sys.executable).parent}"],
        cwd=PROJECT_ROOT, env=os.environ | {"LANGUAGES": WITH_FRENCH}, check=True,
        capture_output=True)
    return translations


@pytest.fixture
def app_config(monkeypatch, catalogues_with_french):
    monkeypatch.setenv("LANGUAGES", WITH_FRENCH)
    return {"BABEL_TRANSLATION_DIRECTORIES": str(catalogues_with_french)}


def test_make_translations_creates_the_french_catalogue_and_only_there(
        catalogues_with_french):
    french = catalogues_with_french / "fr" / "LC_MESSAGES"
    assert (french / "messages.po").exists() and (french / "messages.mo").exists()
    assert not (PROJECT_ROOT / "translations" / "fr").exists()


def test_the_setting_is_the_list_of_languages(app):
    assert app.config["LANGUAGES"] == ("ca", "es", "en", "fr")
    assert app.config["BABEL_DEFAULT_LOCALE"] == "ca"


def test_the_organiser_form_offers_french_texts(app_context, client, auth):
    auth.login_as(Role.ORGANISER)
    page = client.get("/staff/workshops/new").get_data(as_text=True)
    for field in ("w-title_fr", "w-summary_fr", "w-description_fr"):
        assert f'name="{field}"' in page
    assert "Títol en francès" in page and '<div lang="fr">' in page


def test_a_workshop_written_only_in_french_is_saved_and_shown(
        app_context, client, auth, seeded):
    topic, venue = make_topic(), make_venue()
    auth.login_as(Role.ORGANISER)
    response = post_form(client, "/staff/workshops/new", data={
        "w-title_fr": "Mon premier portable", "w-summary_fr": "Appeler et photographier.",
        "w-description_fr": "", "w-level": "beginner", "w-instruction_language": "ca",
        "w-topic": str(topic.id), "w-venue": str(venue.id), "w-capacity": "12",
        "w-public_code": "", "s-repeat": "once", "s-date": "2026-12-01",
        "s-start_time": "10:00", "s-end_time": "12:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    workshop = db.session.query(Workshop).one()
    assert workshop.title_texts == {"fr": "Mon premier portable"}

    catalan = client.get(f"/staff/workshops/{workshop.id}?lang=ca").get_data(as_text=True)
    assert "francès" in catalan  # "Texts in"


def test_french_pages_fall_back_where_nothing_is_translated(app_context, client):
    workshop = make_workshop()
    response = client.get(f"/workshops/{workshop.id}?lang=fr")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr"' in page
    assert "Taller de mòbil" in page and 'lang="ca"' in page
    assert "fallback-note" in page
    assert "Français" in page  # the switcher names it in itself


def test_topic_and_venue_forms_offer_french(app_context, client, auth, seeded):
    auth.login_as(Role.COORDINATOR)
    assert 'name="name_fr"' in client.get("/staff/topics/new").get_data(as_text=True)
    assert 'name="directions_fr"' in client.get("/staff/venues/new").get_data(as_text=True)


def test_french_sms_words_are_the_default_languages(app_context):
    assert keyword("register", "fr") == "ALTA"
    assert keyword("cancel", "fr") == "BAIXA"
