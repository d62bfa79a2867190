""""My workshops": a resident proves her phone with a code sent by SMS and manages all her
registrations, her details, her consent and her data; the first text to a new number says
who we are."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import RecordingSender, csrf_fields_from
from tests.factories import make_workshop, mobile, register
from tests.test_privacy import RecordingHttpClient, scan
from tests.test_sms import text
from workshops.extensions import db
from workshops.my.models import PhoneCode
from workshops.notifications.models import MessageKind, OutboxMessage, OutboxStatus
from workshops.notifications.worker import send_due
from workshops.places.models import Neighbourhood
from workshops.registrations.models import Registration, RegistrationStatus, Resident
from workshops.sms.senders import make_sender

PHONE = mobile(7)  # 600000007
E164 = "+34" + PHONE
SUMMARIES = {"ca": "a", "es": "b", "en": "c"}


@pytest.fixture
def twilio(app):
    """The worker's sender: the real Twilio client, recording instead of sending."""
    app.config["SMS_BACKEND"] = "twilio"
    http = RecordingHttpClient()
    return make_sender(app, http), http


def deliver(twilio) -> list[dict]:
    """Run the worker until nothing is due; the texts it sent, as Twilio got them."""
    sender, http = twilio
    before = len(http.requests)
    while send_due(sender, now=datetime.now(UTC)).sent:
        pass
    db.session.rollback()
    return http.requests[before:]


def is_code(message: dict) -> bool:
    return any(name in message["Body"]
               for name in ("My workshops", "Els meus tallers", "Mis talleres"))


def code_in(sent: list[dict]) -> str:
    (body,) = [m["Body"] for m in sent if is_code(m)]
    return re.search(r"\b\d{6}\b", body).group(0)


def ask_for_code(client, phone=PHONE, language="en"):
    page = client.get(f"/my-workshops?lang={language}")
    return client.post("/my-workshops", data={**csrf_fields_from(page.get_data(as_text=True)),
                                              "phone": phone})


def enter(client, code):
    page = client.get("/my-workshops/code")
    return client.post("/my-workshops/code", data={
        **csrf_fields_from(page.get_data(as_text=True)), "code": code})


def sign_in(client, twilio, phone=PHONE):
    ask_for_code(client, phone)
    response = enter(client, code_in(deliver(twilio)))
    assert response.status_code == 303 and response.location.endswith("/my-workshops/list")
    return client.get("/my-workshops/list")


def post_on(client, page_url, action_url, **fields):
    page = client.get(page_url)
    return client.post(action_url, data={**csrf_fields_from(page.get_data(as_text=True)),
                                         **fields})


@pytest.fixture
def two_places(app_context, seeded):
    first = make_workshop(capacity=1, titles={"ca": "Primer", "es": "Primero", "en": "First"},
                          summaries=SUMMARIES)
    second = make_workshop(capacity=5, titles={"ca": "Segon", "es": "Segundo", "en": "Second"},
                           summaries=SUMMARIES)
    register(first, PHONE, name="Núria Soler")
    register(second, PHONE)
    return first, second


def prove_phone_with_client(client, phone):
    """The same with Flask's test client, for tests without a browser."""
    page = client.get("/my-workshops")
    client.post("/my-workshops", data={**csrf_fields_from(page.get_data(as_text=True)),
                                       "phone": phone})
    catcher = RecordingSender()
    send_due(catcher, now=datetime.now(UTC))
    code = re.search(r"\b\d{6}\b", catcher.sent[-1][1]).group(0)
    page = client.get("/my-workshops/code")
    response = client.post("/my-workshops/code", data={
        **csrf_fields_from(page.get_data(as_text=True)), "code": code})
    assert response.status_code == 303, response.get_data(as_text=True)


# Proving the phone


def test_a_code_sent_by_sms_opens_all_her_registrations(client, twilio, two_places):
    page = sign_in(client, twilio)
    html = page.get_data(as_text=True)
    assert "First" in html and "Second" in html and "Núria Soler" in html
    assert "••• ••• 007" in html and PHONE not in html
    assert page.headers["Cache-Control"] == "no-store"


def test_an_unknown_number_gets_the_same_answer_and_no_text(client, twilio, two_places):
    known = ask_for_code(client, PHONE)
    known_page = client.get(known.location).get_data(as_text=True)
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
    unknown = ask_for_code(client, "+34611223344")
    unknown_page = client.get(unknown.location).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 303
    assert known.location == unknown.location
    strip = re.compile(r'value="[^"]+"|••• ••• \d{3}')
    assert strip.sub("", known_page) == strip.sub("", unknown_page)
    sent = deliver(twilio)
    assert [m["To"] for m in sent if is_code(m)] == [E164]
    assert db.session.scalar(select(func.count()).select_from(PhoneCode)) == 1


def test_a_phone_that_sent_stop_gets_no_code_until_it_sends_start(client, twilio, two_places):
    text(client, "STOP", sender=E164)
    ask_for_code(client)
    assert deliver(twilio) == []
    text(client, "START", sender=E164)
    ask_for_code(client)
    assert code_in(deliver(twilio))


