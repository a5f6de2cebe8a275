"""`make run` installs what running needs; `make test` adds the test tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _plan(target: str, tmp_path: Path) -> str:
    """What make would run for a target on a machine without a virtualenv yet (dry run)."""
    return subprocess.run(["make", "-n", target, "VENV=" + str(tmp_path / "venv")], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def test_make_run_installs_the_runtime_dependencies_only(tmp_path):
    plan = _plan("run", tmp_path)
    assert "install -e ." in plan
    assert "[test]" not in plan


def test_make_test_adds_the_test_extras(tmp_path):
    plan = _plan("test", tmp_path)
    assert "install -e '.[test]'" in plan
    assert "pytest" in plan


def test_ci_still_calls_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
