"""`newsletter bounces classify PATH…`: JSON lines for files and folders, nothing stored."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from newsletter.models import Subscriber

from .samples import FIXTURES


def test_classify_prints_one_json_line_per_file_in_a_folder(runner):
    result = runner.invoke(args=["bounces", "classify", str(FIXTURES / "own")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    files = sorted(p for p in (FIXTURES / "own").iterdir() if p.is_file())
    assert [line["file"] for line in lines] == [str(p) for p in files]
    by_name = {line["file"].rsplit("/", 1)[1]: line for line in lines}
    assert by_name["qmail_nomailbox.txt"]["recipients"] == [
        {"address": "missing@example.org", "status": "5.1.1", "hard": True, "reason": "userunknown"}]
    assert by_name["arf_complaint.txt"]["kind"] == "complaint"


def test_classify_changes_nothing(runner, db):
    db.add(Subscriber(email="missing@example.org", email_key="missing@example.org", status="active"))
    db.commit()
    result = runner.invoke(args=["bounces", "classify", str(FIXTURES / "own" / "qmail_nomailbox.txt")])
    assert result.exit_code == 0
    db.expire_all()
    assert db.scalar(select(Subscriber.status)) == "active"
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_classify_reports_an_unreadable_path_and_goes_on(runner, tmp_path):
    good = FIXTURES / "own" / "gmail_userunknown.txt"
    result = runner.invoke(args=["bounces", "classify", str(tmp_path / "missing.eml"), str(good)])
    assert result.exit_code == 1
    assert "cannot read" in result.output
    assert '"gone.reader@gmail.com"' in result.output
