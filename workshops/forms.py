"""Form pieces shared by every domain."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


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
