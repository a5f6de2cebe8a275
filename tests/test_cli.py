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


def test_demo_says_what_it_loaded_and_what_to_open_next(runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Loaded 5 demo topics" in result.output
    assert "5 published updates" in result.output
    assert "/admin/editions/new" in result.output and "/subscribe" in result.output


def test_demo_a_second_time_says_nothing_changed(runner, db):
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    assert "already loaded; nothing changed" in result.output
    assert db.scalar(select(func.count()).select_from(TopicUpdate)) == 5


def test_every_demo_update_is_complete_and_curated(runner, db, client):
    runner.invoke(args=["demo"])
    updates = db.scalars(select(TopicUpdate)).all()
    assert len(updates) == 5
    for update in updates:
        assert update.lede and len(update.bullets) >= 3 and len(update.background) >= 2
        assert not any("in one line" in b or "in another" in b for b in update.bullets)
        assert len(update.sources) >= 3 and update.featured is not None
        assert update.featured.image_url and update.curator_name and update.curator_image_url
        # the pictures are served by the app itself
        for url in (update.curator_image_url, update.featured.image_url):
            response = client.get("/" + url.split("://", 1)[-1].split("/", 1)[1])
            assert response.status_code == 200
            response.close()


def test_help_lists_only_the_projects_commands_and_options(runner):
    from newsletter.cli import main

    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "limiter" not in result.output
    assert "--env-file" not in result.output and "--version" not in result.output
    assert "--app" not in result.output
    for command in ("init-db", "create-editor", "create-token", "demo", "run", "poll-feeds"):
        assert command in result.output


def test_run_banner_says_how_to_read_the_password_and_where_to_run_demo(tmp_path):
    from newsletter.cli import banner

    password = tmp_path / "admin-password.txt"
    password.write_text("secret\n")
    text = banner("http://127.0.0.1:8000", password, "PORT=8001 .venv/bin/newsletter",
                  "instance/outbox/*.eml", "instance/access.log")
    assert f"cat {password}" in text
    assert "second terminal" in text and "PORT=8001 .venv/bin/newsletter demo" in text
    assert "admin@localhost.localdomain" in text
    assert "instance/access.log" in text
