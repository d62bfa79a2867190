import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workshops.db_types import UTCDateTime, str_enum, utcnow
from workshops.extensions import db
from workshops.i18n import default_language


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"


class User(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    preferred_language: Mapped[str] = mapped_column(String(2), default=default_language)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Secret part of the facilitator's private calendar feed URL; replacing it revokes the old URL.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    role_grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.role_grants}

    def set_roles(self, roles) -> None:
        wanted = {Role(r) for r in roles}
        self.role_grants = [g for g in self.role_grants if g.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_grants.append(RoleGrant(role=role))

    def has_role(self, *roles: Role) -> bool:
        """Admins pass every role check; others need one of `roles`."""
        held = self.roles
        return Role.ADMIN in held or any(role in held for role in roles)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RoleGrant(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role))

    user: Mapped[User] = relationship(back_populates="role_grants")


class StaffSession(db.Model):
    """One signed-in browser. Its Flask session holds a random token, this row the token's
    hash: deleting the row signs that browser out, whoever holds a copy of its cookie."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship()
