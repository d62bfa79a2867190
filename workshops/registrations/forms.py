import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from workshops.catalogue.directory import directory
from workshops.extensions import db
from workshops.forms import language_choices
from workshops.places.models import Neighbourhood
from workshops.registrations.models import AGE_BAND_LABELS, GENDER_LABELS
from workshops.registrations.phones import InvalidPhone, parse_phone

OUTSIDE_BARCELONA = "outside"


class ResidentForm(FlaskForm):
    """Who is signing up. The smallest set of questions; the rest is optional."""

    phone = TelField(
        _l("Mobile phone"), validators=[Length(max=32)],
        description=_l("For example 612 34 56 78. It is how we find your registration."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Write your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"})
    home_neighbourhood = SelectField(
        _l("Neighbourhood where you live"), validate_choice=False,
        validators=[DataRequired(_l("Choose the neighbourhood where you live."))])
    sms_consent = BooleanField(_l(
        "Send me SMS messages about my workshops: confirmation, reminders and changes."))
    email = EmailField(_l("Email (optional)"), validators=[
        Optional(), Email(_l("Enter a valid email address, like name@example.org.")),
        Length(max=254)], render_kw={"autocomplete": "email"})
    age_band = SelectField(_l("Age (optional)"), default="", choices=[
        SelectChoice("", _l("Prefer not to say")),
        *[SelectChoice(band.value, label) for band, label in AGE_BAND_LABELS.items()]])
    gender = SelectField(_l("Gender (optional)"), default="unsaid", choices=[
        SelectChoice(gender.value, label) for gender, label in GENDER_LABELS.items()])

    phone_required = True
    parsed_phone = None
    _chosen = None  # (the value, its neighbourhood or None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when the form is shown, not when it is only checked (see below).
        self.home_neighbourhood.choices = _neighbourhood_choices

    def validate_phone(self, field):
        if not (field.data or "").strip():
            if self.phone_required:
                raise ValidationError(_l("Write your mobile phone number."))
            return
        try:
            self.parsed_phone = parse_phone(field.data)
        except InvalidPhone:
            raise ValidationError(_l(
                "This does not look like a phone number. Write it like 612 34 56 78.")) from None

    def validate_home_neighbourhood(self, field):
        """One of the choices: outside Barcelona, or a neighbourhood (every one is offered),
        which is looked up alone rather than with all the others."""
        if field.data != OUTSIDE_BARCELONA and self.chosen_neighbourhood() is None:
            raise ValidationError(_l("Choose the neighbourhood where you live."))

    def chosen_neighbourhood(self) -> Neighbourhood | None:
        value = self.home_neighbourhood.data
        if self._chosen is not None and self._chosen[0] == value:
            return self._chosen[1]
        self._chosen = (value, self._neighbourhood(value))
        return self._chosen[1]

    @staticmethod
    def _neighbourhood(value) -> Neighbourhood | None:
        # As the choice's value is written: no sign, no leading zero, nothing too large.
        if not (isinstance(value, str) and value.isascii() and value.isdigit()
                and len(value) <= 9 and str(int(value)) == value):
            return None
        return db.session.get(Neighbourhood, int(value))


def _neighbourhood_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose…"))] + [
        SelectChoice(str(n.id), n.name, optgroup=d.name)
        for d in directory().districts for n in d.neighbourhoods
    ] + [SelectChoice(OUTSIDE_BARCELONA, _l("I live outside Barcelona"), optgroup=_l("Other"))]


# Leaves room for the walk-in prefix in a 64-character change id (see attendance.services).
SUBMISSION_KEY_MAX_LENGTH = 48


class RegistrationForm(ResidentForm):
    # Random per page view: a second submit of the same page finds the first registration.
    # An empty label: never shown, and without one WTForms loads its own translations to
    # make one up, on every request.
    submission_key = HiddenField("", validators=[Length(max=SUBMISSION_KEY_MAX_LENGTH)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Nobody types this field: one that is missing or was tampered with is replaced.
        key = self.submission_key.data
        if not key or len(key) > SUBMISSION_KEY_MAX_LENGTH:
            self.submission_key.data = secrets.token_urlsafe(16)


class StaffRegistrationForm(ResidentForm):
    """Staff registering someone in person: the phone is optional."""

    phone_required = False
    phone = TelField(
        _l("Mobile phone (optional)"), validators=[Length(max=32)],
        description=_l("Leave empty if the person has no phone."),
        render_kw={"autocomplete": "off", "inputmode": "tel"})
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Write the person's name.")), Length(max=120)],
        render_kw={"autocomplete": "off"})
    sms_consent = BooleanField(_l("The person agrees to receive SMS messages about workshops."))


# The first choice of age band and gender on the correction form: keep what is stored.
UNCHANGED = ""
# An age band chosen as "Prefer not to say": none stored.
AGE_UNSAID = "unsaid"


class ResidentCorrectionForm(ResidentForm):
    """A coordinator correcting what is stored about a resident, when she asks.

    Not her phone and not her SMS consent: only her phone changes those. Age band and
    gender are for anonymous statistics and no staff page shows them per person, so the
    form never shows what is stored: they start at "Leave as it is"."""

    phone = None
    sms_consent = None
    phone_required = False
    name = StringField(_l("Name"), validators=[Length(max=120)],
                       render_kw={"autocomplete": "off"})
    home_neighbourhood = SelectField(_l("Neighbourhood where they live"),
                                     validate_choice=False)
    email = EmailField(_l("Email (optional)"), validators=[
        Optional(), Email(_l("Enter a valid email address, like name@example.org.")),
        Length(max=254)], render_kw={"autocomplete": "off"})
    preferred_language = SelectField(_l("Language of the SMS messages"),
                                     choices=language_choices)
    age_band = SelectField(
        _l("Age"), default=UNCHANGED,
        description=_l("Not shown here: it is only for anonymous statistics. Change it only "
                       "if the person tells you."),
        choices=[SelectChoice(UNCHANGED, _l("Leave as it is")),
                 SelectChoice(AGE_UNSAID, _l("Prefer not to say")),
                 *[SelectChoice(band.value, label) for band, label in AGE_BAND_LABELS.items()]])
    gender = SelectField(
        _l("Gender"), default=UNCHANGED,
        description=_l("Not shown here: it is only for anonymous statistics. Change it only "
                       "if the person tells you."),
        choices=[SelectChoice(UNCHANGED, _l("Leave as it is")),
                 *[SelectChoice(gender.value, label) for gender, label in GENDER_LABELS.items()]])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not every resident told us where she lives (an SMS sign-up may not have).
        self.home_neighbourhood.choices[0] = SelectChoice("", _l("Not given"))

    def validate_home_neighbourhood(self, field):
        if field.data:
            super().validate_home_neighbourhood(field)


class ErasePhoneForm(FlaskForm):
    phone = TelField(_l("Phone number"), validators=[
        DataRequired(_l("Write the phone number.")), Length(max=32)])

    parsed_phone = None

    def validate_phone(self, field):
        try:
            self.parsed_phone = parse_phone(field.data)
        except InvalidPhone:
            raise ValidationError(_l(
                "This does not look like a phone number. Write it like 612 34 56 78.")) from None
