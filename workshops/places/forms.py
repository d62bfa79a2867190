from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length


class PriorityForm(FlaskForm):
    priority = HiddenField(validators=[AnyOf(["0", "1"])])


class VenueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the venue's name.")),
                                               Length(max=200)])
    address = StringField(_l("Address"), validators=[
        DataRequired(_l("Enter the street address.")), Length(max=300)])
    neighbourhood_id = SelectField(_l("Neighbourhood"), coerce=int,
                                validators=[InputRequired(_l("Choose the neighbourhood."))])
    directions_ca = TextAreaField(_l("How to get there, in Catalan"),
                                  validators=[Length(max=1000)])
    directions_es = TextAreaField(_l("How to get there, in Spanish"),
                                  validators=[Length(max=1000)])
    directions_en = TextAreaField(_l("How to get there, in English"),
                                  validators=[Length(max=1000)])
    step_free_access = BooleanField(_l("Step-free access"))
    accessible_toilet = BooleanField(_l("Accessible toilet"))
    hearing_loop = BooleanField(_l("Hearing loop"))
    childcare = BooleanField(_l("Childcare during the session"))
    devices_lent = BooleanField(_l("Devices lent on site"))
    free_wifi = BooleanField(_l("Free wifi"))
