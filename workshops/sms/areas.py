"""Finding a neighbourhood or district from what someone typed: "nou barris", "raval",
"Trinitat Nova", "sant andreu de palomar"."""

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workshops.extensions import db
from workshops.places.models import District, Neighbourhood
from workshops.sms.commands import fold

ARTICLES = re.compile(r"\b(EL|LA|LES|ELS|L|LOS|LAS|DE|DEL|D|I|Y)\b")


def _key(name: str) -> str:
    folded = fold(name).replace("'", " ").replace("’", " ").replace("-", " ")
    return " ".join(ARTICLES.sub(" ", folded).split())


def match_area(text: str) -> Neighbourhood | District | None:
    wanted = _key(text)
    if len(wanted) < 3:
        return None
    districts = db.session.scalars(
        select(District).options(selectinload(District.neighbourhoods))).all()
    neighbourhoods = [n for d in districts for n in d.neighbourhoods]
    for candidates in (neighbourhoods, districts):  # exact names first
        for place in candidates:
            if _key(place.name) == wanted:
                return place
    for candidates in (districts, neighbourhoods):  # then the first containing the words
        for place in candidates:
            if wanted in _key(place.name):
                return place
    return None
