"""The `newsletter` command: clear messages and exit codes, never a traceback."""

from __future__ import annotations

from sqlalchemy import func, select

from newsletter.models import Editor, Topic, TopicUpdate


def test_create_editor_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(args=["create-editor", "Ed@Example.com", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    editor = db.scalar(select(Editor))
    assert editor.email == "ed@example.com"
    assert "a long enough password" not in editor.password_hash


def test_create_editor_without_password_stdin_explains_itself(runner, db):
    result = runner.invoke(args=["create-editor", "ed@example.com"])
    assert result.exit_code == 2
    assert "--password-stdin" in result.output
    assert db.scalar(select(func.count()).select_from(Editor)) == 0


def test_create_editor_with_short_password_fails_cleanly(runner, db):
    result = runner.invoke(args=["create-editor", "ed@example.com", "--password-stdin"],
                           input="short\n")
    assert result.exit_code == 2
    assert "Error: Password needs at least" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_create_editor_twice_is_a_conflict(runner):
    args = ["create-editor", "ed@example.com", "--password-stdin"]
    assert runner.invoke(args=args, input="a long enough password\n").exit_code == 0
    result = runner.invoke(args=args, input="a long enough password\n")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_create_token_prints_a_token_that_opens_the_api(runner, client):
    runner.invoke(args=["create-editor", "ed@example.com", "--password-stdin"],
                  input="a long enough password\n")
    result = runner.invoke(args=["create-token", "ed@example.com"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert client.get("/api/v1/topics",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_create_token_for_unknown_editor_fails_cleanly(runner):
    result = runner.invoke(args=["create-token", "ghost@example.com"])
    assert result.exit_code == 1
    assert "No editor" in result.output


def test_demo_loads_the_example_update_once(runner, db):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert db.scalar(select(func.count()).select_from(Topic)) == 5
    update = db.scalar(select(TopicUpdate).where(
        TopicUpdate.headline == "Can Diplomacy Still Avert War in Ukraine?"))
    assert len(update.bullets) == 4 and len(update.background) == 5
    assert [s.outlet for s in update.sources][:2] == ["France 24", "Financial Times"]


def test_control_characters_are_stripped_from_an_editor_name(runner, db):
    result = runner.invoke(args=["create-editor", "ed@example.com", "--password-stdin",
                                 "--name", "Ed\x00"], input="a long enough password\n")
    assert result.exit_code == 0
    assert db.scalar(select(Editor)).name == "Ed"
