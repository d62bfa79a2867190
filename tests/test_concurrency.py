"""Registrations and limits under real concurrency (the app served by gunicorn with several
workers): no workshop takes more people than it has places, a form sent twice registers
once, and the rate limits hold.

Each test starts gunicorn on loopback against the session's database (SQLite file or
PostgreSQL), fires simultaneous requests from many threads, and checks the database.
"""

import html
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_CONFIG
from tests.factories import make_workshop, manage_token, mobile, register, token_in
from workshops.config import PROJECT_ROOT
from workshops.extensions import db
from workshops.notifications.models import MessageKind, OutboxMessage
from workshops.registrations import services
from workshops.registrations.models import Channel, Registration, RegistrationStatus

# gunicorn runs in its own processes, on the machine's clock: so does the test.
pytestmark = pytest.mark.real_clock

WORKERS = 4
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(migrated_database_url, seeded):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "DATABASE_URL": migrated_database_url,
        "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "PUBLIC_BASE_URL": base,
        "REGISTRATION_LIMIT_PER_ADDRESS": "100000",
        "TWILIO_AUTH_TOKEN": TEST_CONFIG["TWILIO_AUTH_TOKEN"],
    }
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "60", "app:app"],
        cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 30
    while not _answers_healthz(port):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("gunicorn did not answer /healthz within 30 s")
        time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=30)


def _answers_healthz(port: int) -> bool:
    try:
        return Client(port).request("GET", "/healthz")[0] == 200
    except OSError:
        return False


class Client:
    """One browser: keeps its session cookie, reads CSRF tokens from pages."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def request(self, method, path, fields=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        connection.close()
        return response.status, response.getheader("Location"), text

    def signup_fields(self, workshop_id, phone, neighbourhood_id):
        _status, _location, html = self.request("GET", f"/workshops/{workshop_id}")
        return {
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1),
            "submission_key": re.search(r'name="submission_key"[^>]*value="([^"]+)"',
                                        html).group(1),
            "name": f"Resident {phone}", "phone": phone, "home_neighbourhood": neighbourhood_id,
            "sms_consent": "y",
        }

    def cancel_fields(self, token):
        _status, _location, html = self.request("GET", f"/r/{token}/cancel")
        return {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                        html).group(1)}


def all_at_once(jobs):
    """Run the callables together, released by one barrier; return (results, seconds)."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        started = time.perf_counter()
        result = job()
        return result, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        outcomes = list(pool.map(run, jobs))
    return outcomes, time.perf_counter() - started


def report(name, engine, outcomes, wall):
    latencies = sorted(seconds * 1000 for _result, seconds in outcomes)
    p99 = latencies[max(0, round(len(latencies) * 0.99) - 1)]
    print(f"\n[{engine}] {name}: {len(outcomes)} requests in {wall:.2f}s, "
          f"p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms")


def statuses(workshop_id):
    db.session.rollback()
    return db.session.scalars(select(Registration).where(
        Registration.workshop_id == workshop_id).order_by(Registration.id)).all()


def neighbourhood_id():
    from workshops.places.models import Neighbourhood

    return str(db.session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == 53)))


def test_100_simultaneous_signups_for_20_places(server, app_context, engine_name):
    workshop = make_workshop(capacity=20)
    home = neighbourhood_id()
    clients = [Client(server) for _ in range(100)]
    forms = [c.signup_fields(workshop.id, mobile(n), home) for n, c in enumerate(clients)]

    outcomes, wall = all_at_once([
        (lambda c=c, f=f: c.request("POST", f"/workshops/{workshop.id}/register", f))
        for c, f in zip(clients, forms, strict=True)])
    report("100 sign-ups, 20 places", engine_name, outcomes, wall)

    assert sorted({status for (status, _l, _b), _s in outcomes}) == [303]
    registrations = statuses(workshop.id)
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    assert (len(confirmed), len(waiting)) == (20, 80)
    assert sorted(services.waitlist_position(r) for r in waiting) == list(range(1, 81))
    db.session.refresh(workshop)
    assert workshop.seats_taken == 20


