"""Form pieces shared by every domain."""

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from workshops.clock import local_today


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; templates render it inside a fieldset with a legend."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button-only form (publish, delete…): it carries just the CSRF token."""


def select_groups(field) -> list[tuple[str | None, list[tuple[str, str, bool]]]]:
    """A select field's options as (optgroup, [(value, label, selected)]) runs, in order.

    Templates render these directly: WTForms' per-option widget is the slowest part of a
    page with a 75-neighbourhood select.
    """
    chosen = field.data if isinstance(field.data, list | tuple) else [field.data]
    chosen = {"" if value is None else str(value) for value in chosen}
    groups: list[tuple[str | None, list[tuple[str, str, bool]]]] = []
    for choice in field.choices:
        value = str(choice.value)
        group = str(choice.optgroup) if choice.optgroup is not None else None
        if not groups or groups[-1][0] != group:
            groups.append((group, []))
        groups[-1][1].append((value, str(choice.label), value in chosen))
    return groups


def years_from(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class BoundedDateField(DateField):
    """A date within a sensible distance of today (by the app's clock, in Barcelona).

    Without a range, "9999-12-31" reached date arithmetic and the database and answered
    500; with one, it is a clear error next to the field.
    """

    def __init__(self, label=None, validators=None, *, years_back: int, years_ahead: int,
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        self.years_back, self.years_ahead = years_back, years_ahead

    def sensible_range(self) -> tuple[date, date]:
        today = local_today()
        return years_from(today, -self.years_back), years_from(today, self.years_ahead)

    def post_validate(self, form, validation_stopped):
        if validation_stopped or self.data is None or self.errors:
            return
        first, last = self.sensible_range()
        if not first <= self.data <= last:
            self.errors.append(_l("Choose a date between %(first)s and %(last)s.",
                                  first=format_date(first, "long"),
                                  last=format_date(last, "long")))
