from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from workshops.catalogue.directory import directory
from workshops.catalogue.local_time import MAX_SERIES_LENGTH
from workshops.catalogue.models import (
    AUDIENCE_LABELS,
    INSTRUCTION_LANGUAGES,
    LEVEL_LABELS,
)
from workshops.catalogue.services import MAX_CAPACITY, MIN_CAPACITY
from workshops.forms import BoundedDateField, MultiCheckboxField, TranslatedForm
from workshops.i18n import lazy_language_name


def parse_dates(text: str) -> list[date]:
    """Dates written as 8/12/2026, 08-12-2026 or 2026-12-08, separated by commas or spaces."""
    found = []
    for chunk in text.replace(";", ",").replace(" ", ",").split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        parts = chunk.replace("/", "-").replace(".", "-").split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(chunk)
        if not all(p.isascii() and 1 <= len(p) <= 4 for p in parts):
            raise ValueError(chunk)  # "²" passes isdigit(); 20 digits overflow date()
        if len(parts[0]) == 4:
            year, month, day = map(int, parts)
        else:
            day, month, year = map(int, parts)
        found.append(date(year, month, day))
    return found


def _title_field(code: str, is_default_language: bool):
    return StringField(_l("Title in %(language)s", language=lazy_language_name(code)),
                       validators=[Length(max=200)])


def _summary_field(code: str, is_default_language: bool):
    return StringField(
        _l("Short summary in %(language)s", language=lazy_language_name(code)),
        validators=[Length(max=500)],
        description=(_l("One sentence that says what people will learn.")
                     if is_default_language else ""))


def _description_field(code: str, is_default_language: bool):
    return TextAreaField(_l("Description in %(language)s", language=lazy_language_name(code)),
                         validators=[Length(max=5000)])


def _bring_field(code: str, is_default_language: bool):
    return StringField(
        _l("What to bring, in %(language)s", language=lazy_language_name(code)),
        validators=[Length(max=300)],
        description=(_l("Optional. For example: your mobile phone and its charger.")
                     if is_default_language else ""))


class WorkshopForm(TranslatedForm):
    translated_fields = {"title": _title_field, "summary": _summary_field,
                         "description": _description_field, "bring": _bring_field}
    translated_fields_before = "topic"

    topic = SelectField(_l("Topic"), coerce=int,
                        validators=[InputRequired(_l("Choose a topic."))])
    level = SelectField(_l("Level"), choices=[SelectChoice(k.value, v)
                                              for k, v in LEVEL_LABELS.items()])
    instruction_language = SelectField(
        _l("Language the workshop is taught in"),
        choices=[SelectChoice(k, v) for k, v in INSTRUCTION_LANGUAGES.items()])
    audiences = MultiCheckboxField(
        _l("Especially for"), choices=[SelectChoice(k.value, v)
                                       for k, v in AUDIENCE_LABELS.items()],
        description=_l("Optional. Everyone can sign up; this helps people find it."))
    venue = SelectField(_l("Venue"), coerce=int,
                        validators=[InputRequired(_l("Choose a venue."))])
    capacity = IntegerField(
        _l("Places"),
        validators=[InputRequired(_l("Enter the number of places.")),
                    NumberRange(MIN_CAPACITY, MAX_CAPACITY,
                                _l("The number of places must be between %(min)s and %(max)s."))],
        default=12)
    facilitators = MultiCheckboxField(_l("Facilitators"), coerce=int)
    public_code = StringField(
        _l("SMS code"), validators=[Optional(), Length(max=4)],
        description=_l("3 or 4 digits that people text to sign up. Leave empty to get one."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    registration_opens = BoundedDateField(
        _l("Registration opens on"), validators=[Optional()], years_back=10, years_ahead=3,
        description=_l("Optional. Empty: open as soon as published."))
    registration_closes = BoundedDateField(
        _l("Registration closes on"), validators=[Optional()], years_back=10, years_ahead=3,
        description=_l("Optional. Empty: closes when the first session starts."))


class SessionsForm(FlaskForm):
    """One session, or a weekly series of them."""

    repeat = RadioField(_l("How often"), default="once", choices=[
        SelectChoice("once", _l("One session")),
        SelectChoice("weekly", _l("Every week")),
    ])
    date = BoundedDateField(_l("Date (first date for a series)"),
                            validators=[InputRequired(_l("Enter the date."))],
                            years_back=10, years_ahead=3)
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Enter the start time."))])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(_l("Enter the end time."))])
    count = IntegerField(
        _l("Number of sessions in the series"), default=6,
        validators=[Optional(), NumberRange(1, MAX_SERIES_LENGTH,
                                            _l("Between %(min)s and %(max)s sessions."))])
    skip_dates = StringField(
        _l("Skip these dates"), validators=[Length(max=500)],
        description=_l("Optional: holidays with no session, e.g. 8/12/2026, 22/12/2026."))

    def validate_skip_dates(self, field):
        try:
            parse_dates(field.data or "")
        except ValueError:
            raise ValidationError(_l("Write dates like 8/12/2026, separated by commas.")) from None


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Explain the reason: registrants will receive it.")),
                    Length(max=300)],
        description=_l("Registrants will receive this reason by SMS. Keep it short."))


