"""Participation certificates: who gets one, from where (My workshops, an SMS, the
facilitator), what it says, one printed A4 page, and /verify."""

import html as html_text
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import TEST_NOW
from tests.factories import (
    DEFAULT_PASSWORD,
    attend,
    make_user,
    make_workshop,
    manage_token,
    mobile,
    register,
)
from tests.test_accessibility import a11y_page, violations  # noqa: F401  (a fixture)
from tests.test_fuzz import FUZZ_SETTINGS, check, odd_text, row_counts
from tests.test_my_workshops import prove_phone_with_client
from tests.test_sms import new_sid, text
from workshops.accounts.models import Role
from workshops.catalogue.local_time import Slot, local_to_utc, to_local
from workshops.extensions import db
from workshops.outcomes import certificates
from workshops.outcomes.models import CODE_ALPHABET, CODE_LENGTH, Certificate
from workshops.registrations.erasure import erase_resident
from workshops.registrations.models import Resident

TITLES = {"ca": "El mòbil pas a pas", "es": "El móvil paso a paso",
          "en": "Your phone, step by step"}
NAME = "Maria del Carme Puig"


def four_sessions(now=TEST_NOW, *, last_days_ago=1, facilitators=()):
    """A published workshop of four two-hour sessions on consecutive days."""
    last_day = to_local(now).date() - timedelta(days=last_days_ago)
    starts = [local_to_utc(last_day - timedelta(days=3 - n), time(10)) for n in range(4)]
    workshop = make_workshop(now=starts[0] - timedelta(days=10), titles=TITLES,
                             summaries=TITLES,
                             slots=[Slot(start, start + timedelta(hours=2)) for start in starts])
    workshop.facilitators = list(facilitators)
    db.session.commit()
    return workshop


def participant(workshop, n, present_at, *, language="ca", name=NAME):
    registration = register(workshop, mobile(n), name=name, preferred_language=language,
                            now=workshop.sessions[0].starts_at - timedelta(days=5))
    for index, session in enumerate(workshop.sessions):
        attend(registration, session, present=index < present_at)
    return registration


@pytest.fixture
def course(app_context, seeded):
    return four_sessions()


def certificate_url(registration):
    return f"/r/{manage_token(registration)}/certificate"


def code_on(html):
    return re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", html).group(0)


def test_three_of_four_sessions_earn_a_certificate_with_everything_on_it(course, client):
    registration = participant(course, 1, present_at=3)
    response = client.get(certificate_url(registration))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in (NAME, TITLES["ca"], course.topic.name("ca").text, course.venue.name,
                  "4 sessions, 8 h", "3 de 4 sessions", "Certificat de participació"):
        assert shown in html
    stored = db.session.scalar(select(Certificate))
    assert code_on(html).replace("-", "") == stored.code
    assert response.headers["Cache-Control"] == "no-store"


def test_the_same_code_is_printed_every_time(course, client):
    registration = participant(course, 1, present_at=4)
    first = code_on(client.get(certificate_url(registration)).get_data(as_text=True))
    again = code_on(client.get(certificate_url(registration)).get_data(as_text=True))
    assert first == again
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


@pytest.mark.parametrize("language, says", [
    ("ca", "Vós hi heu assistit a 2 de 4"), ("es", "Usted ha asistido a 2 de 4"),
    ("en", "You attended 2 of 4")])
def test_below_the_threshold_the_certificate_is_refused_with_a_clear_message(
        course, client, language, says):
    registration = participant(course, 1, present_at=2)
    response = client.get(certificate_url(registration) + f"?lang={language}")
    assert response.status_code == 403
    assert says in response.get_data(as_text=True)
    assert db.session.scalar(select(Certificate)) is None


def test_the_threshold_is_a_setting(course, client, app):
    app.config["CERTIFICATE_MIN_ATTENDANCE"] = 0.5
    registration = participant(course, 1, present_at=2)
    assert client.get(certificate_url(registration)).status_code == 200


def test_there_is_no_certificate_before_the_last_session(app_context, seeded, client):
    workshop = four_sessions(last_days_ago=-1)  # its last session is tomorrow
    registration = participant(workshop, 1, present_at=3)
    response = client.get(certificate_url(registration) + "?lang=en")
    assert response.status_code == 403
    assert "ready from the workshop's last session" in html_text.unescape(
        response.get_data(as_text=True))


