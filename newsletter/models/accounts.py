"""Editors who curate and send, and the API tokens they use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .statuses import EditorRole


class Editor(Base):
    """An editor; also what the admin's login (flask-login) keeps as the current user.

    The four members flask-login reads (`get_id`, `is_active`, `is_authenticated`,
    `is_anonymous`) are plain Python here, so the models import no Flask; editors are
    compared by id wherever it matters, never with `==` on the objects.
    """

    __tablename__ = "editor"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    avatar_url: Mapped[str | None] = mapped_column(String(2000))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=EditorRole.EDITOR)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the login cookie; raising it (logout, disable, new password) ends every session.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="editor")

    def get_id(self) -> str:
        """What the login cookie holds: the id and the session version it was issued for."""
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login: disabled editors cannot log in
        return self.active

    @property
    def is_authenticated(self) -> bool:  # a disabled editor's old session no longer counts
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_admin(self) -> bool:
        return self.role == EditorRole.ADMIN

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("editor.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    editor: Mapped[Editor] = relationship(back_populates="tokens")
