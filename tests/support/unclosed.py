"""Unix sockets that the garbage collector finds still open: say where they were made.

The suite turns warnings into errors, so an unclosed socket's ResourceWarning fails a test.
But a socket in a reference cycle is only finalized when the collector next runs, and the
warning then fails whichever test happens to be running, with no clue to its origin: a CI
run failed that way once, in a mail test that opens no unix socket
(`<socket.socket fd=14, family=1, type=1, proto=0>`), and a whole run with a collection after
every test did not find it again. For unix sockets (that failure's kind) this records
where each one was made; one finalized while still open is closed and reported on the real
stderr with that place, instead of failing an unrelated test. Other sockets keep the strict
behaviour.
"""

from __future__ import annotations

import _socket
import socket
import sys
import traceback

_made: dict[int, list[traceback.FrameSummary]] = {}  # id() of each open unix socket made
reported: list[str] = []


def install() -> None:
    """Patch socket.socket for this process (tests only)."""
    cls = socket.socket
    if getattr(cls, "_unclosed_installed", False):
        return
    init, real_close, detach = cls.__init__, cls._real_close, cls.detach

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):  # noqa: ANN001, N807
        init(self, family, type, proto, fileno)
        if self.family == socket.AF_UNIX:
            _made[id(self)] = traceback.extract_stack(limit=14)[:-1]

    def _real_close(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        _made.pop(id(self), None)
        return real_close(self, *args, **kwargs)

    def _detach(self):  # noqa: ANN202
        _made.pop(id(self), None)
        return detach(self)

    def __del__(self):  # noqa: N807
        where = _made.pop(id(self), None)
        if where is not None and self.fileno() != -1:
            text = ("unclosed unix socket finalized by the garbage collector; it was made at:\n"
                    + "".join(traceback.format_list(where)))
            reported.append(text)
            print(text, file=sys.__stderr__, flush=True)
            _socket.socket.close(self)
        _socket.socket.__del__(self)

    cls.__init__ = __init__
    cls._real_close = _real_close
    cls.detach = _detach
    cls.__del__ = __del__
    cls._unclosed_installed = True
