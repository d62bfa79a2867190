from flask import render_template, request, url_for

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.audit import bp
from workshops.audit.models import ACTION_LABELS
from workshops.audit.services import events_page
from workshops.boundary import parse_page


@bp.get("/admin/audit")
@role_required(Role.ADMIN)
def audit_log():
    result = events_page(parse_page(request.args.get("page")))

    def page_url(number: int) -> str:
        return url_for("audit.audit_log", page=number)

    return render_template("audit/log.html", result=result, page_url=page_url,
                           ACTION_LABELS=ACTION_LABELS)