def test_the_certificate_is_in_her_language_whatever_the_page_language(course, client):
    registration = participant(course, 1, present_at=4, language="es")
    html = client.get(certificate_url(registration) + "?lang=en").get_data(as_text=True)
    assert "Certificado de participación" in html and TITLES["es"] in html
    assert '<article class="certificate" lang="es">' in html
    assert '<html lang="en">' in html


def test_verify_confirms_a_certificate_with_the_initials_workshop_and_dates_only(course,
                                                                               client):
    registration = participant(course, 1, present_at=4)
    code = code_on(client.get(certificate_url(registration)).get_data(as_text=True))
    response = client.get(f"/verify/{code.lower()}?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This certificate is genuine." in html
    assert "M. D. C. P." in html and TITLES["en"] in html
    for hidden in ("Maria", "Puig", course.venue.name, course.venue.address,
                   registration.resident.phone[-3:], "sessions"):
        assert hidden not in html


def test_verify_says_not_found_for_an_unknown_code(course, client):
    response = client.get("/verify/ABCDE-23456?lang=en")
    assert response.status_code == 404
    assert "We found no certificate with the code" in response.get_data(as_text=True)


def test_the_verify_form_goes_to_the_code_typed(course, client):
    response = client.get("/verify?code=abcde 23456")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/verify/ABCDE23456")


def test_erasure_makes_her_certificates_unverifiable(course, client):
    registration = participant(course, 1, present_at=4)
    code = code_on(client.get(certificate_url(registration)).get_data(as_text=True))
    erase_resident(db.session.get(Resident, registration.resident_id), now=TEST_NOW)
    db.session.commit()
    assert client.get(f"/verify/{code}").status_code == 404


def test_verify_is_rate_limited_per_address(course, client, app):
    app.config["VERIFY_LIMIT_PER_ADDRESS"] = 3
    for _ in range(3):
        assert client.get("/verify/ABCDE23456").status_code == 404
    response = client.get("/verify/ABCDE23456?lang=en")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_codes_are_ten_unambiguous_characters():
    for _ in range(200):
        code = certificates.new_certificate_code()
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set("01ILOU") & set(CODE_ALPHABET)


def test_my_workshops_offers_the_certificate_of_a_workshop_she_attended_enough(course, client):
    enough = participant(course, 1, present_at=3)
    prove_phone_with_client(client, enough.resident.phone)
    overview = client.get("/my-workshops/list").get_data(as_text=True)
    url = f"/my-workshops/registrations/{enough.id}/certificate"
    assert url in overview
    assert NAME in client.get(url).get_data(as_text=True)


def test_my_workshops_offers_no_certificate_below_the_threshold(course, client):
    too_few = participant(course, 1, present_at=1)
    prove_phone_with_client(client, too_few.resident.phone)
    overview = client.get("/my-workshops/list").get_data(as_text=True)
    assert "/certificate" not in overview
    assert client.get(f"/my-workshops/registrations/{too_few.id}/certificate"
                      ).status_code == 403


def test_my_workshops_shows_only_her_own_certificates(course, client):
    mine = participant(course, 1, present_at=4)
    someone_else = participant(course, 2, present_at=4)
    prove_phone_with_client(client, mine.resident.phone)
    assert client.get(f"/my-workshops/registrations/{someone_else.id}/certificate"
                      ).status_code == 404


@pytest.mark.parametrize("word, language, says", [
    ("CERTIFICAT", "ca", "el vostre certificat"), ("certificado", "es", "su certificado"),
    ("Certificate", "en", "your certificate")])
def test_texting_certificate_replies_with_a_personal_link_to_it(course, client, word,
                                                                language, says):
    registration = participant(course, 1, present_at=4)
    _status, reply = text(client, word, sender=registration.resident.phone)
    assert says in reply
    link = re.search(r"http://localhost(/r/[\w-]+/certificate)", reply).group(1)
    assert NAME in client.get(link).get_data(as_text=True)


def test_a_redelivered_certificate_text_gets_a_working_link_again(course, client):
    registration = participant(course, 1, present_at=4)
    sid = new_sid()
    _status, first = text(client, "CERTIFICAT", sender=registration.resident.phone, sid=sid)
    _status, again = text(client, "CERTIFICAT", sender=registration.resident.phone, sid=sid)
    link = re.search(r"http://localhost(/r/[\w-]+/certificate)", again).group(1)
    assert link not in first
    assert NAME in client.get(link).get_data(as_text=True)


def test_texting_certificate_below_the_threshold_says_what_earns_one(course, client):
    registration = participant(course, 1, present_at=2, language="en")
    _status, reply = text(client, "CERTIFICATE", sender=registration.resident.phone)
    assert "no certificate yet" in reply and "75" in reply and "/r/" not in reply


def test_the_facilitator_prints_certificates_from_the_last_sessions_roster(
        app_context, seeded, client, auth):
    facilitator = auth.login_as(Role.FACILITATOR)
    workshop = four_sessions(facilitators=[facilitator])
    enough = participant(workshop, 1, present_at=3)
    participant(workshop, 2, present_at=1, name="Pere")
    roster = client.get(f"/staff/sessions/{workshop.sessions[-1].id}/attendance")
    listing_url = f"/staff/workshops/{workshop.id}/certificates"
    assert listing_url in roster.get_data(as_text=True)
    listing = client.get(listing_url).get_data(as_text=True)
    assert f"/staff/registrations/{enough.id}/certificate" in listing
    assert listing.count("/certificate\"") == 1
    assert NAME in client.get(f"/staff/registrations/{enough.id}/certificate").get_data(
        as_text=True)
    earlier = client.get(f"/staff/sessions/{workshop.sessions[0].id}/attendance")
    assert listing_url not in earlier.get_data(as_text=True)


def test_a_facilitator_of_another_workshop_cannot_print_its_certificates(course, client,
                                                                         auth):
    registration = participant(course, 1, present_at=4)
    auth.login_as(Role.FACILITATOR)
    assert client.get(f"/staff/workshops/{course.id}/certificates").status_code == 403
    assert client.get(f"/staff/registrations/{registration.id}/certificate"
                      ).status_code == 403
    make_user([Role.ORGANISER])


@FUZZ_SETTINGS
@given(code=st.one_of(odd_text, st.text(alphabet=CODE_ALPHABET + "-01 ", max_size=14)))
def test_no_verification_code_reaches_a_5xx(course, client, engine_name, app, code):
    app.config["VERIFY_LIMIT_PER_ADDRESS"] = 10**6
    before = row_counts()
    response = client.get("/verify/" + code.replace("/", "_").replace("?", "_") or "x")
    check(response, before, engine_name, code, may_still_write={"rate_limit_hit"})
    response = client.get("/verify", query_string={"code": code})
    check(response, before, engine_name, code, may_still_write={"rate_limit_hit"})


@pytest.mark.browser
def test_a_certificate_prints_on_one_a4_page(app, live_server, page):
    now = datetime.now(UTC)
    with app.app_context():
        workshop = four_sessions(now)
        workshop.venue.name = "Centre Cívic " + "Torre Baró " * 6
        registration = participant(workshop, 1, present_at=4,
                                   name="Maria del Carme Puig i " + "Fontanals " * 6)
        url = live_server + certificate_url(registration)
    page.goto(url)
    assert page.locator(".certificate-code").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1


@pytest.mark.browser
def test_certificate_and_verify_pages_have_no_accessibility_violations(app, live_server,
                                                                       a11y_page):  # noqa: F811  (the fixture imported above)
    now = datetime.now(UTC)
    with app.app_context():
        workshop = four_sessions(now)
        facilitator = make_user([Role.FACILITATOR], email="facilitator@example.org")
        workshop.facilitators = [facilitator]
        db.session.commit()
        enough = certificate_url(participant(workshop, 1, present_at=4))
        too_few = certificate_url(participant(workshop, 2, present_at=1))
        workshop_id = workshop.id
    found = {}
    a11y_page.goto(live_server + enough)
    code = code_on(a11y_page.content())
    for url in (enough, too_few, "/verify", f"/verify/{code}", "/verify/ABCDE23456"):
        a11y_page.goto(live_server + url)
        found[url] = violations(a11y_page)
    a11y_page.goto(live_server + "/login")
    a11y_page.fill("#email", "facilitator@example.org")
    a11y_page.fill("#password", DEFAULT_PASSWORD)
    a11y_page.locator("form.form button[type=submit]").click()
    a11y_page.wait_for_url("**/staff/attendance")
    staff_list = f"/staff/workshops/{workshop_id}/certificates"
    a11y_page.goto(live_server + staff_list)
    found[staff_list] = violations(a11y_page)
    assert found == {url: [] for url in found}


@FUZZ_SETTINGS
@given(token=odd_text)
def test_no_personal_link_to_a_certificate_reaches_a_5xx(course, client, engine_name, token):
    before = row_counts()
    response = client.get(f"/r/{token.replace('/', '_').replace('?', '_') or 'x'}/certificate")
    check(response, before, engine_name, token)
    assert response.status_code != 200  # 404, or 400 (NUL), or 308 (a path to normalise)