def test_the_code_is_kept_only_as_a_hash(client, twilio, two_places):
    ask_for_code(client)
    code = code_in(deliver(twilio))
    stored = db.session.scalar(select(PhoneCode))
    assert stored.code_hash and code not in stored.code_hash
    assert not [hit for hit in scan([code]) if "code" in hit[0] or "body" in hit[0]]
    logged = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.PHONE_CODE))
    assert logged.status == OutboxStatus.SENT and "••••••" in logged.body
    assert not [hit for hit in scan([E164]) if hit[0].startswith("phone_code")]


def test_a_code_expires_ten_minutes_after_it_was_sent(client, twilio, two_places, clock):
    ask_for_code(client)
    code = code_in(deliver(twilio))
    clock.shift(timedelta(minutes=10, seconds=1))
    response = enter(client, code)
    assert response.status_code == 422
    assert "no longer valid" in response.get_data(as_text=True)
    assert client.get("/my-workshops/list").status_code == 303


def test_after_five_wrong_tries_even_the_right_code_is_refused(client, twilio, two_places):
    ask_for_code(client)
    code = code_in(deliver(twilio))
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(5):
        assert enter(client, wrong).status_code == 422
    assert enter(client, code).status_code == 422
    assert db.session.scalar(select(PhoneCode)).attempts == 5


def test_only_the_latest_code_counts(client, twilio, two_places):
    ask_for_code(client)
    first = code_in(deliver(twilio))
    ask_for_code(client)
    second = code_in(deliver(twilio))
    if first != second:
        assert enter(client, first).status_code == 422
    assert enter(client, second).status_code == 303


def test_a_code_typed_with_spaces_or_other_digits_is_understood(client, twilio, two_places):
    ask_for_code(client)
    code = code_in(deliver(twilio))
    fullwidth = str.maketrans("0123456789", "０１２３４５６７８９")
    spaced = f" {code[:3]} {code[3:]} ".translate(fullwidth)
    assert enter(client, spaced).status_code == 303


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567", "12 34 5x"])
def test_a_code_that_cannot_be_one_is_refused_with_a_clear_message(client, twilio, two_places,
                                                                   typed):
    ask_for_code(client)
    deliver(twilio)
    response = enter(client, typed)
    assert response.status_code == 422
    assert client.get("/my-workshops/list").status_code == 303


def test_a_phone_gets_three_codes_an_hour(client, twilio, two_places):
    for _ in range(3):
        assert ask_for_code(client).status_code == 303
    refused = ask_for_code(client)
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    assert len([m for m in deliver(twilio) if is_code(m)]) == 3


def test_an_unknown_number_is_limited_like_a_known_one(client, twilio, two_places):
    for _ in range(3):
        assert ask_for_code(client, "+34611223344").status_code == 303
    assert ask_for_code(client, "+34611223344").status_code == 429


def test_a_number_that_is_not_a_phone_keeps_what_was_typed(client, two_places):
    response = ask_for_code(client, "12ab")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="12ab"' in html
    assert "does not look like a phone number" in html


def test_without_a_proof_her_pages_send_her_to_prove_it(client, two_places):
    for url in ["/my-workshops/list", "/my-workshops/details", "/my-workshops/delete"]:
        response = client.get(url)
        assert response.status_code == 303 and response.location.endswith("/my-workshops")
    assert client.get("/my-workshops/code").location.endswith("/my-workshops")


def test_a_proof_lasts_thirty_minutes(client, twilio, two_places, clock):
    sign_in(client, twilio)
    clock.shift(timedelta(minutes=29))
    assert client.get("/my-workshops/list").status_code == 200
    clock.shift(timedelta(minutes=2))
    assert client.get("/my-workshops/list").status_code == 303


def test_leaving_ends_the_proof(client, twilio, two_places):
    sign_in(client, twilio)
    post_on(client, "/my-workshops/list", "/my-workshops/sign-out")
    assert client.get("/my-workshops/list").status_code == 303


@pytest.mark.parametrize("language, heading", [("ca", "Els meus tallers"),
                                               ("es", "Mis talleres"),
                                               ("en", "My workshops")])
def test_the_pages_speak_her_language(client, twilio, two_places, language, heading):
    assert heading in client.get(f"/my-workshops?lang={language}").get_data(as_text=True)
    ask_for_code(client, language=language)
    enter(client, code_in(deliver(twilio)))
    assert heading in client.get("/my-workshops/list").get_data(as_text=True)


# What she can do once proved


def test_she_cancels_a_place_and_the_next_person_gets_it(client, twilio, two_places):
    first, _second = two_places
    waiting = register(first, mobile(8))
    sign_in(client, twilio)
    mine = db.session.scalar(select(Registration).where(
        Registration.workshop_id == first.id, Registration.status == "confirmed"))
    url = f"/my-workshops/registrations/{mine.id}/cancel"
    assert post_on(client, url, url).location.endswith("/my-workshops/list")
    db.session.rollback()
    assert db.session.get(Registration, mine.id).status == RegistrationStatus.CANCELLED
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.CONFIRMED


