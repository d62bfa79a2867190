from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, ValidationError

from workshops.forms import language_choices
from workshops.registrations.forms import ResidentForm
from workshops.registrations.phones import InvalidPhone, parse_phone


class PhoneForm(FlaskForm):
    phone = TelField(
        _l("Your mobile phone number"), validators=[Length(max=32)],
        description=_l("The number you gave when you signed up, for example 612 34 56 78."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"})

    parsed_phone = None

    def validate_phone(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Write your mobile phone number."))
        try:
            self.parsed_phone = parse_phone(field.data)
        except InvalidPhone:
            raise ValidationError(_l(
                "This does not look like a phone number. Write it like 612 34 56 78.")) from None


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(_l("Write the 6-digit code we sent you.")),
                                Length(max=20)],
        description=_l("6 digits, for example 123456."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class OwnDetailsForm(ResidentForm):
    """Her details as she tells them: the sign-up questions, without the phone (it is what
    she proved) and with the language of her messages."""

    phone = None
    sms_consent = None
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Write your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"})
    preferred_language = SelectField(_l("Language of our messages"), choices=language_choices)
