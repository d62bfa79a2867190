from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workshops.extensions import db
from workshops.places.models import District


def districts_with_neighbourhoods() -> list[District]:
    """All districts in code order, each with its neighbourhoods loaded (one query each)."""
    return list(
        db.session.scalars(
            select(District).options(selectinload(District.neighbourhoods)).order_by(District.code)
        )
    )
