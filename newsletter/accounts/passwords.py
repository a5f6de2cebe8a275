"""Which passwords an editor may choose.

Length alone lets "password1234" through. zxcvbn (a maintained port of Dropbox's
estimator) carries frequency lists of leaked passwords, names and words and knows the
usual variations (l33t, years, keyboard runs); a password it can guess within about a
million tries, or that leans on the editor's own email or name, is refused with its
advice. We keep no list of our own.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from ..errors import ValidationError

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MIN_SCORE = 2  # zxcvbn: 0-1 fall to an online guessing attack, 2 needs ~1e6+ guesses
_CHECKED = 72  # zxcvbn's own input limit; longer passwords are judged by their start


def _hints(value: str) -> list[str]:
    """An address or name and its pieces: maria.lopez@x.org -> maria, lopez, marialopez, x…"""
    local = value.split("@", 1)[0]
    words = value.replace("@", " ").replace(".", " ").replace("-", " ").replace("_", " ").split()
    return [value, local, "".join(c for c in local if c.isalnum()), *words]


def check_new_password(password: str, *, field: str = "password",
                       personal: tuple[str, ...] = ()) -> None:
    """ValidationError (naming `field`) unless the password is long and not guessable."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Password needs at least {MIN_PASSWORD} characters.", field=field)
    if len(password) > MAX_PASSWORD:
        raise ValidationError("Password is too long.", field=field)
    hints = [hint for value in personal if value for hint in _hints(value)]
    result = zxcvbn(password[:_CHECKED], user_inputs=hints)
    if result["score"] < MIN_SCORE:
        warning = result["feedback"].get("warning") or "It is too easy to guess."
        raise ValidationError(
            f"Choose a less common password. {warning} A few unrelated words work well.",
            field=field)
