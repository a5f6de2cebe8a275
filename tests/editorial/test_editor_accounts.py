"""Disabling editors: never yourself, and their API tokens stop working for good."""

from __future__ import annotations

import pytest

from newsletter.accounts.service import editor_for_token
from newsletter.editorial.editors import set_active
from newsletter.errors import ValidationError
from tests.factories import make_editor, make_token


def test_disabling_an_editor_revokes_their_tokens_even_after_re_enabling(db):
    admin = make_editor(db, role="admin")
    editor = make_editor(db)
    token = make_token(db, editor)
    set_active(db, editor.id, False, admin)
    set_active(db, editor.id, True, admin)
    assert editor_for_token(db, token) is None


def test_nobody_can_disable_themselves(db):
    admin = make_editor(db, role="admin")
    with pytest.raises(ValidationError):
        set_active(db, admin.id, False, admin)
    assert admin.active
