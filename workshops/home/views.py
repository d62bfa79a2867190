from flask import render_template

from workshops.catalogue.directory import directory
from workshops.catalogue.public_views import next_workshop_cards
from workshops.db_types import utcnow
from workshops.home import bp
from workshops.home.contact import (
    ACCESSIBILITY_STATEMENT_PREPARED,
    ACCESSIBILITY_STATEMENT_REVIEWED,
)
from workshops.i18n import current_language
from workshops.keywords import public_sms_number, register_instruction
from workshops.pagecache import cached_for_visitors


@bp.get("/")
@cached_for_visitors
def home():
    lang = current_language()
    return render_template(
        "home/home.html", neighbourhood_options=directory().neighbourhood_options,
        cards=next_workshop_cards(lang), lang=lang, now=utcnow(), sms_number=public_sms_number(),
        sms_example=register_instruction("123", lang))


@bp.get("/accessibility")
def accessibility():
    return render_template("home/accessibility.html",
                           prepared=ACCESSIBILITY_STATEMENT_PREPARED,
                           reviewed=ACCESSIBILITY_STATEMENT_REVIEWED)
