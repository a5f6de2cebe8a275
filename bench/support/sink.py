"""A minimal asyncio SMTP sink in its own process, so it does not compete with the sender.

    python bench/support/sink.py PORT
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import subprocess
import sys
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class _SinkProtocol(asyncio.Protocol):
    """Just enough SMTP to accept mail fast: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

    XCNT answers with the number of messages accepted so far (for the benchmark's own check);
    XDMP <path> writes "reader-number accept-time" lines for the copies accepted since the
    last XDMP (readers are reader<N>@…), so claim-to-accept latency can be joined per row.
    """

    count = 0
    accepted_ids = array("q")
    accepted_at = array("d")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = bytearray()
        self.scanned = 0
        self.in_data = False
        self.reader = -1
        self.transport.write(b"220 sink ESMTP\r\n")  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n", self.scanned)
                if end < 0:
                    self.scanned = max(0, len(self.buffer) - 4)  # do not rescan old bytes
                    break
                self.scanned = 0
                del self.buffer[:end + 5]
                self.in_data = False
                _SinkProtocol.count += 1
                _SinkProtocol.accepted_ids.append(self.reader)
                _SinkProtocol.accepted_at.append(time.time())
                out.append(b"250 2.0.0 accepted\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line = bytes(self.buffer[:end])
            del self.buffer[:end + 2]
            verb = line[:4].upper()
            if verb == b"EHLO":
                out.append(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")
            elif verb == b"DATA":
                self.in_data = True
                out.append(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                out.append(b"221 bye\r\n")
                self.transport.write(b"".join(out))  # type: ignore[attr-defined]
                self.transport.close()
                return
            elif verb == b"RCPT":
                name = line.partition(b"<reader")[2].partition(b"@")[0]
                self.reader = int(name) if name.isdigit() else -1
                out.append(b"250 OK\r\n")
            elif verb == b"XDMP":
                with open(line[5:].decode(), "w") as dump:
                    dump.writelines(f"{i} {t!r}\n" for i, t in
                                    zip(_SinkProtocol.accepted_ids, _SinkProtocol.accepted_at, strict=False))
                _SinkProtocol.accepted_ids = array("q")
                _SinkProtocol.accepted_at = array("d")
                out.append(b"250 dumped\r\n")
            elif verb == b"XCNT":
                out.append(f"250 {_SinkProtocol.count}\r\n".encode())
            else:
                out.append(b"250 OK\r\n")
        if out:
            self.transport.write(b"".join(out))  # type: ignore[attr-defined]


def run_sink(port: int) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_SinkProtocol, "127.0.0.1", port)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Sink:
    def __init__(self) -> None:
        sys.path.insert(0, str(ROOT))
        from tests.support.smtp import free_port

        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, __file__, str(self.port)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def count(self) -> int:
        with smtplib.SMTP("127.0.0.1", self.port) as conn:
            return int(conn.docmd("XCNT")[1])

    def accepted(self, scratch: Path) -> dict[int, float]:
        """Reader number → epoch seconds of acceptance, since the last call."""
        return {i: t for i, t in self.received(scratch)}

    def received(self, scratch: Path) -> list[tuple[int, float]]:
        """(reader number, epoch seconds) of every copy accepted since the last call,
        duplicates included."""
        path = scratch / "accepted.txt"
        with smtplib.SMTP("127.0.0.1", self.port) as conn:
            conn.docmd(f"XDMP {path}")
        return [(int(i), float(t)) for i, t in (line.split() for line in path.open())]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


if __name__ == "__main__":
    run_sink(int(sys.argv[1]))
