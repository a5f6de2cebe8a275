"""The fair SMTP ceiling: pre-built bytes, the engine's connection count, parallel processes.

Each child process opens one connection with the production SMTPTransport and sends the same
pre-built message to its share of recipients; no database, no message assembly. The parent
times all of them from one "go" to the last reply. Mode `submit` is what the engine does:
`transport.submit` then `drain`, copies back to back when the server offers PIPELINING (one
round trip per message); mode `send` is one message at a time (MAIL/RCPT/DATA pipelined,
then the content: two round trips), what the engine did before.

    python bench/support/ceiling.py URL COUNT OFFSET MESSAGE_FILE MODE   # one child
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SENDER = "briefing@news.example.test"


def child(url: str, count: int, offset: int, message: Path, mode: str) -> None:
    sys.path.insert(0, str(ROOT))
    from newsletter.mail.transport import SMTPTransport

    data = message.read_bytes()
    recipients = [f"reader{offset + n}@example.com" for n in range(count)]
    with SMTPTransport(url) as transport:
        transport.send(SENDER, recipients[0], data)  # connected and EHLO'd before the clock
        print("ready", flush=True)
        sys.stdin.readline()
        started, cpu = time.perf_counter(), time.process_time()
        failed = 0
        if mode == "submit" and hasattr(transport, "submit"):  # an older tree: send only
            for recipient in recipients[1:]:
                # dot_safe as the engine's copies are (this is one of them)
                failed += sum(e is not None for _, e in
                              transport.submit(SENDER, recipient, data, dot_safe=True))
            failed += sum(e is not None for _, e in transport.drain())
        else:
            for recipient in recipients[1:]:
                transport.send(SENDER, recipient, data)
        print(json.dumps({"sent": count - 1 - failed, "seconds": time.perf_counter() - started,
                          "cpu_s": time.process_time() - cpu}), flush=True)


def smtp_ceiling(url: str, data: bytes, total: int, connections: int, scratch: Path,
                 mode: str = "submit") -> dict[str, float]:
    """msg/s of `connections` processes sending `total` copies of `data` together, and
    their CPU seconds (the sink's are the caller's to read)."""
    from bench.support.procs import run_together  # the parent only; a child runs bare

    message = scratch / "ceiling.eml"
    message.write_bytes(data)
    share = total // connections + 1
    procs = [subprocess.Popen([sys.executable, __file__, url, str(share), str(10_000_000 + i * share),
                               str(message), mode], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for i in range(connections)]
    outs, seconds = run_together(procs)
    sent = sum(o["sent"] for o in outs)
    return {"sent": sent, "seconds": seconds, "msg_s": sent / seconds,
            "connections": connections, "cpu_s": sum(o["cpu_s"] for o in outs)}


if __name__ == "__main__":
    child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
