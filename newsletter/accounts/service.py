"""Editor accounts: argon2 password hashes and API tokens stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..editorial.text import clean_text
from ..errors import Conflict, NotFound, ValidationError
from ..models import ApiToken, Editor, EditorRole, utcnow
from ..subscribers.addresses import normalize_email
from .passwords import check_new_password

_hasher = PasswordHasher()
_dummy: tuple[PasswordHasher, str] | None = None


def _dummy_hash() -> str:
    """A hash made with the current hasher's parameters, for addresses with no editor.

    Verifying against it keeps the time of "no such editor" like a wrong password. It is
    made on first use (not at import) and again if the hasher was swapped.
    """
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("not-a-real-password"))
    return _dummy[1]


def create_editor(session: Session, email: str, password: str, *, name: str = "",
                  role: str = EditorRole.EDITOR) -> Editor:
    address = normalize_email(email).lower()
    check_new_password(password, personal=(address, name))
    if role not in set(EditorRole):
        raise ValidationError("Role must be admin or editor.", field="role")
    if session.scalar(select(Editor.id).where(func.lower(Editor.email) == address)):
        raise Conflict(f"An editor {address} already exists.", field="email")
    name = clean_text(name, "name", max_len=120, required=False)
    editor = Editor(email=address, name=name, role=role,
                    password_hash=_hasher.hash(password))
    session.add(editor)
    session.flush()
    return editor


def has_editors(session: Session) -> bool:
    """Whether anyone can log in yet (`newsletter run` creates the first admin otherwise)."""
    return session.scalar(select(Editor.id).limit(1)) is not None


def authenticate(session: Session, email: str, password: str) -> Editor | None:
    editor = session.scalar(
        select(Editor).where(func.lower(Editor.email) == (email or "").strip().lower())
    )
    try:
        _hasher.verify(editor.password_hash if editor else _dummy_hash(), password or "")
    except (VerificationError, InvalidHashError):
        return None
    if editor is None or not editor.active:
        return None
    if _hasher.check_needs_rehash(editor.password_hash):
        editor.password_hash = _hasher.hash(password)
    return editor


def end_sessions(editor: Editor) -> None:
    """Every login cookie issued so far stops working (logout, disable, new password)."""
    editor.session_version += 1


def change_password(session: Session, editor: Editor, current: str, new: str) -> Editor:
    """The editor's own change: needs the current password; ends their other sessions."""
    try:
        _hasher.verify(editor.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise ValidationError("Your current password is not right.", field="current_password") \
            from None
    if new == current:
        raise ValidationError("Choose a password different from the current one.",
                              field="new_password")
    return _set_password(session, editor, new)


def reset_password(session: Session, editor_id: int, new: str, acting: Editor) -> Editor:
    """An admin sets someone's password (a forgotten one, or a suspected leak)."""
    if not acting.is_admin:
        raise ValidationError("Only an admin can reset a password.")
    editor = session.get(Editor, editor_id)
    if editor is None:
        raise NotFound(f"No editor {editor_id}.")
    return _set_password(session, editor, new)


def _set_password(session: Session, editor: Editor, new: str) -> Editor:
    check_new_password(new, field="new_password", personal=(editor.email, editor.name))
    editor.password_hash = _hasher.hash(new)
    end_sessions(editor)
    session.flush()
    return editor


def get_editor_by_email(session: Session, email: str) -> Editor:
    editor = session.scalar(
        select(Editor).where(func.lower(Editor.email) == (email or "").strip().lower())
    )
    if editor is None:
        raise NotFound(f"No editor {email}.")
    return editor


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, editor: Editor, name: str = "") -> str:
    """The token is shown once; only its hash is stored."""
    token = "nl_" + secrets.token_urlsafe(32)
    session.add(ApiToken(editor_id=editor.id, token_hash=_digest(token), name=name[:120]))
    session.flush()
    return token


def editor_for_token(session: Session, token: str) -> Editor | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.editor.active:
        return None
    row.last_used_at = utcnow()
    return row.editor