def test_simultaneous_cancellations_and_signups_on_a_full_workshop(server, app_context,
                                                                 engine_name):
    workshop = make_workshop(capacity=20)
    holders = [register(workshop, mobile(n)) for n in range(20)]
    waiting = [register(workshop, mobile(100 + n)) for n in range(20)]
    home = neighbourhood_id()
    cancel_jobs = []
    for registration in holders[:10]:
        client, token = Client(server), manage_token(registration)
        fields = client.cancel_fields(token)
        cancel_jobs.append(lambda c=client, t=token, f=fields: c.request(
            "POST", f"/r/{t}/cancel", f))
    join_jobs = []
    for n in range(20):
        client = Client(server)
        fields = client.signup_fields(workshop.id, mobile(200 + n), home)
        join_jobs.append(lambda c=client, f=fields: c.request(
            "POST", f"/workshops/{workshop.id}/register", f))

    outcomes, wall = all_at_once(cancel_jobs + join_jobs)
    report("10 cancellations + 20 sign-ups on a full workshop", engine_name, outcomes, wall)

    assert sorted({status for (status, _l, _b), _s in outcomes}) == [303]
    registrations = {r.id: r for r in statuses(workshop.id)}
    confirmed = [r for r in registrations.values() if r.status == RegistrationStatus.CONFIRMED]
    assert len(confirmed) == 20
    promoted = [r for r in registrations.values() if r.promoted_at is not None]
    assert sorted(r.id for r in promoted) == sorted(r.id for r in waiting[:10])
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.PROMOTED)).all()
    assert sorted(m.registration_id for m in messages) == sorted(r.id for r in promoted)
    db.session.refresh(workshop)
    assert workshop.seats_taken == 20


def test_a_form_sent_twice_at_the_same_moment_registers_once(server, app_context, engine_name):
    workshop = make_workshop(capacity=5)
    home = neighbourhood_id()
    jobs = []
    for n in range(10):
        client = Client(server)
        fields = client.signup_fields(workshop.id, mobile(n), home)
        jobs += [(lambda c=client, f=fields: c.request(
            "POST", f"/workshops/{workshop.id}/register", f))] * 2

    outcomes, wall = all_at_once(jobs)
    report("10 double submits", engine_name, outcomes, wall)

    assert sorted({status for (status, _l, _b), _s in outcomes}) == [303]
    db.session.rollback()
    for first, second in zip(outcomes[::2], outcomes[1::2], strict=True):
        # Both copies land on the same manage page, each with a link of its own.
        pages = {services.registration_by_token(token_in(outcome[0][1]))
                 for outcome in (first, second)}
        assert len(pages) == 1 and None not in pages
    assert len(statuses(workshop.id)) == 10


def test_a_web_and_an_sms_signup_racing_for_the_last_place(server, app_context, engine_name):
    from twilio.request_validator import RequestValidator

    workshop = make_workshop(capacity=1, public_code="777")
    home = neighbourhood_id()
    base = f"http://127.0.0.1:{server}"
    rounds = []
    for round_number in range(5):
        workshop.capacity = round_number + 1  # one free place each round
        db.session.commit()
        web = Client(server)
        fields = web.signup_fields(workshop.id, mobile(round_number), home)
        sms = {"MessageSid": f"SM{round_number:032x}", "From": f"+347{round_number:08d}",
               "Body": "ALTA 777"}
        signature = RequestValidator(TEST_CONFIG["TWILIO_AUTH_TOKEN"]).compute_signature(
            base + "/sms/inbound", sms)

        def text_in(fields=sms, signature=signature):
            connection = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
            connection.request("POST", "/sms/inbound", body=urlencode(fields), headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature})
            response = connection.getresponse()
            return response.status, None, response.read().decode()

        outcomes, wall = all_at_once([
            lambda c=web, f=fields: c.request("POST", f"/workshops/{workshop.id}/register", f),
            text_in])
        rounds.append(outcomes)
        registrations = statuses(workshop.id)
        confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
        assert len(confirmed) == round_number + 1  # exactly one of the two got the place
        assert [status for (status, _l, _b), _s in outcomes] == [303, 200]
    report("web vs SMS for the last place (5 rounds)", engine_name,
           [o for outcomes in rounds for o in outcomes], wall)


