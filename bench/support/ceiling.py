"""The fair SMTP ceiling: pre-built bytes, the engine's connection count, parallel processes.

Each child process opens one connection with the production SMTPTransport (which pipelines
MAIL/RCPT/DATA when the server offers PIPELINING) and sends the same pre-built message to
its share of recipients; no database, no message assembly. The parent times all of them
from one "go" to the last reply.

    python bench/support/ceiling.py URL COUNT OFFSET MESSAGE_FILE   # one child
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SENDER = "briefing@news.example.test"


def child(url: str, count: int, offset: int, message: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from newsletter.mail.transport import SMTPTransport

    data = message.read_bytes()
    recipients = [f"reader{offset + n}@example.com" for n in range(count)]
    with SMTPTransport(url) as transport:
        transport.send(SENDER, recipients[0], data)  # connected and EHLO'd before the clock
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        for recipient in recipients[1:]:
            transport.send(SENDER, recipient, data)
        print(json.dumps({"sent": count - 1, "seconds": time.perf_counter() - started}), flush=True)


def smtp_ceiling(url: str, data: bytes, total: int, connections: int, scratch: Path
                 ) -> dict[str, float]:
    """msg/s of `connections` processes sending `total` copies of `data` together."""
    from bench.support.procs import run_together  # the parent only; a child runs bare

    message = scratch / "ceiling.eml"
    message.write_bytes(data)
    share = total // connections + 1
    procs = [subprocess.Popen([sys.executable, __file__, url, str(share), str(10_000_000 + i * share),
                               str(message)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) for i in range(connections)]
    outs, seconds = run_together(procs)
    sent = sum(o["sent"] for o in outs)
    return {"sent": sent, "seconds": seconds, "msg_s": sent / seconds,
            "connections": connections}


if __name__ == "__main__":
    child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
