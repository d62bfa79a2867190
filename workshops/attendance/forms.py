"""Forms of the roster pages."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length

from workshops.registrations.forms import RegistrationForm


class WalkInForm(RegistrationForm):
    """Someone who came without registering. No consent question: walk-ins get no SMS.
    Its submission key (from RegistrationForm) makes a double submit add the person once."""

    phone_required = False
    phone = TelField(
        _l("Mobile phone (optional)"), validators=[Length(max=32)],
        description=_l("If the person is already registered with this phone, we find them."),
        render_kw={"autocomplete": "off", "inputmode": "tel"})
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Write the person's name.")), Length(max=120)],
        render_kw={"autocomplete": "off"})
    home_neighbourhood = SelectField(
        _l("Neighbourhood where they live"), validate_choice=False,
        validators=[DataRequired(_l("Choose the neighbourhood where the person lives."))])
    sms_consent = None
    email = None


class RosterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Find a person"), validators=[Length(max=120)],
                    render_kw={"autocomplete": "off"})
