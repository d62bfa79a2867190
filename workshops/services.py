"""What every domain's services share: one error type, and one way for a view to run them.

Services are plain functions that validate, change and flush; they refuse with a
DomainError. The view runs them inside `service_call`, which ends the request's
transaction either way.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash
from flask_babel import LazyString
from flask_wtf import FlaskForm

from workshops.extensions import db


class DomainError(Exception):
    """A service refused. Each subclass lists its `messages`, one per code; `field` names
    the form field the refusal is about, when there is one."""

    messages: dict[str, LazyString] = {}

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field

    @property
    def message(self) -> LazyString:
        return self.messages[self.code]


def show_error(error: DomainError, *forms: FlaskForm, field: str | None = None) -> None:
    """Put the message next to `field` (else the error's own field) in the first form that
    has it, or else among the first form's general errors."""
    name = field or error.field
    for form in forms:
        if name and name in form:
            form[name].errors = [*form[name].errors, error.message]
            return
    forms[0].form_errors.append(error.message)


@dataclass
class Outcome:
    """How a `service_call` block ended: `error` is the refusal, None on success."""

    error: DomainError | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


@contextmanager
def service_call(*forms: FlaskForm,
                 field_for: Callable[[DomainError], str | None] | None = None,
                 ) -> Iterator[Outcome]:
    """Run services in the request's transaction: commit when the block ends, or roll back
    when it raises a DomainError and show its message, on `forms` (see show_error) or,
    without forms, as a flashed message. Other exceptions pass through untouched.

    `field_for(error)` chooses the field when the form's names differ from the error's."""
    outcome = Outcome()
    try:
        yield outcome
    except DomainError as error:
        db.session.rollback()
        outcome.error = error
        if not forms:
            flash(error.message, "error")
        else:
            show_error(error, *forms, field=field_for(error) if field_for else None)
    else:
        db.session.commit()
