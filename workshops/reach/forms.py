from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField
from wtforms.validators import Optional

from workshops.forms import BoundedDateField
from workshops.reach.queries import BY_HOME, BY_VENUE


class ReachFilterForm(FlaskForm):
    """The dashboard's filters: a GET form, so no CSRF token and shareable URLs."""

    class Meta:
        csrf = False

    # The programme's figures go back years; a period ending far ahead counts nothing more.
    date_from = BoundedDateField(_l("From"), validators=[Optional()], years_back=30,
                                 years_ahead=5)
    date_to = BoundedDateField(_l("Until"), validators=[Optional()], years_back=30,
                               years_ahead=5)
    by = RadioField(_l("Count each registration in"), default=BY_VENUE,
                    validators=[Optional()], validate_choice=False, choices=[
                        SelectChoice(BY_VENUE, _l("the neighbourhood where the workshop was held")),
                        SelectChoice(BY_HOME, _l("the neighbourhood where the resident lives")),
                    ])
    district = SelectField(_l("District"), validators=[Optional()], validate_choice=False)
    topic = SelectField(_l("Topic"), validators=[Optional()], validate_choice=False)
    audience = SelectField(_l("Especially for"), validators=[Optional()],
                           validate_choice=False)
    channel = SelectField(_l("Registered through"), validators=[Optional()],
                          validate_choice=False)