def test_she_cannot_reach_someone_elses_registration(client, twilio, two_places):
    first, _second = two_places
    other = register(first, mobile(8))
    sign_in(client, twilio)
    url = f"/my-workshops/registrations/{other.id}/cancel"
    assert client.get(url).status_code == 404
    mine = client.get("/my-workshops/list")
    assert client.post(url, data=csrf_fields_from(mine.get_data(as_text=True))).status_code \
        == 404
    db.session.rollback()
    assert db.session.get(Registration, other.id).status == RegistrationStatus.WAITLISTED


def test_she_corrects_her_details_and_may_take_back_her_email(client, twilio, two_places):
    her = db.session.scalar(select(Resident).where(Resident.phone == E164))
    her.email = "nuria@example.org"
    db.session.commit()
    neighbourhood = db.session.scalars(select(Neighbourhood)).first()
    sign_in(client, twilio)
    response = post_on(client, "/my-workshops/details", "/my-workshops/details",
                       name="Núria Soler i Puig", home_neighbourhood=str(neighbourhood.id),
                       preferred_language="es", email="", age_band="65-74", gender="woman")
    assert response.status_code == 303
    db.session.rollback()
    her = db.session.scalar(select(Resident).where(Resident.phone == E164))
    assert (her.name, her.email, her.home_neighbourhood_id, her.preferred_language,
            her.age_band, her.gender) == ("Núria Soler i Puig", "", neighbourhood.id, "es",
                                          "65-74", "woman")


def test_a_details_form_with_a_mistake_keeps_what_she_typed_and_changes_nothing(
        client, twilio, two_places):
    sign_in(client, twilio)
    response = post_on(client, "/my-workshops/details", "/my-workshops/details",
                       name="Núria Nova", home_neighbourhood="", preferred_language="ca",
                       email="not-an-email", age_band="", gender="unsaid")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="Núria Nova"' in html
    assert "Enter a valid email address" in html
    db.session.rollback()
    assert db.session.scalar(select(Resident).where(Resident.phone == E164)).name \
        == "Núria Soler"


def test_she_withdraws_and_gives_back_her_sms_consent(client, twilio, two_places):
    sign_in(client, twilio)
    post_on(client, "/my-workshops/list", "/my-workshops/sms", consent="0")
    db.session.rollback()
    her = db.session.scalar(select(Resident).where(Resident.phone == E164))
    assert not her.sms_consent
    assert not db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.resident_id == her.id, OutboxMessage.status == "pending")).all()
    post_on(client, "/my-workshops/list", "/my-workshops/sms", consent="1")
    db.session.rollback()
    assert db.session.get(Resident, her.id).sms_consent


def test_the_web_cannot_undo_a_stop_sent_by_sms(client, twilio, two_places):
    sign_in(client, twilio)
    text(client, "STOP", sender=E164)
    response = post_on(client, "/my-workshops/list", "/my-workshops/sms", consent="1")
    assert response.status_code == 303
    assert "send START" in client.get("/my-workshops/list").get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(Resident).where(Resident.phone == E164)).sms_opted_out


def test_she_deletes_her_data_and_nothing_of_her_is_left(client, twilio, two_places):
    first, _second = two_places
    waiting = register(first, mobile(8))
    sign_in(client, twilio)
    response = post_on(client, "/my-workshops/delete", "/my-workshops/delete")
    assert response.status_code == 303
    assert scan([E164, "Núria Soler"]) == set()
    assert db.session.scalar(select(func.count()).select_from(PhoneCode)) == 0
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.CONFIRMED
    assert client.get("/my-workshops/list").status_code == 303


# The first text to a number that never texted us


def test_the_first_text_to_a_web_number_introduces_the_programme_once(client, twilio,
                                                                       two_places):
    sent = deliver(twilio)
    assert [m["To"] for m in sent] == [E164] * 3  # introduction, then two confirmations
    assert "Responeu STOP" in sent[0]["Body"] and "Ajuntament de Barcelona" in sent[0]["Body"]
    first, _second = two_places
    register(first, mobile(9), preferred_language="en")
    later = deliver(twilio)
    assert len(later) == 2 and "Reply STOP" in later[0]["Body"]
    assert "Barcelona City Council" in later[0]["Body"]
    ask_for_code(client)
    assert ["STOP" not in m["Body"] for m in deliver(twilio)] == [True]
    logged = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.INTRODUCTION)).all()
    assert len(logged) == 2 and all(m.status == OutboxStatus.SENT for m in logged)


def test_a_number_that_texted_us_first_needs_no_introduction(client, twilio, two_places):
    first, _second = two_places
    text(client, f"JOIN {first.public_code}", sender="+34600000011")
    assert not [m for m in deliver(twilio) if m["To"] == "+34600000011"]
    register(_second, "600000011")
    sent = [m for m in deliver(twilio) if m["To"] == "+34600000011"]
    assert len(sent) == 1 and "STOP" not in sent[0]["Body"]