def _topic_name_field(code: str, is_default_language: bool):
    language = lazy_language_name(code)
    return StringField(_l("Name in %(language)s", language=language), validators=[
        DataRequired(_l("Enter the name in %(language)s.", language=language)),
        Length(max=120)])


# Short enough that the question, its answers and the signature fit in two text messages
# even with accents (70 characters a segment): see workshops.notifications.texts.
FOLLOW_UP_QUESTION_MAX = 80


def _follow_up_question_field(code: str, is_default_language: bool):
    return TextAreaField(
        _l("Follow-up question in %(language)s", language=lazy_language_name(code)),
        validators=[Optional(), Length(max=FOLLOW_UP_QUESTION_MAX)],
        description=_l("Texted the day after a workshop's last session to each resident who "
                       "attended it, followed by the answers \"1 yes, 2 partly, 3 not yet\". "
                       "Up to %(max)s characters. Left empty, the portal's own question is "
                       "sent.", max=FOLLOW_UP_QUESTION_MAX))


class TopicForm(TranslatedForm):
    translated_fields = {"name": _topic_name_field,
                         "follow_up_question": _follow_up_question_field}
    translated_fields_before = "active"

    active = SelectField(_l("Offered to organisers"), choices=[
        SelectChoice("1", _l("Yes")), SelectChoice("0", _l("No, hidden from new workshops"))],
        default="1")


class WorkshopFilterForm(FlaskForm):
    """Where and what: the filters the listing and calendar feeds share. A GET form, so no
    CSRF token and shareable URLs."""

    class Meta:
        csrf = False

    district = SelectField(_l("District"), validators=[Optional()], validate_choice=False)
    neighbourhood = SelectField(_l("Neighbourhood"), validators=[Optional()],
                                validate_choice=False)
    topic = SelectField(_l("Topic"), validators=[Optional()], validate_choice=False)
    audience = SelectField(_l("Especially for"), validators=[Optional()],
                           validate_choice=False)

    def fill_choices(self, language: str) -> None:
        places = directory()
        districts = places.districts
        anything = SelectChoice("", "—")
        self.district.choices = [anything] + [SelectChoice(d.code, d.name) for d in districts]
        self.neighbourhood.choices = [anything] + [
            SelectChoice(str(n.code), n.name, optgroup=d.name)
            for d in districts for n in d.neighbourhoods]
        self.topic.choices = [anything] + [SelectChoice(t.key, t.name(language))
                                           for t in places.active_topics]
        self.audience.choices = [anything] + [SelectChoice(k.value, v)
                                              for k, v in AUDIENCE_LABELS.items()]

    def valid_choice(self, name: str) -> str:
        """The value asked for if the form offers it, else "" (never an error page)."""
        field = self[name]
        value = field.data or ""
        return value if value in {str(c.value) for c in field.choices if c.value} else ""


class ListingFilterForm(WorkshopFilterForm):
    """The public listing's filters."""

    language = SelectField(_l("Taught in"), validators=[Optional()], validate_choice=False)
    date_from = BoundedDateField(_l("From"), validators=[Optional()], years_back=10,
                                 years_ahead=10)
    date_to = BoundedDateField(_l("Until"), validators=[Optional()], years_back=10,
                               years_ahead=10)
    step_free = BooleanField(_l("Step-free access only"))
    free_seats = BooleanField(_l("Only with free places"))

    def fill_choices(self, language: str) -> None:
        super().fill_choices(language)
        self.language.choices = [SelectChoice("", "—")] + [
            SelectChoice(k, v) for k, v in INSTRUCTION_LANGUAGES.items()]
