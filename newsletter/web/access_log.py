"""gunicorn's access log without the secrets that ride in our URLs.

A confirm, preferences or unsubscribe URL is the reader's key to their subscription, and
a tracked link names the reader too: written to a log file they would outlive every
revocation. `newsletter run` starts gunicorn with this logger class, which replaces each
such token with `[token]` in every field of the line (request line, path, referrer, and
the header and environ atoms a custom format could use).
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

TOKEN_PATH = re.compile(r"/(confirm|preferences|unsubscribe|r)/[^/\s?#\"']+")


def redact(text: str) -> str:
    return TOKEN_PATH.sub(r"/\1/[token]", text)


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
              ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
