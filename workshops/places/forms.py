from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, ValidationError

from workshops.forms import TranslatedForm
from workshops.i18n import lazy_language_name
from workshops.places.geo import NotAPoint, Point, in_or_near_barcelona, parse_pair, parse_point


class PriorityForm(FlaskForm):
    priority = HiddenField(validators=[AnyOf(["0", "1"])])


def _directions_field(code: str, is_default_language: bool):
    return TextAreaField(
        _l("How to get there, in %(language)s", language=lazy_language_name(code)),
        validators=[Length(max=1000)])


class VenueForm(TranslatedForm):
    translated_fields = {"directions": _directions_field}
    translated_fields_before = "step_free_access"
    form_only_fields = frozenset({"coordinates"})

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the venue's name.")),
                                               Length(max=200)])
    address = StringField(_l("Address"), validators=[
        DataRequired(_l("Enter the street address.")), Length(max=300)])
    neighbourhood_id = SelectField(_l("Neighbourhood"), coerce=int,
                                validators=[InputRequired(_l("Choose the neighbourhood."))])
    coordinates = StringField(
        _l("Latitude and longitude"), validators=[Length(max=60)],
        filters=[lambda value: (value or "").strip()],
        description=_l("Optional, for \"near me\". As a map app copies them, e.g. "
                       "41.3776, 2.1735."))
    step_free_access = BooleanField(_l("Step-free access"))
    accessible_toilet = BooleanField(_l("Accessible toilet"))
    hearing_loop = BooleanField(_l("Hearing loop"))
    childcare = BooleanField(_l("Childcare during the session"))
    devices_lent = BooleanField(_l("Devices lent on site"))
    free_wifi = BooleanField(_l("Free wifi"))

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data, extra_filters, **kwargs)
        if obj is not None and obj.point is not None and not self.is_submitted():
            self.coordinates.data = f"{obj.latitude}, {obj.longitude}"

    def populate_obj(self, obj) -> None:
        super().populate_obj(obj)
        point = parse_point(self.coordinates.data) if self.coordinates.data else None
        obj.latitude = point.latitude if point else None
        obj.longitude = point.longitude if point else None

    def validate_coordinates(self, field) -> None:
        if not field.data:
            return
        try:
            point = Point(*parse_pair(field.data))
        except NotAPoint:
            raise ValidationError(_l("Write the latitude and the longitude as two numbers "
                                     "separated by a comma, e.g. 41.3776, 2.1735.")) from None
        if not in_or_near_barcelona(point):
            raise ValidationError(_l("This point is not in or near Barcelona. Check that the "
                                     "latitude (about 41.4) comes first."))

class BoundariesUploadForm(FlaskForm):
    file = FileField(_l("Neighbourhood boundaries file (GeoJSON)"),
                     description=_l("Open Data BCN's barris file in WGS84, as downloaded."),
                     validators=[FileRequired(_l("Choose the file to upload."))])


class IndicatorsUploadForm(FlaskForm):
    file = FileField(_l("Need indicators file (CSV)"),
                     description=_l("Columns: neighbourhood_code, indicator, value, year, "
                                    "source. A header row first."),
                     validators=[FileRequired(_l("Choose the file to upload."))])
