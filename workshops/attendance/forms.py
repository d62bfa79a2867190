"""Forms of the roster pages."""

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length

from workshops.registrations.forms import ResidentForm


class WalkInForm(ResidentForm):
    """Someone who came without registering. No consent question: walk-ins get no SMS."""

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
    # Random per page view: sending the same form twice adds the person once.
    submission_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_urlsafe(16)


class RosterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Find a person"), validators=[Length(max=120)],
                    render_kw={"autocomplete": "off"})
