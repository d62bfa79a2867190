from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from workshops.forms import TranslatedForm
from workshops.i18n import lazy_language_name


class PriorityForm(FlaskForm):
    priority = HiddenField(validators=[AnyOf(["0", "1"])])


def _directions_field(code: str, is_default_language: bool):
    return TextAreaField(
        _l("How to get there, in %(language)s", language=lazy_language_name(code)),
        validators=[Length(max=1000)])


class VenueForm(TranslatedForm):
    translated_fields = {"directions": _directions_field}
    translated_fields_before = "step_free_access"

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the venue's name.")),
                                               Length(max=200)])
    address = StringField(_l("Address"), validators=[
        DataRequired(_l("Enter the street address.")), Length(max=300)])
    neighbourhood_id = SelectField(_l("Neighbourhood"), coerce=int,
                                validators=[InputRequired(_l("Choose the neighbourhood."))])
    step_free_access = BooleanField(_l("Step-free access"))
    accessible_toilet = BooleanField(_l("Accessible toilet"))
    hearing_loop = BooleanField(_l("Hearing loop"))
    childcare = BooleanField(_l("Childcare during the session"))
    devices_lent = BooleanField(_l("Devices lent on site"))
    free_wifi = BooleanField(_l("Free wifi"))


class BoundariesUploadForm(FlaskForm):
    file = FileField(_l("Neighbourhood boundaries file (GeoJSON)"),
                     description=_l("Open Data BCN's barris file in WGS84, as downloaded."),
                     validators=[FileRequired(_l("Choose the file to upload."))])


class IndicatorsUploadForm(FlaskForm):
    file = FileField(_l("Need indicators file (CSV)"),
                     description=_l("Columns: neighbourhood_code, indicator, value, year, "
                                    "source. A header row first."),
                     validators=[FileRequired(_l("Choose the file to upload."))])
