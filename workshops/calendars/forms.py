from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from workshops.catalogue.forms import WorkshopFilterForm
from workshops.forms import BoundedDateField
from workshops.i18n import language_name, languages

LONGEST_EXPORT = timedelta(days=2 * 366)


class FeedFilterForm(WorkshopFilterForm):
    """Choosing what a calendar subscription holds."""

    # Not called `lang`: that would switch the language of the page itself.
    feed_lang = SelectField(_l("Language of the calendar"), validators=[Optional()],
                            validate_choice=False)

    def fill_choices(self, language: str) -> None:
        super().fill_choices(language)
        self.feed_lang.choices = [SelectChoice(code, language_name(code))
                                  for code in languages()]


class ScheduleExportForm(FlaskForm):
    """The date range of the coordinators' schedule export (a GET form: a download)."""

    class Meta:
        csrf = False

    date_from = BoundedDateField(_l("From"), validators=[DataRequired(_l("Enter a start date."))],
                                 years_back=10, years_ahead=10)
    date_to = BoundedDateField(_l("Until"), validators=[DataRequired(_l("Enter an end date."))],
                               years_back=10, years_ahead=10)

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The end date must be on or after the start date."))
            if field.data - self.date_from.data > LONGEST_EXPORT:
                raise ValidationError(_l("Choose at most two years."))
