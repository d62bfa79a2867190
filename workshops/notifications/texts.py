"""Every SMS text, in the resident's language, each kept within two segments.

Texts are rendered when sent (outbox) or replied (webhook), never stored translated, so
they are always in the language the resident uses at that moment.
"""

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _

from workshops.keywords import keyword
from workshops.notifications.segments import fit
from workshops.registrations.services import issue_manage_link

SIGNATURE = "Internet 4all: "

def manage_link(registration, now: datetime) -> str:
    """A new personal link, /r/<token>, as a full address (built from PUBLIC_BASE_URL, so
    it also works outside a request). Each text that carries a link gets its own: only
    the token's hash is stored (see registrations.services.issue_manage_link), and what
    is kept of the text has the token cut out (redaction.without_link_tokens)."""
    return link_address(issue_manage_link(registration, now=now))


def link_address(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/r/{token}"


def when(instant: datetime) -> str:
    """Short local date and time in the current language, e.g. "dt. 1/12 10:00"."""
    return format_datetime(instant, "EEE d/M HH:mm")


def render(language: str, template_fn, *, shrink=("title", "venue"), **values) -> str:
    """Translate with the resident's language and fit the result in two segments."""
    with force_locale(language):
        template = SIGNATURE + template_fn()
        values = {k: (v() if callable(v) else v) for k, v in values.items()}
        return fit(template, shrink=tuple(k for k in shrink if k in values), **values)


def _next_session(workshop, now):
    upcoming = workshop.upcoming_sessions(now)
    return upcoming[0] if upcoming else workshop.sessions[-1]


def _workshop_values(registration, now):
    workshop = registration.workshop
    language = registration.resident.preferred_language
    session = _next_session(workshop, now)
    return {
        "title": workshop.title(language).text,
        "venue": workshop.venue.name,
        "when": lambda: when(session.starts_at),
        "code": workshop.public_code,
    }


def _with_link(registration, now):
    """The values of a text that carries the personal link (a new one: see manage_link)."""
    return _workshop_values(registration, now) | {"link": manage_link(registration, now)}


# Outbound messages (outbox kinds). A link takes a third of a UCS-2 message, so texts
# that carry one say little else; the others point to the keyword instead.

def _language(registration):
    return registration.resident.preferred_language


def confirmed(registration, now):
    return render(_language(registration), lambda: _(
        "place confirmed: %(title)s, %(when)s. Ref. %(reference)s %(link)s"),
        reference=registration.reference, **_with_link(registration, now))


def waitlisted(registration, now, position):
    return render(_language(registration), lambda: _(
        "%(title)s is full. You are number %(position)s on the waiting list; we will text you "
        "if a place is freed."), position=position, **_workshop_values(registration, now))


def promoted(registration, now):
    return render(_language(registration), lambda: _(
        "a place is free for you: %(title)s, %(when)s. %(link)s"),
        **_with_link(registration, now))


def reminder(registration, session, now):
    values = _workshop_values(registration, now)
    values["when"] = lambda: when(session.starts_at)
    return render(_language(registration), lambda: _(
        "tomorrow %(when)s: %(title)s, %(venue)s. Can't come? Send %(leave)s %(code)s."),
        leave=keyword("cancel", _language(registration)), **values)


def schedule_changed(registration, now):
    return render(_language(registration), lambda: _(
        "changes to %(title)s: next session %(when)s, %(venue)s. Can't come? Send %(leave)s "
        "%(code)s."), leave=keyword("cancel", _language(registration)),
        **_workshop_values(registration, now))


def workshop_cancelled(registration, now, reason):
    return render(_language(registration), lambda: _(
        "sorry, %(title)s is cancelled. %(reason)s"), shrink=("title", "reason"),
        reason=reason, title=registration.workshop.title(_language(registration)).text)


def manage_link_text(registration, now):
    return render(_language(registration), lambda: _(
        "your registration for %(title)s: %(link)s"), **_with_link(registration, now))


def follow_up_question(registration, *, again: bool):
    """The topic's own question in her language when coordinators wrote one, else the
    portal's; the numbered answers always follow (workshops.sms.commands reads them)."""
    language = _language(registration)
    workshop = registration.workshop
    own = (workshop.topic.follow_up_question_texts or {}).get(language, "").strip()

    def prefix():
        return _("Reminder:") + " " if again else ""

    if own:
        return render(language, lambda: prefix() + "%(question)s " + follow_up_answers(),
                      shrink=(), question=own)
    return render(language, lambda: prefix() + _(
        "after %(title)s, can you now do on your own what the workshop taught? Reply 1 "
        "yes, 2 partly, 3 not yet."), title=workshop.title(language).text)


def follow_up_answers() -> str:
    """The answers to a topic's own question, in the current language."""
    return _("Reply 1 yes, 2 partly, 3 not yet.")


# Messages about the resident herself.

def introduction(resident):
    """Sent before the first message to a number whose owner has never texted us: someone
    typed it on the web or at the door, so say who we are and how to stop."""
    return render(resident.preferred_language, lambda: _(
        "free digital skills workshops of Barcelona City Council. We were given this number "
        "to text you about a workshop. Not yours, or no texts wanted? Reply STOP."))


def phone_code(resident, code):
    return render(resident.preferred_language, lambda: _(
        "your code for My workshops is %(code)s. It expires in %(minutes)s minutes. If you "
        "did not ask for it, ignore this message."), shrink=(), code=code,
        minutes=current_app.config["MY_WORKSHOPS_CODE_MINUTES"])
