from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf


class PriorityForm(FlaskForm):
    priority = HiddenField(validators=[AnyOf(["0", "1"])])
