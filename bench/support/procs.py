"""Start measured processes together: each prints "ready" once set up, then all get "go" at
once, so start-up (imports, connections) is never part of the timed send."""

from __future__ import annotations

import json
import subprocess
import time


def run_together(procs: list[subprocess.Popen[str]]) -> tuple[list[dict], float]:
    """The last JSON line each process printed, and the seconds from "go" to the last exit."""
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    began = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outs = [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]
    return outs, time.perf_counter() - began
