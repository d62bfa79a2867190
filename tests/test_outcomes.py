"""The follow-up question by SMS after a workshop: who gets it, when (quiet hours), its
text in each language, the answers residents text back, and the outcome figures."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import TEST_CONFIG, TEST_NOW, RecordingSender, post_form
from tests.factories import (
    DEFAULT_PASSWORD,
    attend,
    make_topic,
    make_user,
    make_venue,
    make_workshop,
    mobile,
    register,
)
from tests.test_accessibility import a11y_page, violations  # noqa: F401  (a fixture)
from tests.test_fuzz import FUZZ_SETTINGS, check, odd_text, row_counts
from tests.test_sms import new_sid, signed_post, text
from workshops.accounts.models import Role
from workshops.catalogue.forms import FOLLOW_UP_QUESTION_MAX
from workshops.catalogue.local_time import Slot, local_to_utc, to_local
from workshops.clock import LOCAL_TIME_ZONE
from workshops.extensions import db
from workshops.notifications import texts
from workshops.notifications.models import MessageKind, OutboxMessage, OutboxStatus
from workshops.notifications.segments import segments
from workshops.notifications.worker import send_due
from workshops.outcomes import follow_ups
from workshops.outcomes.models import FollowUp
from workshops.places.models import Neighbourhood
from workshops.reach import disclosure
from workshops.reach.exports import open_records, records
from workshops.reach.queries import BY_HOME, BY_VENUE, ReachFilters, reach
from workshops.registrations.erasure import erase_resident
from workshops.registrations.models import Channel, Resident
from workshops.sms.inbound import handle

TITLES = {"ca": "El mòbil pas a pas", "es": "El móvil paso a paso",
          "en": "Your phone, step by step"}


def finished_course(*, sessions=2, ended_days_ago=1, topic=None, venue=None):
    """A published workshop of `sessions` two-hour sessions on consecutive days, the last
    `ended_days_ago` days before today (Barcelona)."""
    last_day = to_local(TEST_NOW).date() - timedelta(days=ended_days_ago)
    starts = [local_to_utc(last_day - timedelta(days=sessions - 1 - n), time(10))
              for n in range(sessions)]
    extra = {"topic": topic} if topic else {}
    if venue:
        extra["venue"] = venue
    return make_workshop(now=starts[0] - timedelta(days=10), titles=TITLES, summaries=TITLES,
                         slots=[Slot(start, start + timedelta(hours=2)) for start in starts],
                         **extra)


def attendee(workshop, n, *, present=True, channel=Channel.WEB, **details):
    registration = register(workshop, mobile(n), channel=channel,
                            now=workshop.sessions[0].starts_at - timedelta(days=5), **details)
    for session in workshop.sessions:
        attend(registration, session, present=present)
    return registration


def questions_sent(sender):
    return [(to, body) for to, body in sender.sent if "1" in body and "3" in body]


def send_all(now):
    sender = RecordingSender()
    send_due(sender, now=now)
    db.session.commit()
    return sender


def ask(now=TEST_NOW):
    result = follow_ups.schedule(now=now)
    db.session.commit()
    return result


@pytest.fixture
def course(app_context, seeded):
    return finished_course()


def test_the_question_goes_once_to_each_attendee_who_agreed_and_never_to_absent_or_opted_out_people(
        course, client):
    came = attendee(course, 1)
    absent = attendee(course, 2, present=False)
    opted_out = attendee(course, 3)
    no_consent = attendee(course, 4, sms_consent=False)
    text(client, "STOP", sender=f"+34{mobile(3)}")

    assert ask() == (1, 0)
    assert ask() == (0, 0)  # once per registration, however often the worker looks
    sender = send_all(TEST_NOW)
    assert send_all(TEST_NOW + timedelta(hours=1)).sent == []

    assert [to for to, _body in questions_sent(sender)] == [came.resident.phone]
    told = {to for to, _body in sender.sent}
    assert not told & {absent.resident.phone, opted_out.resident.phone,
                       no_consent.resident.phone}
    follow_up = db.session.scalar(select(FollowUp))
    assert (follow_up.registration_id, follow_up.sent_at) == (came.id, TEST_NOW)


def test_the_follow_ups_command_queues_the_questions_due(course, runner):
    attendee(course, 1)
    result = runner.invoke(args=["sms", "follow-ups"])
    assert result.exit_code == 0, result.output
    assert "1 follow-up questions and 0 reminders queued" in result.output
    assert db.session.scalar(select(OutboxMessage.kind).where(
        OutboxMessage.kind == MessageKind.FOLLOW_UP)) == MessageKind.FOLLOW_UP


def test_the_question_waits_for_the_day_after_the_last_session(app_context, seeded):
    today = finished_course(ended_days_ago=0)
    attendee(today, 1)
    long_ago = finished_course(ended_days_ago=follow_ups.CATCH_UP_DAYS + 1)
    attendee(long_ago, 2)

    assert ask() == (0, 0)
    assert ask(TEST_NOW + timedelta(days=1)) == (1, 0)


@pytest.mark.parametrize("local_hour, minute, waits_until_day", [(8, 30, 0), (21, 30, 1)])
def test_the_question_is_not_sent_in_the_quiet_hours(course, clock, local_hour, minute,
                                                     waits_until_day):
    attendee(course, 1)
    day = to_local(TEST_NOW).date()
    quiet = datetime.combine(day, time(local_hour, minute), tzinfo=LOCAL_TIME_ZONE)
    clock.move_to(quiet)
    now = quiet.astimezone(UTC)
    ask(now)

    assert questions_sent(send_all(now)) == []
    opening = datetime.combine(day + timedelta(days=waits_until_day), time(9),
                               tzinfo=LOCAL_TIME_ZONE).astimezone(UTC)
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.FOLLOW_UP))
    assert message.send_after == opening
    assert questions_sent(send_all(opening - timedelta(minutes=1))) == []
    assert len(questions_sent(send_all(opening))) == 1


def test_a_retry_that_falls_in_the_quiet_hours_waits_for_the_morning(course):
    registration = attendee(course, 1)
    ask()
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id,
        OutboxMessage.kind == MessageKind.FOLLOW_UP))
    night = datetime.combine(to_local(TEST_NOW).date(), time(23), tzinfo=LOCAL_TIME_ZONE)
    message.send_after = night.astimezone(UTC)
    db.session.commit()

    assert send_all(night.astimezone(UTC)).sent == []
    assert message.status == OutboxStatus.PENDING
    assert to_local(message.send_after).time() == time(9)


def test_codes_and_confirmations_go_at_once_whatever_the_hour(app_context, seeded):
    upcoming = make_workshop(now=TEST_NOW)
    night = datetime.combine(to_local(TEST_NOW).date(), time(23, 30),
                             tzinfo=LOCAL_TIME_ZONE).astimezone(UTC)
    register(upcoming, mobile(1), now=night)
    assert len(send_all(night).sent) == 2  # who we are, then the confirmation


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_the_question_is_in_her_language_and_fits_in_two_texts(course, language):
    attendee(course, 1, preferred_language=language)
    ask()
    [(_to, body)] = questions_sent(send_all(TEST_NOW))
    assert TITLES[language] in body
    expected = {"ca": "Responeu 1", "es": "Responda 1", "en": "Reply 1"}[language]
    assert expected in body
    assert segments(body) <= 2


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_the_topics_own_question_of_the_longest_length_fits_in_two_texts(
        app_context, seeded, language):
    question = "Ç" * FOLLOW_UP_QUESTION_MAX  # UCS-2: 70 characters a segment
    course = finished_course(topic=make_topic(follow_up_question_texts={language: question}))
    attendee(course, 1, preferred_language=language)
    ask()
    [(_to, body)] = questions_sent(send_all(TEST_NOW))
    assert question in body
    assert segments(body) <= 2


def test_a_language_the_topic_has_no_question_in_gets_the_default_one(app_context, seeded):
    course = finished_course(topic=make_topic(
        follow_up_question_texts={"ca": "Ja feu videotrucades pel vostre compte?"}))
    attendee(course, 1, preferred_language="ca")
    attendee(course, 2, preferred_language="es")
    ask()
    bodies = dict(questions_sent(send_all(TEST_NOW)))
    assert "Ja feu videotrucades" in bodies[f"+34{mobile(1)}"]
    assert TITLES["es"] in bodies[f"+34{mobile(2)}"]


def test_an_unanswered_question_is_asked_again_once(course):
    attendee(course, 1)
    ask()
    send_all(TEST_NOW)
    assert ask(TEST_NOW + timedelta(days=2)) == (0, 0)
    three_days = TEST_NOW + follow_ups.CHASE_AFTER
    assert ask(three_days) == (0, 1)
    assert ask(three_days + timedelta(days=1)) == (0, 0)
    again = questions_sent(send_all(three_days))
    assert len(again) == 1 and "Recordatori" in again[0][1]
    assert ask(three_days + timedelta(days=5)) == (0, 0)


def test_an_answered_question_is_not_asked_again(course, client):
    registration = attendee(course, 1)
    ask()
    send_all(TEST_NOW)
    text(client, "1", sender=registration.resident.phone)
    assert ask(TEST_NOW + follow_ups.CHASE_AFTER) == (0, 0)


ANSWERS = [("1", 1), ("2", 2), ("3", 3), ("Sí", 1), ("si!", 1), ("YES", 1), ("Yes.", 1),
           ("en part", 2), ("En parte", 2), ("partly", 2), ("Encara no", 3),
           ("todavía no", 3), ("aún no", 3), ("Not yet", 3), ("no", 3), ("١", 1)]


@pytest.mark.parametrize("body, answer", ANSWERS)
def test_answers_are_recorded_in_each_language(course, client, body, answer):
    registration = attendee(course, 1, preferred_language="es")
    ask()
    send_all(TEST_NOW)
    status, reply = text(client, body, sender=registration.resident.phone)
    assert status == 200
    assert db.session.scalar(select(FollowUp.answer)) == answer
    assert "gracias" in reply.casefold()
    assert registration.resident.preferred_language == "es"  # "YES" is no language choice


def test_a_digit_without_a_question_gets_the_help(course, client):
    registration = attendee(course, 1)
    _status, reply = text(client, "1", sender=registration.resident.phone)
    assert "ALTA 123" in reply
    assert db.session.scalar(select(FollowUp)) is None


def answer(registration, body, now):
    reply = handle(new_sid(), registration.resident.phone, body, now=now)
    db.session.commit()
    return reply


def test_a_second_reply_within_seven_days_replaces_the_first(course):
    registration = attendee(course, 1, preferred_language="en")
    ask()
    send_all(TEST_NOW)
    answer(registration, "3", TEST_NOW + timedelta(hours=1))
    reply = answer(registration, "1", TEST_NOW + timedelta(days=6))
    follow_up = db.session.scalar(select(FollowUp))
    assert follow_up.answer == 1
    assert follow_up.answered_at == TEST_NOW + timedelta(hours=1)
    assert "Yes" in reply


def test_a_reply_more_than_seven_days_after_the_first_changes_nothing(course):
    registration = attendee(course, 1, preferred_language="en")
    ask()
    send_all(TEST_NOW)
    answer(registration, "3", TEST_NOW + timedelta(hours=1))
    reply = answer(registration, "1", TEST_NOW + timedelta(days=8, hours=2))
    assert db.session.scalar(select(FollowUp.answer)) == 3
    assert "already have your answer" in reply


def test_replies_are_answers_for_fourteen_days_only(course, client):
    registration = attendee(course, 1)
    ask()
    send_all(TEST_NOW)
    answer(registration, "2", TEST_NOW + follow_ups.OPEN_FOR + timedelta(minutes=1))
    assert db.session.scalar(select(FollowUp.answer)) is None


def test_erasure_keeps_the_anonymous_answer(course):
    registration = attendee(course, 1)
    ask()
    send_all(TEST_NOW)
    answer(registration, "2", TEST_NOW + timedelta(hours=1))
    erase_resident(db.session.get(Resident, registration.resident_id), now=TEST_NOW)
    db.session.commit()
    assert db.session.scalar(select(FollowUp.answer)) == 2
    assert db.session.scalar(select(OutboxMessage)) is None


@pytest.mark.parametrize("language", ["ca", "es", "en"])
def test_every_reply_about_answers_fits_in_two_texts(app_context, language):
    from flask_babel import force_locale

    from workshops.outcomes.models import ANSWER_LABELS
    with force_locale(language):
        for label in ANSWER_LABELS.values():
            body = texts.render(language, lambda: "thank you for your answer: %(answer)s.",
                                answer=str(label))
            assert segments(body) == 1


@FUZZ_SETTINGS
@given(body=st.one_of(odd_text, st.sampled_from([b for b, _a in ANSWERS]),
                      st.text(alphabet="123 .!SINOYEStpartly", max_size=12)))
def test_no_reply_to_the_question_reaches_a_5xx(course, client, engine_name, body):
    if db.session.scalar(select(FollowUp)) is None:
        attendee(course, 1)
        ask()
        send_all(TEST_NOW)
    phone = db.session.scalar(select(Resident.phone).where(Resident.phone.is_not(None)))
    before = row_counts()
    response = signed_post(client, "/sms/inbound", {
        "MessageSid": new_sid(), "From": phone, "To": TEST_CONFIG["TWILIO_FROM_NUMBER"],
        "Body": body, "NumMedia": "0"})
    check(response, before, engine_name, body)
    assert db.session.scalar(select(FollowUp.answer)) in (None, 1, 2, 3)


# The outcome figures on /reach and in the open data


def period():
    today = to_local(TEST_NOW).date()
    return ReachFilters(date_from=today - timedelta(days=30), date_to=today)


@pytest.fixture
def answered(app_context, seeded):
    """Two workshops in two districts, two topics; 7 questions sent, 5 answered:
    Alfa (district of the first venue): web 1, 1, 2, sms 3 and one unanswered;
    Bravo: web 1 answered, web one unanswered."""
    neighbourhoods = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.code)).all()
    alfa_place = neighbourhoods[0]
    bravo_place = next(n for n in neighbourhoods if n.district_id != alfa_place.district_id)
    alfa = finished_course(venue=make_venue(neighbourhood=alfa_place))
    bravo = finished_course(venue=make_venue(neighbourhood=bravo_place))
    people = [(alfa, Channel.WEB, "1"), (alfa, Channel.WEB, "1"), (alfa, Channel.WEB, "2"),
              (alfa, Channel.SMS, "3"), (alfa, Channel.WEB, None),
              (bravo, Channel.WEB, "yes"), (bravo, Channel.WEB, None)]
    registrations = [attendee(workshop, n, channel=channel)
                     for n, (workshop, channel, _reply) in enumerate(people, start=1)]
    attendee(alfa, 99, present=False)  # absent: never asked
    ask()
    send_all(TEST_NOW)
    for registration, (_workshop, _channel, reply) in zip(registrations, people, strict=True):
        if reply:
            answer(registration, reply, TEST_NOW + timedelta(hours=1))
    return {"alfa": alfa, "bravo": bravo}


def test_the_outcome_figures_match_a_count_by_hand(answered):
    result = reach(period(), now=TEST_NOW + timedelta(hours=2))
    city = result.city.figures
    assert (city.follow_up_asked, city.follow_up_answers) == (7, 5)
    assert (city.answered_yes, city.answered_partly, city.answered_not_yet) == (3, 1, 1)
    assert city.follow_up_rate == pytest.approx(5 / 7)
    assert city.answered_yes_share == pytest.approx(3 / 5)
    alfa_venue, bravo_venue = answered["alfa"].venue, answered["bravo"].venue
    places = {p.code: p.figures for p in result.neighbourhoods}
    alfa = places[str(alfa_venue.neighbourhood.code)]
    bravo = places[str(bravo_venue.neighbourhood.code)]
    assert (alfa.follow_up_asked, alfa.follow_up_answers, alfa.answered_yes) == (5, 4, 2)
    assert (bravo.follow_up_asked, bravo.follow_up_answers, bravo.answered_yes) == (2, 1, 1)
    districts = {d.code: d.figures for d in result.districts}
    assert districts[alfa_venue.neighbourhood.district.code].follow_up_answers == 4
    assert districts[bravo_venue.neighbourhood.district.code].follow_up_rate == 0.5
    by_channel = dict(result.outcomes["channel"])
    assert (by_channel["web"].follow_up_asked, by_channel["web"].follow_up_answers) == (6, 4)
    assert by_channel["sms"].answered_not_yet_share == 1
    by_topic = dict(result.outcomes["topic"])
    assert by_topic[str(answered["alfa"].topic_id)].answered_partly == 1
    assert sum(f.follow_up_asked for f in by_topic.values()) == 7


def test_filters_narrow_the_outcome_figures_too(answered):
    result = reach(replace(period(), channel="sms"), now=TEST_NOW + timedelta(hours=2))
    assert (result.city.figures.follow_up_asked, result.city.figures.answered_not_yet) == (1, 1)


def test_coordinators_see_the_outcomes_section(answered, client, auth):
    auth.login_as(Role.COORDINATOR)
    html = client.get("/reach?lang=en").get_data(as_text=True)
    start = html.index('id="outcomes"')
    section = html[start:html.index('id="definitions-heading"', start)]
    assert "Answers by district" in section and "Answers by channel of registration" in section
    assert "71.4%" in section  # 5 answers to 7 questions
    assert "60.0%" in section  # 3 of 5 answered yes
    assert "Follow-up question" in html[html.index('id="definitions-heading"'):]


def test_the_coordinators_json_has_the_outcomes_by_topic_and_channel(answered, client, auth):
    auth.login_as(Role.COORDINATOR)
    document = client.get("/reach.json").get_json()
    by_channel = {row["key"]: row for row in document["outcomes"]["channel"]}
    assert by_channel["web"]["follow_up_asked"] == 6
    assert by_channel["sms"]["answered_not_yet_share"] == 1
    topic = answered["alfa"].topic.key
    assert {row["key"] for row in document["outcomes"]["topic"]} >= {topic}
    city = next(row for row in document["places"] if row["kind"] == "city")
    assert (city["follow_up_asked"], city["follow_up_answers"]) == (7, 5)


def test_open_data_suppresses_small_outcome_counts_and_their_rates(answered):
    now = TEST_NOW + timedelta(hours=2)
    results = {by: reach(replace(period(), by=by), now=now) for by in (BY_VENUE, BY_HOME)}
    tables = {by: records(result) for by, result in results.items()}
    published = open_records(results)
    assert disclosure.audit(tables, published) == []
    city = next(row for row in published[BY_VENUE] if row["kind"] == "city")
    assert city["answered_yes"] in ("<5", "x") and city["answered_yes_share"] is None
    assert city["answered_partly"] == "<5" and city["answered_partly_share"] is None
    for rows in published.values():
        for row in rows:
            for name in ("follow_up_asked", "follow_up_answers", "answered_yes",
                         "answered_partly", "answered_not_yet"):
                assert not (type(row[name]) is int and 1 <= row[name] <= 4), row


# Coordinators write each topic's question


def topic_form(topic, **questions):
    return {"name_ca": "Tema", "name_es": "Tema", "name_en": "Topic", "active": "1",
            **{f"follow_up_question_{code}": questions.get(code, "") for code in ("ca", "es",
                                                                                 "en")}}


def test_coordinators_write_a_topics_question_in_each_language(client, auth, app_context):
    auth.login_as(Role.COORDINATOR)
    topic = make_topic()
    url = f"/staff/topics/{topic.id}"
    response = post_form(client, url, data=topic_form(
        topic, ca="Ja feu videotrucades pel vostre compte?", en="Can you now video call?"))
    assert response.status_code == 302
    db.session.refresh(topic)
    assert topic.follow_up_question_texts == {
        "ca": "Ja feu videotrucades pel vostre compte?", "en": "Can you now video call?"}
    assert "Ja feu videotrucades" in client.get(url).get_data(as_text=True)


def test_a_question_too_long_for_two_texts_is_refused_and_what_was_typed_kept(
        client, auth, app_context):
    auth.login_as(Role.COORDINATOR)
    topic = make_topic()
    too_long = "Ç" * (FOLLOW_UP_QUESTION_MAX + 1)
    response = post_form(client, f"/staff/topics/{topic.id}", data=topic_form(topic, es=too_long))
    assert response.status_code == 422
    assert too_long in response.get_data(as_text=True)
    db.session.refresh(topic)
    assert topic.follow_up_question_texts == {}


@pytest.mark.browser
def test_the_outcomes_section_has_no_accessibility_violations(answered, live_server,
                                                              a11y_page):  # noqa: F811
    make_user([Role.COORDINATOR], email="coordinator@example.org")
    a11y_page.goto(live_server + "/login")
    a11y_page.fill("#email", "coordinator@example.org")
    a11y_page.fill("#password", DEFAULT_PASSWORD)
    a11y_page.locator("form.form button[type=submit]").click()
    a11y_page.wait_for_url("**/staff")
    a11y_page.goto(live_server + "/reach?lang=es#outcomes")
    assert a11y_page.locator("#outcomes table").count() == 4
    assert violations(a11y_page) == []
