"""service_call: how a view runs services in the request's transaction."""

import pytest
from flask import get_flashed_messages
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workshops.catalogue.forms import CancelForm
from workshops.catalogue.models import Topic
from workshops.extensions import db
from workshops.services import DomainError, service_call


class ExampleError(DomainError):
    messages = {"refused": _l("Explain the reason: registrants will receive it.")}


def refusal_text() -> str:
    return str(ExampleError("refused").message)


def add_topic(key: str) -> None:
    db.session.add(Topic(key=key, name_texts={"en": key}, position=1000, active=True))
    db.session.flush()


def stored(key: str) -> bool:
    return db.session.scalar(select(Topic.id).where(Topic.key == key)) is not None


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        yield


def test_the_block_is_committed_when_it_succeeds(request_context):
    with service_call() as call:
        add_topic("kept")
    db.session.rollback()
    assert call.succeeded and call.error is None
    assert stored("kept")
    assert get_flashed_messages() == []


def test_a_refusal_rolls_back_and_is_flashed_without_a_form(request_context):
    with service_call() as call:
        add_topic("dropped")
        raise ExampleError("refused")
    assert not call.succeeded and call.error.code == "refused"
    assert not stored("dropped")
    assert [(category, str(message)) for category, message
            in get_flashed_messages(with_categories=True)] == [("error", refusal_text())]


def test_a_refusal_goes_next_to_its_field_or_on_the_form(request_context):
    form = CancelForm(meta={"csrf": False})
    with service_call(form):
        raise ExampleError("refused", "reason")
    with service_call(form):
        raise ExampleError("refused")
    with service_call(form, field_for=lambda error: "reason"):
        raise ExampleError("refused", "not_a_field")
    assert [str(m) for m in form.reason.errors] == [refusal_text()] * 2
    assert [str(m) for m in form.form_errors] == [refusal_text()]
    assert get_flashed_messages() == []


def test_other_exceptions_pass_through_uncommitted(request_context):
    with pytest.raises(LookupError), service_call():
        add_topic("dropped")
        raise LookupError
    db.session.rollback()
    assert not stored("dropped")
