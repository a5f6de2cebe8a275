"""Editors' passwords are stored as argon2 hashes with the library's production parameters.

Every other test hashes with tiny parameters (tests/conftest.py); this one does not.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters

from newsletter.accounts.service import authenticate
from tests.factories import make_editor
from tests.support.admin import PASSWORD


@pytest.mark.production_argon2
def test_editor_passwords_are_hashed_with_production_argon2_parameters(db):
    editor = make_editor(db, "strong@newsroom.example")
    db.commit()
    stored = extract_parameters(editor.password_hash)
    production = PasswordHasher()
    assert (stored.type, stored.time_cost, stored.memory_cost, stored.parallelism) == (
        production.type, production.time_cost, production.memory_cost, production.parallelism)
    assert stored.memory_cost >= 64 * 1024  # what RFC 9106's low-memory profile asks for
    assert authenticate(db, "strong@newsroom.example", PASSWORD) == editor
    assert authenticate(db, "strong@newsroom.example", "not the password") is None
