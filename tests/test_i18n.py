import pytest

from tests.factories import make_user
from workshops.accounts.models import Role
from workshops.i18n import localized


def html_lang(response):
    html = response.get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_catalan_is_the_default(client, app_context):
    response = client.get("/")
    assert html_lang(response) == "ca"
    assert "Apreneu a fer servir internet, a prop de casa" in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["es", "en", "ca"])
def test_lang_parameter_switches_and_is_remembered(client, app_context, language):
    assert html_lang(client.get(f"/?lang={language}")) == language
    assert html_lang(client.get("/login")) == language


def test_an_unknown_lang_parameter_is_ignored(client, app_context):
    assert html_lang(client.get("/?lang=fr")) == "ca"
    assert "lang=" not in client.get("/?lang=fr").headers.get("Set-Cookie", "")


def test_the_browser_language_is_used_when_nothing_was_chosen(client, app_context):
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,es;q=0.5"})
    assert html_lang(response) == "en"
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert html_lang(response) == "ca"


def test_a_signed_in_user_gets_their_preferred_language(client, auth, app_context):
    make_user([Role.ORGANISER], email="es@example.org", language="es")
    auth.login("es@example.org")
    assert html_lang(client.get("/staff", headers={"Accept-Language": "en"})) == "es"


def test_an_explicit_choice_beats_the_users_preference(client, auth, app_context):
    make_user([Role.ORGANISER], email="es@example.org", language="es")
    auth.login("es@example.org")
    client.get("/?lang=en")
    assert html_lang(client.get("/staff")) == "en"


def test_every_page_has_a_language_switcher_that_keeps_the_page(client, app_context):
    for url in ["/", "/login", "/does-not-exist"]:
        html = client.get(url).get_data(as_text=True)
        path = url.split("?")[0]
        for language in ("ca", "es", "en"):
            assert f'href="{path}?lang={language}"' in html


def test_switcher_keeps_other_query_parameters(client, app_context):
    html = client.get("/login?next=/staff").get_data(as_text=True)
    assert 'href="/login?next=%2Fstaff&amp;lang=en"' in html


@pytest.mark.parametrize("language, heading", [
    ("ca", "No s'ha trobat la pàgina"), ("es", "No se ha encontrado"), ("en", "Page not found"),
])
def test_error_pages_are_translated(client, app_context, language, heading):
    response = client.get(f"/missing?lang={language}")
    assert response.status_code == 404
    assert heading.lower() in response.get_data(as_text=True).lower()


def test_localized_text_falls_back_ca_es_en(app_context):
    texts = {"ca": "", "es": "Hola", "en": "Hello"}
    assert localized(texts, "ca").text == "Hola"
    assert localized(texts, "en").text == "Hello"
    assert localized({"en": "Only English"}, "es").language == "en"
    assert localized({}, "es").text == ""
