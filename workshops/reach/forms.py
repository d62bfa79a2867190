from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField
from wtforms.validators import Optional

from workshops.reach.queries import BY_HOME, BY_VENUE


class ReachFilterForm(FlaskForm):
    """The dashboard's filters: a GET form, so no CSRF token and shareable URLs."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
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
