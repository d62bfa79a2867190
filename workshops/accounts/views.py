from datetime import datetime
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from workshops.accounts import bp
from workshops.accounts.access import role_required
from workshops.accounts.forms import (
    ROLE_LABELS,
    AccountForm,
    ChangePasswordForm,
    EditStaffUserForm,
    LoginForm,
    NewStaffUserForm,
)
from workshops.accounts.models import Role, User
from workshops.accounts.services import (
    AccountError,
    authenticate,
    change_own_password,
    create_user,
    update_user,
)
from workshops.accounts.sessions import (
    SESSION_KEY,
    end_all_sessions,
    end_session,
    session_user,
    start_session,
)
from workshops.clock import utcnow
from workshops.errors import TooManyRequests
from workshops.extensions import db, login_manager
from workshops.forms import ActionForm
from workshops.services import service_call

# Which field of the staff forms shows each AccountError (the password field shows the rest).
ERROR_FIELDS = {
    "invalid_email": "email",
    "email_taken": "email",
    "name_missing": "name",
    "name_too_long": "name",
    "unknown_language": "preferred_language",
    "no_roles": "roles",
    "last_admin": "roles",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of this browser's staff session, if the session is still open."""
    user = session_user(session.get(SESSION_KEY), now=utcnow())
    return user if user is not None and user.get_id() == user_id else None


def sign_in_this_browser(user: User, *, now: datetime) -> None:
    """Open a staff session for `user` in a fresh Flask session (nothing from before
    carries over), and commit."""
    token = start_session(user, now=now)
    db.session.commit()
    session.clear()
    session[SESSION_KEY] = token
    login_user(user)


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def landing_page(user: User) -> str:
    """Staff who only facilitate land on their sessions; everyone else on the staff home."""
    if user.roles == {Role.FACILITATOR}:
        return url_for("attendance.today")
    return url_for("accounts.staff_home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("accounts.staff_home"))
    if form.validate_on_submit():
        now = utcnow()
        try:
            user = authenticate(
                form.email.data, form.password.data, address=request.remote_addr or "", now=now
            )
        except AccountError as error:
            # Not service_call: a refused sign-in is counted, and keeping that count is
            # what this request writes.
            db.session.commit()
            if error.code == "too_many_attempts":
                raise TooManyRequests(error.retry_after_seconds) from None
            form.password.errors.append(error.message)
        else:
            sign_in_this_browser(user, now=now)
            target = form.next.data
            return redirect(target if is_safe_next(target) else landing_page(user))
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out this browser; with `everywhere=1` (the account page's button), every browser
    of the user. One URL for both, so the tablet's service worker forgets what it kept."""
    everywhere = request.form.get("everywhere") == "1"
    if everywhere:
        end_all_sessions(current_user)
    else:
        end_session(session.get(SESSION_KEY))
    db.session.commit()
    logout_user()
    session.clear()
    if everywhere:
        flash(_("You have signed out on every device, this one included."), "success")
    else:
        flash(_("You have signed out."), "success")
    return redirect(url_for("home.home"))


@bp.get("/staff")
@login_required
def staff_home():
    return render_template("accounts/staff_home.html")


def _password_error_field(error: AccountError) -> str:
    return "current_password" if error.code == "invalid_credentials" else "new_password"


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user, prefix="account")
    password_form = ChangePasswordForm(prefix="password")
    status = 200
    if request.method == "POST" and "account-preferred_language" in request.form:
        if form.validate():
            current_user.preferred_language = form.preferred_language.data
            db.session.commit()
            flash(_("Your language has been saved."), "success")
            return redirect(url_for("accounts.account", lang=form.preferred_language.data))
        status = 422
    elif request.method == "POST":
        if password_form.validate():
            with service_call(password_form, field_for=_password_error_field) as call:
                change_own_password(
                    current_user,
                    current_password=password_form.current_password.data,
                    new_password=password_form.new_password.data,
                )
                sign_in_this_browser(current_user._get_current_object(), now=utcnow())
            if call.succeeded:
                flash(_("Your password has been changed. Other devices have been signed out."),
                      "success")
                return redirect(url_for("accounts.account"))
        status = 422
    return render_template(
        "accounts/account.html", form=form, password_form=password_form,
        everywhere_form=ActionForm(prefix="everywhere"), ROLE_LABELS=ROLE_LABELS
    ), status


@bp.get("/admin/users")
@role_required(Role.ADMIN)
def user_list():
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("accounts/user_list.html", users=users, ROLE_LABELS=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    form = NewStaffUserForm()
    if form.validate_on_submit():
        with service_call(
                form, field_for=lambda error: ERROR_FIELDS.get(error.code, "password")) as call:
            user = create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                roles=form.roles.data,
                preferred_language=form.preferred_language.data,
            )
        if call.succeeded:
            flash(_("Staff account created for %(name)s.", name=user.name), "success")
            return redirect(url_for("accounts.user_list"))
    status = 422 if form.errors else 200
    return render_template("accounts/user_form.html", form=form, user=None), status


def _edit_error_field(form: EditStaffUserForm, error: AccountError) -> str:
    if error.code == "self_lockout":
        return "roles" if form.active.data else "active"
    return ERROR_FIELDS.get(error.code, "new_password")


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = EditStaffUserForm(obj=user)
    if request.method == "GET":
        form.roles.data = sorted(role.value for role in user.roles)
    if form.validate_on_submit():
        with service_call(form, field_for=lambda error: _edit_error_field(form, error)) as call:
            update_user(
                user,
                acting_user=current_user,
                name=form.name.data,
                roles=form.roles.data,
                preferred_language=form.preferred_language.data,
                active=form.active.data,
                new_password=form.new_password.data or "",
            )
        if call.succeeded:
            flash(_("Changes to %(name)s saved.", name=user.name), "success")
            return redirect(url_for("accounts.user_list"))
    status = 422 if form.errors else 200
    return render_template("accounts/user_form.html", form=form, user=user), status
