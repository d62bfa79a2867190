import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.conftest import TEST_CONFIG, Auth, RequestIsolatingClient, csrf_token_from, post_form
from tests.factories import DEFAULT_PASSWORD, make_user
from workshops import create_app
from workshops.accounts.models import Role, StaffSession, User
from workshops.accounts.passwords import hash_password, verify_password
from workshops.accounts.services import (
    AccountError,
    authenticate,
    change_own_password,
    create_user,
    update_user,
)
from workshops.accounts.sessions import session_user, start_session
from workshops.clock import utcnow
from workshops.extensions import db

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_staff_sign_in_with_the_right_password(client, auth, app_context):
    make_user([Role.ORGANISER], email="org@example.org")
    response = auth.login("ORG@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff"
    assert "Staff Member" in client.get("/staff").get_data(as_text=True)


def test_a_wrong_password_gets_a_translated_error_and_keeps_the_email(client, auth, app_context):
    make_user(email="org@example.org")
    response = auth.login("org@example.org", "wrong password!")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "El correu electrònic o la contrasenya no són correctes." in html
    assert 'value="org@example.org"' in html
    assert 'aria-invalid="true"' in html


def test_unknown_email_and_wrong_password_get_the_same_answer(client, auth, app_context):
    make_user(email="org@example.org")
    unknown = auth.login("nobody@example.org", "whatever password").get_data(as_text=True)
    wrong = auth.login("org@example.org", "whatever password").get_data(as_text=True)
    assert csrf_free(unknown).replace("nobody@", "org@") == csrf_free(wrong)


def csrf_free(html):
    token = csrf_token_from(html)
    return html.replace(token, "")


def test_repeated_failures_for_one_email_get_a_translated_429(client, auth, app_context):
    make_user(email="org@example.org")
    for _ in range(5):
        assert auth.login("org@example.org", "wrong password!").status_code == 422
    blocked = auth.login("org@example.org", DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Massa intents" in blocked.get_data(as_text=True)


def test_the_limit_for_one_email_from_one_address_lifts_after_the_window(app_context):
    make_user(email="org@example.org")
    for minute in range(5):
        with pytest.raises(AccountError):
            authenticate("org@example.org", "wrong", address="1.2.3.4",
                         now=NOW + timedelta(minutes=minute))
    with pytest.raises(AccountError) as refused:
        authenticate("org@example.org", DEFAULT_PASSWORD, address="1.2.3.4",
                     now=NOW + timedelta(minutes=10))
    assert refused.value.code == "too_many_attempts"
    user = authenticate("org@example.org", DEFAULT_PASSWORD, address="1.2.3.4",
                        now=NOW + timedelta(minutes=16))
    assert user.email == "org@example.org"


def test_many_failures_from_one_address_block_other_emails_too(app_context):
    make_user(email="org@example.org")
    for n in range(20):
        with pytest.raises(AccountError):
            authenticate(f"guess{n}@example.org", "wrong", address="9.9.9.9", now=NOW)
    with pytest.raises(AccountError) as refused:
        authenticate("org@example.org", DEFAULT_PASSWORD, address="9.9.9.9", now=NOW)
    assert refused.value.code == "too_many_attempts"
    assert authenticate("org@example.org", DEFAULT_PASSWORD, address="8.8.8.8", now=NOW)


def test_a_successful_sign_in_clears_the_failures_for_that_email(app_context):
    make_user(email="org@example.org")
    for _ in range(4):
        with pytest.raises(AccountError):
            authenticate("org@example.org", "wrong", address="1.2.3.4", now=NOW)
    authenticate("org@example.org", DEFAULT_PASSWORD, address="1.2.3.4", now=NOW)
    for _ in range(4):
        with pytest.raises(AccountError) as failed:
            authenticate("org@example.org", "wrong", address="1.2.3.4", now=NOW)
        assert failed.value.code == "invalid_credentials"


def fail_to_sign_in(email, *, address, times, now=NOW):
    """Wrong passwords for `email` from `address`; the codes the attempts got."""
    codes = []
    for _ in range(times):
        with pytest.raises(AccountError) as failed:
            authenticate(email, "a wrong password", address=address, now=now)
        codes.append(failed.value.code)
    return codes


def test_an_attackers_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(
        app_context):
    make_user(email="org@example.org")
    codes = fail_to_sign_in("org@example.org", address="6.6.6.6", times=30)
    assert codes == ["invalid_credentials"] * 5 + ["too_many_attempts"] * 25
    user = authenticate("org@example.org", DEFAULT_PASSWORD, address="7.7.7.7", now=NOW)
    assert user.email == "org@example.org"


def test_failures_from_several_addresses_stay_far_below_the_per_account_ceiling(app_context):
    make_user(email="org@example.org")
    for n in range(8):
        assert fail_to_sign_in("org@example.org", address=f"6.6.6.{n}", times=5) == [
            "invalid_credentials"] * 5
    assert authenticate("org@example.org", DEFAULT_PASSWORD, address="7.7.7.7", now=NOW)


def test_the_per_account_ceiling_stops_guessing_from_many_addresses(app, app_context):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = 12
    make_user(email="org@example.org")
    codes = [code for n in range(4)
             for code in fail_to_sign_in("org@example.org", address=f"6.6.6.{n}", times=5)]
    assert codes == ["invalid_credentials"] * 12 + ["too_many_attempts"] * 8
    with pytest.raises(AccountError) as refused:
        authenticate("org@example.org", DEFAULT_PASSWORD, address="7.7.7.7", now=NOW)
    assert refused.value.code == "too_many_attempts"


def test_addresses_of_one_ipv6_network_count_as_one_address(app_context):
    make_user(email="org@example.org")
    codes = [fail_to_sign_in("org@example.org", address=f"2001:db8:1:2::{n:x}", times=1)[0]
             for n in range(1, 8)]
    assert codes == ["invalid_credentials"] * 5 + ["too_many_attempts"] * 2
    assert authenticate("org@example.org", DEFAULT_PASSWORD, address="2001:db8:1:3::1",
                        now=NOW)


def test_refused_attempts_do_not_extend_the_lockout(app_context):
    make_user(email="org@example.org")
    fail_to_sign_in("org@example.org", address="6.6.6.6", times=5)
    for minute in range(1, 15):
        fail_to_sign_in("org@example.org", address="6.6.6.6", times=3,
                        now=NOW + timedelta(minutes=minute))
    user = authenticate("org@example.org", DEFAULT_PASSWORD, address="6.6.6.6",
                        now=NOW + timedelta(minutes=15, seconds=1))
    assert user.email == "org@example.org"


def test_rate_limit_records_no_email_or_address_in_clear(app_context):
    from workshops.ratelimit import RateLimitHit

    with pytest.raises(AccountError):
        authenticate("someone@example.org", "wrong", address="10.1.2.3", now=NOW)
    stored = " ".join(hit.key_hash for hit in db.session.scalars(select(RateLimitHit)))
    assert "someone" not in stored and "10.1.2.3" not in stored


def test_a_deactivated_user_cannot_sign_in(auth, app_context):
    make_user(email="gone@example.org", active=False)
    assert auth.login("gone@example.org").status_code == 422


def test_deactivating_a_user_ends_their_open_session(client, auth, app_context):
    user = make_user(email="org@example.org")
    auth.login("org@example.org")
    assert client.get("/staff").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/staff").status_code == 302


def test_sign_in_starts_a_new_session(client, auth, app_context):
    make_user(email="org@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login("org@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, app_context):
    make_user(email="org@example.org")
    response = auth.login("org@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http in tests


def test_session_cookie_is_secure_when_served_over_https(monkeypatch, tmp_path):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tallers.example.org")
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


@pytest.mark.parametrize("target", ["/staff/neighbourhoods", "/admin/users?page=2"])
def test_sign_in_returns_to_a_local_next_page(auth, app_context, target):
    make_user([Role.ADMIN], email="admin@example.org")
    response = auth.login("admin@example.org", next_url=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "http:/evil.example", "/\r\nSet-Cookie:x", "",
])
def test_sign_in_ignores_an_unsafe_next_page(auth, app_context, target):
    make_user(email="org@example.org")
    response = auth.login("org@example.org", next_url=target)
    assert response.headers["Location"] == "/staff"


def test_a_protected_page_sends_anonymous_visitors_to_sign_in(client, app_context):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_out_needs_a_post_with_csrf_token(client, auth, app_context):
    make_user(email="org@example.org")
    auth.login("org@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert auth.logout().status_code == 302
    assert client.get("/staff").status_code == 302


def test_passwords_are_hashed_with_argon2id_above_owasp_minimums(tmp_path):
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    with app.app_context():
        hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    with app.app_context():
        assert verify_password(hashed, "correct horse battery staple")
        assert not verify_password(hashed, "Correct horse battery staple")


def test_a_weaker_hash_is_upgraded_at_sign_in(app, app_context):
    user = make_user(email="org@example.org")
    app.config["ARGON2_TIME_COST"] = 2
    authenticate("org@example.org", DEFAULT_PASSWORD, address="1.1.1.1", now=NOW)
    assert ",t=2," in user.password_hash


def test_admin_creates_a_staff_account_with_several_roles(client, auth, app_context):
    make_user([Role.ADMIN], email="admin@example.org")
    auth.login("admin@example.org")
    response = post_form(client, "/admin/users/new", email="New.Person@Example.org",
                         name="Núria Puig", roles=["organiser", "facilitator"],
                         preferred_language="es", password="a-good-long-password")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user.roles == {Role.ORGANISER, Role.FACILITATOR}
    assert user.preferred_language == "es"
    assert auth.logout().status_code == 302
    assert auth.login("new.person@example.org", "a-good-long-password").status_code == 302


def test_creating_staff_with_bad_input_keeps_what_was_typed(client, auth, app_context):
    make_user([Role.ADMIN], email="admin@example.org")
    auth.login("admin@example.org")
    response = post_form(client, "/admin/users/new", email="admin@example.org",
                         name="Núria Puig", roles=[], preferred_language="ca", password="short")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Núria Puig"' in html
    assert "Trieu com a mínim un rol." in html
    response = post_form(client, "/admin/users/new", email="admin@example.org",
                         name="Núria Puig", roles=["organiser"], preferred_language="ca",
                         password="a-good-long-password")
    html = response.get_data(as_text=True)
    assert "amb aquest correu electrònic." in html
    assert db.session.scalar(select(User).where(User.name == "Núria Puig")) is None


def test_admin_changes_roles_and_deactivates_a_user(client, auth, app_context):
    make_user([Role.ADMIN], email="admin@example.org")
    other = make_user([Role.ORGANISER], email="org@example.org")
    auth.login("admin@example.org")
    response = post_form(client, f"/admin/users/{other.id}", name="Renamed",
                         roles=["coordinator"], preferred_language="en", active="")
    assert response.status_code == 302
    db.session.refresh(other)
    assert (other.name, other.roles, other.active) == ("Renamed", {Role.COORDINATOR}, False)


def test_an_admin_cannot_lock_themselves_out(client, auth, app_context):
    admin = make_user([Role.ADMIN], email="admin@example.org")
    auth.login("admin@example.org")
    response = post_form(client, f"/admin/users/{admin.id}", name=admin.name,
                         roles=["admin"], preferred_language="ca", active="")
    assert response.status_code == 422
    db.session.refresh(admin)
    assert admin.active


def test_the_last_active_admin_keeps_the_admin_role(app_context):
    admin = make_user([Role.ADMIN], email="admin@example.org")
    second = make_user([Role.ADMIN], email="second@example.org")
    update_user(second, acting_user=admin, name="x", roles=["organiser"],
                preferred_language="ca", active=True)
    with pytest.raises(AccountError) as refused:
        update_user(admin, acting_user=second, name="x", roles=["organiser"],
                    preferred_language="ca", active=True)
    assert refused.value.code == "last_admin"


def test_resetting_a_password_signs_the_user_out_everywhere(app, app_context):
    admin = make_user([Role.ADMIN], email="admin@example.org")
    other = make_user(email="org@example.org")
    their_device = app.test_client()
    their_device.get("/login")
    page = their_device.get("/login").get_data(as_text=True)
    their_device.post("/login", data={"email": "org@example.org", "password": DEFAULT_PASSWORD,
                                      "csrf_token": csrf_token_from(page)})
    assert their_device.get("/staff").status_code == 200
    update_user(other, acting_user=admin, name=other.name, roles=["organiser"],
                preferred_language="ca", active=True, new_password="another-long-password")
    db.session.commit()
    assert their_device.get("/staff").status_code == 302


def test_staff_change_their_own_language_and_password(client, auth, app_context):
    user = make_user(email="org@example.org")
    auth.login("org@example.org")
    response = post_form(client, "/account", **{"account-preferred_language": "en"})
    assert response.status_code == 302
    response = post_form(client, "/account", **{"password-current_password": "wrong",
                                                 "password-new_password": "new-long-password"})
    assert response.status_code == 422
    response = post_form(client, "/account", **{"password-current_password": DEFAULT_PASSWORD,
                                                 "password-new_password": "new-long-password"})
    assert response.status_code == 302
    assert client.get("/staff").status_code == 200  # this device stays signed in
    db.session.refresh(user)
    assert user.preferred_language == "en"
    assert verify_password(user.password_hash, "new-long-password")


def test_create_user_command(runner, app_context):
    result = runner.invoke(args=["create-user", "--email", "cli@example.org", "--name", "Cli",
                                 "--role", "coordinator", "--role", "facilitator",
                                 "--password", "a-long-cli-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "cli@example.org"))
    assert user.roles == {Role.COORDINATOR, Role.FACILITATOR}


def test_create_user_command_refuses_a_short_password(runner, app_context):
    result = runner.invoke(args=["create-user", "--email", "cli@example.org", "--name", "Cli",
                                 "--role", "admin", "--password", "short"])
    assert result.exit_code != 0
    assert db.session.scalar(select(User)) is None


# Sessions live in the database: signing out ends that browser's session for good.

def another_browser(app, client=None):
    """A second browser; given `client`, one holding a copy of its session cookie."""
    browser = app.test_client()
    if client is not None:
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        browser.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    return browser


def open_sessions(user):
    return db.session.scalar(
        select(func.count()).select_from(StaffSession).where(StaffSession.user_id == user.id))


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, auth, app_context):
    make_user(email="org@example.org")
    auth.login("org@example.org")
    copy = another_browser(app, client)
    assert copy.get("/staff").status_code == 200
    assert auth.logout().status_code == 302
    response = copy.get("/staff")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_signing_out_everywhere_ends_the_session_of_another_browser(app, client, auth,
                                                                   app_context):
    user = make_user(email="org@example.org")
    phone = Auth(another_browser(app))
    phone.login("org@example.org")
    auth.login("org@example.org")
    assert open_sessions(user) == 2
    response = post_form(client, "/account", "/logout", everywhere="1")
    assert response.status_code == 302
    assert phone.client.get("/staff").status_code == 302
    assert client.get("/staff").status_code == 302
    assert open_sessions(user) == 0


def test_a_plain_sign_out_leaves_the_other_browsers_signed_in(app, client, auth, app_context):
    user = make_user(email="org@example.org")
    phone = Auth(another_browser(app))
    phone.login("org@example.org")
    auth.login("org@example.org")
    auth.logout()
    assert client.get("/staff").status_code == 302
    assert phone.client.get("/staff").status_code == 200
    assert open_sessions(user) == 1


def test_signing_out_everywhere_needs_a_csrf_token(client, auth, app_context):
    user = make_user(email="org@example.org")
    auth.login("org@example.org")
    assert client.post("/logout", data={"everywhere": "1"}).status_code == 400
    assert client.get("/staff").status_code == 200
    assert open_sessions(user) == 1


def test_signing_out_everywhere_is_offered_on_the_account_page(client, auth, app_context):
    make_user(email="org@example.org")
    auth.login("org@example.org")
    html = client.get("/account?lang=en").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/logout"[^>]*>(.*?)</form>', html.split("<main")[1],
                     re.S).group(1)
    assert 'name="everywhere" value="1"' in form and 'name="everywhere-csrf_token"' in form
    assert "Sign out everywhere" in form


def test_changing_your_own_password_signs_out_your_other_browsers(app, client, auth,
                                                                 app_context):
    user = make_user(email="org@example.org")
    phone = Auth(another_browser(app))
    phone.login("org@example.org")
    auth.login("org@example.org")
    response = post_form(client, "/account", **{"password-current_password": DEFAULT_PASSWORD,
                                                 "password-new_password": "new-long-password"})
    assert response.status_code == 302
    assert phone.client.get("/staff").status_code == 302
    assert client.get("/staff").status_code == 200
    assert open_sessions(user) == 1


def test_a_deactivated_and_reactivated_user_must_sign_in_again(client, auth, app_context):
    admin = make_user([Role.ADMIN], email="admin@example.org")
    user = make_user(email="org@example.org")
    auth.login("org@example.org")
    for active in (False, True):
        update_user(user, acting_user=admin, name=user.name, roles=["organiser"],
                    preferred_language="ca", active=active)
        db.session.commit()
    assert client.get("/staff").status_code == 302


def test_the_password_change_service_ends_every_session_of_the_user(app_context):
    user = make_user(email="org@example.org")
    start_session(user, now=utcnow())
    start_session(user, now=utcnow())
    change_own_password(user, current_password=DEFAULT_PASSWORD,
                        new_password="another-long-password")
    assert open_sessions(user) == 0


def test_a_session_ends_when_the_session_lifetime_is_over(app, app_context):
    user = make_user(email="org@example.org")
    signed_in_at = utcnow()
    token = start_session(user, now=signed_in_at)
    lifetime = app.permanent_session_lifetime
    assert session_user(token, now=signed_in_at + lifetime - timedelta(seconds=1)) is user
    assert session_user(token, now=signed_in_at + lifetime) is None


def test_signing_in_drops_sessions_that_have_expired(app, auth, app_context):
    user = make_user(email="org@example.org")
    start_session(user, now=utcnow() - app.permanent_session_lifetime - timedelta(minutes=1))
    db.session.commit()
    auth.login("org@example.org")
    assert db.session.scalar(select(func.min(StaffSession.expires_at))) > utcnow()
    assert open_sessions(user) == 1


def test_the_database_keeps_only_a_hash_of_the_session_token(client, auth, app_context):
    make_user(email="org@example.org")
    auth.login("org@example.org")
    with client.session_transaction() as session:
        token = session["staff_session"]
    stored = db.session.scalar(select(StaffSession))
    assert len(token) >= 40 and token not in stored.token_hash


def test_a_session_opened_through_one_server_process_is_ended_in_every_other(
        app, client, auth, app_context, tmp_path):
    other_process = create_app(
        TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
        instance_path=str(tmp_path / "other-process"))
    other_process.test_client_class = RequestIsolatingClient
    make_user(email="org@example.org")
    auth.login("org@example.org")
    same_browser_elsewhere = another_browser(other_process, client)
    try:
        assert same_browser_elsewhere.get("/staff").status_code == 200
        auth.logout()
        assert same_browser_elsewhere.get("/staff").status_code == 302
    finally:
        with other_process.app_context():
            db.engine.dispose()


# The service checks what the admin form checks, so `flask create-user` does too.

def create_user_command(runner, **options):
    options = {"email": "cli@example.org", "name": "Cli", "role": "coordinator",
               "password": "a-long-cli-password"} | options
    args = ["create-user"]
    for option, value in options.items():
        args += [f"--{option}", value]
    return runner.invoke(args=args)


def message(code):
    """The error's text as the command prints it (Catalan, the default locale)."""
    with force_locale("ca"):
        return str(AccountError(code).message)


@pytest.mark.parametrize(("options", "code"), [
    ({"email": "not-an-email"}, "invalid_email"),
    ({"email": "someone@localhost"}, "invalid_email"),
    ({"email": ""}, "invalid_email"),
    ({"name": ""}, "name_missing"),
    ({"name": "   "}, "name_missing"),
    ({"name": "N" * 121}, "name_too_long"),
])
def test_create_user_command_refuses_what_the_admin_form_refuses(runner, app_context,
                                                                 options, code):
    result = create_user_command(runner, **options)
    assert result.exit_code == 1
    assert message(code) in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_command_prints_the_reason_in_catalan_by_default(runner, app_context):
    result = create_user_command(runner, email="not-an-email")
    assert "Introduïu una adreça de correu electrònic vàlida" in result.output


@pytest.mark.parametrize(("changes", "code"), [
    ({"email": "not-an-email"}, "invalid_email"),
    ({"email": "a@b@example.org"}, "invalid_email"),
    ({"email": "x" * 250 + "@example.org"}, "invalid_email"),
    ({"name": " \t "}, "name_missing"),
    ({"name": "N" * 121}, "name_too_long"),
    ({"preferred_language": "fr"}, "unknown_language"),
])
def test_create_user_refuses_invalid_details(app_context, changes, code):
    details = {"email": "new@example.org", "name": "Núria Puig", "password": DEFAULT_PASSWORD,
               "roles": [Role.ORGANISER], "preferred_language": "ca"} | changes
    with pytest.raises(AccountError) as refused:
        create_user(**details)
    assert refused.value.code == code
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_keeps_a_name_of_the_longest_allowed_length_trimmed(app_context):
    user = create_user(email=" New@Example.org ", name=f"  {'N' * 120}  ",
                       password=DEFAULT_PASSWORD, roles=[Role.ORGANISER])
    assert (user.email, user.name) == ("new@example.org", "N" * 120)


@pytest.mark.parametrize(("changes", "code"), [
    ({"name": ""}, "name_missing"),
    ({"name": "N" * 121}, "name_too_long"),
    ({"preferred_language": "xx"}, "unknown_language"),
])
def test_update_user_refuses_invalid_details(app_context, changes, code):
    admin = make_user([Role.ADMIN], email="admin@example.org")
    user = make_user(email="org@example.org", name="Before")
    details = {"name": "After", "roles": ["organiser"], "preferred_language": "ca",
               "active": True} | changes
    with pytest.raises(AccountError) as refused:
        update_user(user, acting_user=admin, **details)
    assert refused.value.code == code

