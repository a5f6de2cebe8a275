"""Managing editor accounts and their API tokens (the admin role's side of accounts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound, ValidationError
from ..models import ApiToken, Editor, utcnow
from ..site.pictures import picture_path, store_picture
from .text import clean_text


def list_editors(session: Session) -> list[Editor]:
    return list(session.scalars(select(Editor).order_by(Editor.active.desc(), Editor.email)))


def get_editor(session: Session, editor_id: int) -> Editor:
    editor = session.get(Editor, editor_id)
    if editor is None:
        raise NotFound(f"No editor {editor_id}.")
    return editor


def set_active(session: Session, editor_id: int, active: bool, acting: Editor) -> Editor:
    """Disable or re-enable an account; nobody can lock themselves out."""
    editor = get_editor(session, editor_id)
    if editor.id == acting.id and not active:
        raise ValidationError("You cannot disable your own account.")
    editor.active = active
    if not active:
        editor.session_version += 1  # signed in anywhere: signed out everywhere
        for token in editor.tokens:  # a disabled account's tokens stop working for good
            token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return editor


def list_tokens(session: Session, editor: Editor) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).where(ApiToken.editor_id == editor.id).order_by(ApiToken.created_at.desc())
    ))


def revoke_token(session: Session, editor: Editor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.editor_id != editor.id:
        raise NotFound(f"No token {token_id}.")
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def update_profile(session: Session, editor: Editor, name: str, picture: bytes | None = None,
                   remove_picture: bool = False) -> Editor:
    """The name and picture shown as "Curated by" on the updates this editor writes from now on
    (sent emails keep what they said)."""
    editor.name = clean_text(name, "name", max_len=120, required=False)
    if picture:
        editor.avatar_url = picture_path(store_picture(session, picture))
    elif remove_picture:
        editor.avatar_url = None
    session.flush()
    return editor
