"""Every staff route against every role (invariant 7)."""

import pytest

from tests.factories import make_user, make_venue
from workshops.accounts.models import Role

PUBLIC_ENDPOINTS = {"static", "core.home", "core.healthz", "accounts.login"}
ALL_STAFF = {Role.ADMIN, Role.COORDINATOR, Role.ORGANISER, Role.FACILITATOR}

# endpoint -> (GET url template, roles that may open it)
STAFF_ROUTES = {
    "accounts.staff_home": ("/staff", ALL_STAFF),
    "accounts.account": ("/account", ALL_STAFF),
    "accounts.user_list": ("/admin/users", {Role.ADMIN}),
    "accounts.user_new": ("/admin/users/new", {Role.ADMIN}),
    "accounts.user_edit": ("/admin/users/{user_id}", {Role.ADMIN}),
    "places.neighbourhoods": ("/staff/neighbourhoods", {Role.ADMIN, Role.COORDINATOR}),
}
# POST-only staff endpoints: (url template, roles allowed)
STAFF_ACTIONS = {
    "accounts.logout": ("/logout", ALL_STAFF),
    "places.set_priority": ("/staff/neighbourhoods/{neighbourhood_id}/priority",
                            {Role.ADMIN, Role.COORDINATOR}),
}


def test_every_route_is_listed_as_public_or_staff(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == PUBLIC_ENDPOINTS | set(STAFF_ROUTES) | set(STAFF_ACTIONS)


@pytest.fixture
def ids(app_context):
    venue = make_venue()
    target = make_user([Role.ORGANISER], email="target@example.org")
    return {"user_id": target.id, "neighbourhood_id": venue.neighbourhood_id}


@pytest.mark.parametrize("endpoint", sorted(STAFF_ROUTES))
def test_anonymous_visitors_are_sent_to_sign_in(client, ids, endpoint):
    url = STAFF_ROUTES[endpoint][0].format(**ids)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("endpoint", sorted(STAFF_ACTIONS))
def test_anonymous_posts_change_nothing(client, ids, endpoint):
    url = STAFF_ACTIONS[endpoint][0].format(**ids)
    assert client.post(url).status_code in {302, 400}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(STAFF_ROUTES))
def test_each_role_opens_only_the_pages_it_is_allowed(client, auth, ids, role, endpoint):
    auth.login_as(role)
    template, allowed = STAFF_ROUTES[endpoint]
    response = client.get(template.format(**ids))
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(STAFF_ACTIONS))
def test_each_role_may_post_only_the_actions_it_is_allowed(client, auth, ids, role, endpoint):
    auth.login_as(role)
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/staff").get_data(as_text=True))
    template, allowed = STAFF_ACTIONS[endpoint]
    response = client.post(template.format(**ids), data={"csrf_token": token, "priority": "1"})
    assert (response.status_code == 403) == (role not in allowed)


def test_a_person_with_several_roles_gets_the_union(client, auth, ids):
    auth.login_as(Role.ORGANISER, Role.COORDINATOR)
    assert client.get("/staff/neighbourhoods").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_a_forbidden_page_is_translated(client, auth, ids):
    auth.login_as(Role.FACILITATOR)
    response = client.get("/admin/users?lang=es")
    assert response.status_code == 403
    assert '<html lang="es">' in response.get_data(as_text=True)
