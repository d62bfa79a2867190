"""Role checks for staff routes."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from workshops.accounts.models import Role


def role_required(*roles: Role):
    """Anonymous visitors go to the login page; staff without one of `roles` get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
