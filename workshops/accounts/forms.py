from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from workshops.accounts.models import Role
from workshops.forms import MultiCheckboxField, language_choices
from workshops.i18n import default_language

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ORGANISER: _l("Organiser"),
    Role.FACILITATOR: _l("Facilitator"),
}


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter your email.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField(validators=[Length(max=2000)])


class StaffUserForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
    )
    preferred_language = SelectField(_l("Language"), choices=language_choices,
                                     default=default_language)


class NewStaffUserForm(StaffUserForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter the person's email.")),
            Email(_l("Enter a valid email address, like name@example.org.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(_l("Enter an initial password.")), Length(max=1024)],
        description=_l("At least 12 characters. Give it to the person in private."),
        render_kw={"autocomplete": "new-password"},
    )


class EditStaffUserForm(StaffUserForm):
    active = BooleanField(_l("Active (can sign in)"))
    new_password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(max=1024)],
        description=_l("Leave empty to keep the current password."),
        render_kw={"autocomplete": "new-password"},
    )


class AccountForm(FlaskForm):
    preferred_language = SelectField(_l("Language"), choices=language_choices)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password.")), Length(max=1024)],
        description=_l("At least 12 characters."),
        render_kw={"autocomplete": "new-password"},
    )
