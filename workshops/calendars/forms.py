from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from workshops.catalogue.forms import LANGUAGE_NAMES_FOR_TEXTS
from workshops.catalogue.models import AUDIENCE_LABELS
from workshops.catalogue.queries import active_topics
from workshops.places.queries import districts_with_neighbourhoods

LONGEST_EXPORT = timedelta(days=2 * 366)


class FeedFilterForm(FlaskForm):
    """Choosing what a calendar subscription holds: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    district = SelectField(_l("District"), validators=[Optional()], validate_choice=False)
    neighbourhood = SelectField(_l("Neighbourhood"), validators=[Optional()],
                                validate_choice=False)
    topic = SelectField(_l("Topic"), validators=[Optional()], validate_choice=False)
    audience = SelectField(_l("Especially for"), validators=[Optional()],
                           validate_choice=False)
    # Not called `lang`: that would switch the language of the page itself.
    feed_lang = SelectField(_l("Language of the calendar"), validators=[Optional()],
                            validate_choice=False)

    def fill_choices(self, language: str) -> None:
        districts = districts_with_neighbourhoods()
        anything = SelectChoice("", "—")
        self.district.choices = [anything] + [SelectChoice(d.code, d.name) for d in districts]
        self.neighbourhood.choices = [anything] + [
            SelectChoice(str(n.code), n.name, optgroup=d.name)
            for d in districts for n in d.neighbourhoods]
        self.topic.choices = [anything] + [SelectChoice(t.key, t.name(language).text)
                                           for t in active_topics()]
        self.audience.choices = [anything] + [SelectChoice(k.value, v)
                                              for k, v in AUDIENCE_LABELS.items()]
        self.feed_lang.choices = [SelectChoice(k, v) for k, v in LANGUAGE_NAMES_FOR_TEXTS.items()]


class ScheduleExportForm(FlaskForm):
    """The date range of the coordinators' schedule export (a GET form: a download)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[DataRequired(_l("Enter a start date."))])
    date_to = DateField(_l("Until"), validators=[DataRequired(_l("Enter an end date."))])

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The end date must be on or after the start date."))
            if field.data - self.date_from.data > LONGEST_EXPORT:
                raise ValidationError(_l("Choose at most two years."))