def twilio_request(server, url, params):
    """POST `params` to the app at `url` (its public address) as Twilio does: signed."""
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(TEST_CONFIG["TWILIO_AUTH_TOKEN"]).compute_signature(
        url, params)
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
    connection.request("POST", urlsplit(url).path + (
        "?" + urlsplit(url).query if urlsplit(url).query else ""), body=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": signature})
    response = connection.getresponse()
    return response.status, None, response.read().decode()


def gather_action(twiml: str) -> str:
    return html.unescape(re.search(r'<Gather action="([^"]+)"', twiml).group(1))


def test_a_call_the_web_and_an_sms_racing_for_the_last_place(server, app_context,
                                                             engine_name):
    """The caller has listened her way to the workshop; she presses 1 as a web form and a
    text for the same last place arrive."""
    from tests.factories import make_venue
    from workshops.places.models import Neighbourhood

    ciutat_vella = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    workshop = make_workshop(capacity=1, public_code="778",
                             venue=make_venue(neighbourhood=ciutat_vella))
    home = neighbourhood_id()
    base = f"http://127.0.0.1:{server}"
    rounds = []
    for round_number in range(4):
        workshop.capacity = round_number + 1  # one free place each round
        db.session.commit()
        web = Client(server)
        fields = web.signup_fields(workshop.id, mobile(round_number), home)
        sms = {"MessageSid": f"SM{round_number:032x}", "From": f"+3461{round_number:07d}",
               "Body": "JOIN 778"}
        call = {"CallSid": f"CA{round_number:032x}", "From": f"+3462{round_number:07d}"}
        _status, _none, twiml = twilio_request(server, base + "/voice/inbound", call)
        for key in ("3", "1", "1"):  # English, workshops near you, Ciutat Vella
            _status, _none, twiml = twilio_request(server, gather_action(twiml),
                                                   call | {"Digits": key})
        sign_up_url = gather_action(twiml)
        assert f"workshop={workshop.id}" in sign_up_url

        outcomes, wall = all_at_once([
            lambda c=web, f=fields: c.request("POST", f"/workshops/{workshop.id}/register", f),
            lambda s=sms: twilio_request(server, base + "/sms/inbound", s),
            lambda u=sign_up_url, c=call: twilio_request(server, u, c | {"Digits": "1"})])
        rounds.append(outcomes)
        registrations = statuses(workshop.id)
        confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
        assert len(confirmed) == round_number + 1  # exactly one of the three got the place
        assert len(registrations) == 3 * (round_number + 1)  # the others wait
        assert [status for (status, _l, _b), _s in outcomes] == [303, 200, 200]
        said = outcomes[2][0][2]
        assert ("You have a place" in said) == (confirmed[-1].channel == Channel.PHONE)
    channels = {r.channel for r in statuses(workshop.id)}
    assert channels == {Channel.WEB, Channel.SMS, Channel.PHONE}
    report("call vs web vs SMS for the last place (4 rounds)", engine_name,
           [o for outcomes in rounds for o in outcomes], wall)


def test_a_voice_step_delivered_four_times_at_once_is_applied_once(server, app_context,
                                                                   engine_name):
    from tests.factories import make_venue
    from workshops.places.models import Neighbourhood

    ciutat_vella = db.session.scalar(select(Neighbourhood).where(Neighbourhood.code == 1))
    workshop = make_workshop(capacity=5, venue=make_venue(neighbourhood=ciutat_vella))
    base = f"http://127.0.0.1:{server}"
    call = {"CallSid": "CA" + "e" * 32, "From": "+34623456789"}
    _status, _none, twiml = twilio_request(server, base + "/voice/inbound", call)
    for key in ("3", "1", "1"):
        _status, _none, twiml = twilio_request(server, gather_action(twiml),
                                               call | {"Digits": key})
    sign_up_url = gather_action(twiml)

    outcomes, wall = all_at_once([
        lambda: twilio_request(server, sign_up_url, call | {"Digits": "1"})] * 4)
    report("one voice step delivered 4 times at once", engine_name, outcomes, wall)

    assert [status for (status, _l, _b), _s in outcomes] == [200] * 4
    assert len({body for (_status, _l, body), _s in outcomes}) == 1  # the same answer
    assert "You have a place" in outcomes[0][0][2]
    assert len(statuses(workshop.id)) == 1


def signups_by_one_phone(server, workshops, phone):
    """One browser per workshop, each ready to send the same phone's sign-up form."""
    home = neighbourhood_id()
    jobs = []
    for workshop in workshops:
        client = Client(server)
        fields = client.signup_fields(workshop.id, phone, home)
        jobs.append(lambda c=client, f=fields, w=workshop.id: c.request(
            "POST", f"/workshops/{w}/register", f))
    return jobs


def test_one_person_signing_up_for_ten_workshops_at_once_keeps_their_reach_facts_whole(
        server, app_context, engine_name):
    """Each sign-up writes again all of the person's reach facts: the ten take turns."""
    from workshops.reach.facts import stale_rows

    workshops = [make_workshop(capacity=5) for _ in range(10)]
    outcomes, wall = all_at_once(signups_by_one_phone(server, workshops, mobile(42)))
    report("one person, 10 workshops at once", engine_name, outcomes, wall)

    assert [status for (status, _l, _b), _s in outcomes] == [303] * 10
    db.session.rollback()
    assert db.session.execute(
        select(func.count(), func.count(func.distinct(Registration.resident_id)))
        .where(Registration.workshop_id.in_([w.id for w in workshops]))).one() == (10, 1)
    assert stale_rows() == []


# Attempt limits under the same real concurrency: of simultaneous attempts, exactly the
# limit get through (each process counts under a lock the others wait for).

def login_fields(client, email, password):
    _status, _location, html = client.request("GET", "/login")
    return {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1),
            "email": email, "password": password, "next": ""}


