"""The suite's own guard: a unix socket left for the garbage collector says where it was made."""

from __future__ import annotations

import gc
import os
import socket

from tests.support import unclosed


def open_sockets() -> set[str]:
    """The sockets this process holds, as /proc names them (`socket:[inode]`)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return {name for name in found if name.startswith("socket:")}


def test_an_unclosed_unix_socket_is_closed_and_reported_with_where_it_was_made() -> None:
    def leak() -> set[str]:
        a, b = socket.socketpair()
        cycle: dict[str, object] = {"a": a, "b": b}
        cycle["self"] = cycle
        return {f"socket:[{os.fstat(s.fileno()).st_ino}]" for s in (a, b)}

    before = len(unclosed.reported)
    leaked = leak()
    assert leaked <= open_sockets()
    gc.collect()

    new = unclosed.reported[before:]
    del unclosed.reported[before:]  # made on purpose: not for the run's summary
    assert len(new) == 2 and all("in leak" in text and __file__ in text for text in new)
    assert not leaked & open_sockets()


def test_a_closed_unix_socket_is_not_reported() -> None:
    before = len(unclosed.reported)
    a, b = socket.socketpair()
    with a, b:
        pass
    del a, b
    gc.collect()
    assert unclosed.reported[before:] == []
