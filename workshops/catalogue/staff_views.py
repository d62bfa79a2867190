"""Organisers' and coordinators' pages: their workshops, sessions and the topic list."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workshops.accounts.access import role_required
from workshops.accounts.models import Role
from workshops.catalogue import bp
from workshops.catalogue import services as catalogue
from workshops.catalogue.forms import CancelForm, SessionsForm, TopicForm, WorkshopForm
from workshops.catalogue.local_time import to_local
from workshops.catalogue.models import Session, Topic, Workshop
from workshops.catalogue.staff_forms_support import (
    details_from_form,
    fill_choices,
    fill_from_workshop,
    slots_from_form,
)
from workshops.db_types import utcnow
from workshops.extensions import db
from workshops.forms import ActionForm, translated_data, translated_form
from workshops.i18n import current_language
from workshops.services import service_call

PUBLISHERS = (Role.ORGANISER, Role.COORDINATOR)


def editable_workshop(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id) or abort(404)
    if not catalogue.can_edit(current_user, workshop):
        abort(403)
    return workshop


@bp.get("/staff/workshops")
@role_required(*PUBLISHERS)
def my_workshops():
    show_all = current_user.has_role(Role.COORDINATOR) and request.args.get("mine") != "1"
    query = (select(Workshop)
             .options(selectinload(Workshop.venue), selectinload(Workshop.topic),
                      selectinload(Workshop.organiser))
             .order_by(Workshop.first_session_starts_at.desc().nulls_first(), Workshop.id.desc()))
    if not show_all:
        query = query.where(Workshop.organiser_id == current_user.id)
    now = utcnow()
    workshops = db.session.scalars(query).all()
    current = [w for w in workshops if not w.is_over(now)]
    past = [w for w in workshops if w.is_over(now)]
    return render_template("catalogue/staff/list.html", current=current, past=past,
                           show_all=show_all, now=now, lang=current_language())


@bp.route("/staff/workshops/new", methods=["GET", "POST"])
@role_required(*PUBLISHERS)
def new_workshop():
    form = translated_form(WorkshopForm, prefix="w")
    sessions_form = SessionsForm(prefix="s")
    fill_choices(form)
    if request.method == "POST":
        form_ok = form.validate()
        sessions_ok = sessions_form.validate()
        if form_ok and sessions_ok:
            with service_call(form, sessions_form) as call:
                workshop = catalogue.create_workshop(
                    details_from_form(form), organiser=current_user._get_current_object(),
                    slots=slots_from_form(sessions_form), now=utcnow())
            if call.succeeded:
                flash(_("Workshop saved as a draft with the SMS code %(code)s. "
                        "Check it and publish it when ready.", code=workshop.public_code),
                      "success")
                return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop.id))
    status = 422 if form.errors or sessions_form.errors else 200
    return render_template("catalogue/staff/form.html", form=form,
                           sessions_form=sessions_form, workshop=None), status


@bp.get("/staff/workshops/<int:workshop_id>")
@role_required(*PUBLISHERS)
def manage_workshop(workshop_id: int):
    workshop = editable_workshop(workshop_id)
    return _render_manage(workshop, SessionsForm(prefix="s"))


def _render_manage(workshop: Workshop, sessions_form: SessionsForm, status: int = 200):
    return render_template(
        "catalogue/staff/manage.html", workshop=workshop, sessions_form=sessions_form,
        now=utcnow(), lang=current_language(),
    ), status


@bp.route("/staff/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@role_required(*PUBLISHERS)
def edit_workshop(workshop_id: int):
    workshop = editable_workshop(workshop_id)
    form = translated_form(WorkshopForm, prefix="w")
    fill_choices(form, workshop)
    if request.method == "GET":
        fill_from_workshop(form, workshop)
    elif form.validate():
        with service_call(form) as call:
            catalogue.update_workshop(workshop, details_from_form(form), now=utcnow())
        if call.succeeded:
            flash(_("Changes saved."), "success")
            return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop.id))
    status = 422 if form.errors else 200
    return render_template("catalogue/staff/form.html", form=form, sessions_form=None,
                           workshop=workshop), status


@bp.post("/staff/workshops/<int:workshop_id>/sessions")
@role_required(*PUBLISHERS)
def add_sessions(workshop_id: int):
    workshop = editable_workshop(workshop_id)
    form = SessionsForm(prefix="s")
    if form.validate():
        with service_call(form) as call:
            added = catalogue.add_sessions(workshop, slots_from_form(form), now=utcnow())
        if call.succeeded:
            flash(ngettext("%(num)s session added.", "%(num)s sessions added.", len(added)),
                  "success")
            return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop.id,
                                    _anchor="sessions"))
    return _render_manage(workshop, form, 422)


@bp.route("/staff/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(*PUBLISHERS)
def edit_session(session_id: int):
    session = db.session.get(Session, session_id) or abort(404)
    workshop = editable_workshop(session.workshop_id)
    form = SessionsForm(prefix="s")
    if request.method == "GET":
        local_start, local_end = to_local(session.starts_at), to_local(session.ends_at)
        form.date.data = local_start.date()
        form.start_time.data = local_start.time()
        form.end_time.data = local_end.time()
    elif form.validate():
        form.repeat.data = "once"
        with service_call(form) as call:
            catalogue.move_session(session, slots_from_form(form)[0], now=utcnow())
        if call.succeeded:
            flash(_("Session changed."), "success")
            return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop.id,
                                    _anchor="sessions"))
    status = 422 if form.errors else 200
    return render_template("catalogue/staff/session_form.html", form=form, session=session,
                           workshop=workshop, lang=current_language()), status


@bp.post("/staff/sessions/<int:session_id>/delete")
@role_required(*PUBLISHERS)
def delete_session(session_id: int):
    session = db.session.get(Session, session_id) or abort(404)
    workshop = editable_workshop(session.workshop_id)
    _check_action_form()
    with service_call() as call:
        catalogue.remove_session(session, now=utcnow())
    if call.succeeded:
        flash(_("Session removed."), "success")
    return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop.id,
                            _anchor="sessions"))


def _check_action_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _workshop_action(workshop_id: int, action, success_message: str):
    workshop = editable_workshop(workshop_id)
    _check_action_form()
    with service_call() as call:
        action(workshop, now=utcnow())
    if call.succeeded:
        flash(success_message, "success")
    return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop_id))


@bp.post("/staff/workshops/<int:workshop_id>/publish")
@role_required(*PUBLISHERS)
def publish_workshop(workshop_id: int):
    return _workshop_action(workshop_id, catalogue.publish,
                            _("Published: residents can now find it and sign up."))


@bp.post("/staff/workshops/<int:workshop_id>/unpublish")
@role_required(*PUBLISHERS)
def unpublish_workshop(workshop_id: int):
    return _workshop_action(workshop_id, catalogue.unpublish,
                            _("Unpublished: it is a draft again and no longer public."))


@bp.post("/staff/workshops/<int:workshop_id>/duplicate")
@role_required(*PUBLISHERS)
def duplicate_workshop(workshop_id: int):
    workshop = editable_workshop(workshop_id)
    _check_action_form()
    with service_call() as call:  # refused when no SMS code is free
        copy = catalogue.duplicate(workshop, organiser=current_user._get_current_object(),
                                   now=utcnow())
    if not call.succeeded:
        return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop.id), 303)
    flash(_("Copy created as a draft with the SMS code %(code)s. Add its sessions.",
            code=copy.public_code), "success")
    return redirect(url_for("catalogue.manage_workshop", workshop_id=copy.id))


@bp.route("/staff/workshops/<int:workshop_id>/cancel", methods=["GET", "POST"])
@role_required(*PUBLISHERS)
def cancel_workshop(workshop_id: int):
    workshop = editable_workshop(workshop_id)
    form = CancelForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            catalogue.cancel(workshop, reason=form.reason.data, now=utcnow())
        if call.succeeded:
            flash(_("The workshop is cancelled."), "success")
            return redirect(url_for("catalogue.manage_workshop", workshop_id=workshop.id))
    status = 422 if form.errors else 200
    return render_template("catalogue/staff/cancel.html", form=form, workshop=workshop,
                           lang=current_language()), status


@bp.get("/staff/topics")
@role_required(Role.COORDINATOR)
def topics():
    all_topics = db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)).all()
    return render_template("catalogue/staff/topics.html", topics=all_topics,
                           lang=current_language())


@bp.route("/staff/topics/new", methods=["GET", "POST"])
@bp.route("/staff/topics/<int:topic_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit_topic(topic_id: int | None = None):
    topic = (db.session.get(Topic, topic_id) or abort(404)) if topic_id else None
    form = translated_form(TopicForm, obj=topic)
    if request.method == "GET" and topic is not None:
        form.active.data = "1" if topic.active else "0"
    if form.validate_on_submit():
        if topic is None:
            topic = Topic(key=f"custom-{utcnow():%Y%m%d%H%M%S%f}", position=1000)
            db.session.add(topic)
        topic.name_texts = translated_data(form, "name")
        topic.follow_up_question_texts = translated_data(form, "follow_up_question")
        topic.active = form.active.data == "1"
        db.session.commit()
        flash(_("Topic saved."), "success")
        return redirect(url_for("catalogue.topics"))
    status = 422 if form.errors else 200
    return render_template("catalogue/staff/topic_form.html", form=form, topic=topic), status