def test_simultaneous_wrong_passwords_get_exactly_the_limit_of_answers(server, app,
                                                                       app_context,
                                                                       engine_name):
    from tests.factories import make_user
    from workshops.ratelimit import RateLimitHit

    make_user(email="target@example.org")
    limit = app.config["LOGIN_LIMIT_PER_EMAIL"]
    clients = [Client(server) for _ in range(limit + 20)]
    forms = [login_fields(c, "target@example.org", "a wrong password") for c in clients]

    outcomes, wall = all_at_once([(lambda c=c, f=f: c.request("POST", "/login", f))
                                  for c, f in zip(clients, forms, strict=True)])
    report(f"{len(clients)} wrong passwords, limit {limit}", engine_name, outcomes, wall)

    answers = [status for (status, _l, _b), _s in outcomes]
    assert (answers.count(422), answers.count(429)) == (limit, 20)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RateLimitHit).where(
        RateLimitHit.scope == "login-email-address")) == limit


def test_simultaneous_signups_from_one_phone_stop_at_its_limit(server, app, app_context,
                                                               engine_name):
    limit = app.config["REGISTRATION_LIMIT_PER_PHONE"]
    workshops = [make_workshop(capacity=5) for _ in range(limit + 15)]
    outcomes, wall = all_at_once(signups_by_one_phone(server, workshops, mobile(7)))
    report(f"{len(workshops)} sign-ups from one phone, limit {limit}", engine_name, outcomes,
           wall)

    answers = [status for (status, _l, _b), _s in outcomes]
    assert (answers.count(303), answers.count(429)) == (limit, 15)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.workshop_id.in_([w.id for w in workshops]))) == limit
