"""Form pieces shared by every domain."""

from collections.abc import Callable
from datetime import date
from functools import cache

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, SelectChoice, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.widgets import CheckboxInput, ListWidget

from workshops.clock import local_today
from workshops.i18n import languages, own_language_names


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; templates render it inside a fieldset with a legend."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def language_choices() -> list[SelectChoice]:
    """The portal's languages, each named in itself (for a SelectField's `choices`)."""
    return [SelectChoice(code, name, render_kw={"lang": code})
            for code, name in own_language_names().items()]


class TranslatedForm(FlaskForm):
    """A form with one field per language of the LANGUAGES setting for each entry of
    `translated_fields`: {"title": make_field} gives title_ca, title_es… where
    `make_field(code, is_default_language)` returns the unbound field. They come before
    the field named `translated_fields_before`, language by language.

    Build it with `translated_form(FormClass, …)`, which adds the fields first. Given an
    `obj`, the fields show its `<name>_texts`; `populate_obj` sets them back."""

    translated_fields: dict[str, Callable[[str, bool], UnboundField]] = {}
    translated_fields_before: str = ""
    # Fields the form turns into the object's attributes itself (see populate_obj overrides).
    form_only_fields: frozenset[str] = frozenset()

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data, extra_filters, **kwargs)
        if obj is not None and not self.is_submitted():
            for name in self.translated_fields:
                fill_translated(self, name, getattr(obj, f"{name}_texts"))

    def populate_obj(self, obj) -> None:
        translated = {f"{name}_{code}" for name in self.translated_fields
                      for code in languages()}
        for name, field in self._fields.items():
            if name not in translated and name not in self.form_only_fields:
                field.populate_obj(obj, name)
        for name in self.translated_fields:
            setattr(obj, f"{name}_texts", translated_data(self, name))


@cache
def _form_class_for(form_class: type[TranslatedForm], codes: tuple[str, ...]):
    before = getattr(form_class, form_class.translated_fields_before).creation_counter
    fields = {}
    for code in codes:
        for name, make_field in form_class.translated_fields.items():
            field = make_field(code, code == codes[0])
            field.creation_counter = before - 1 + (len(fields) + 1) / 10_000
            fields[f"{name}_{code}"] = field
    return type(form_class.__name__, (form_class,), fields)


def translated_form(form_class: type[TranslatedForm], *args, **kwargs) -> TranslatedForm:
    return _form_class_for(form_class, languages())(*args, **kwargs)


def translated_data(form: TranslatedForm, name: str) -> dict[str, str]:
    """{"ca": "…", "es": "…"} from the fields of `name`, stripped, empty ones left out."""
    texts = {code: (form[f"{name}_{code}"].data or "").strip() for code in languages()}
    return {code: text for code, text in texts.items() if text}


def fill_translated(form: TranslatedForm, name: str, texts: dict[str, str]) -> None:
    for code in languages():
        form[f"{name}_{code}"].data = texts.get(code, "")


class ActionForm(FlaskForm):
    """A button-only form (publish, delete…): it carries just the CSRF token."""


def select_html(field, attributes: dict) -> Markup:
    """A select field as HTML: its options in their optgroups, the chosen ones selected, and
    `attributes` (True stands alone, like `required`).

    Built here rather than by WTForms' per-option widget or a template loop: those were the
    slowest part of every page with the 73-neighbourhood select.
    """
    chosen = field.data if isinstance(field.data, list | tuple) else [field.data]
    chosen = {"" if value is None else str(value) for value in chosen}
    parts = [f'<select id="{escape(field.id)}" name="{escape(field.name)}"']
    for name, value in attributes.items():
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"')
    parts.append(">")
    group = None
    for choice in field.choices:
        choice_group = str(choice.optgroup) if choice.optgroup is not None else None
        if choice_group != group:
            if group is not None:
                parts.append("</optgroup>")
            if choice_group is not None:
                parts.append(f'<optgroup label="{escape(choice_group)}">')
            group = choice_group
        value = str(choice.value)
        selected = " selected" if value in chosen else ""
        parts.append(f'<option value="{escape(value)}"{selected}>{escape(str(choice.label))}'
                     "</option>")
    if group is not None:
        parts.append("</optgroup>")
    parts.append("</select>")
    return Markup("".join(parts))  # noqa: S704  (every value in it was escaped above)


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
