"""Admins see the running configuration (no secrets) and can check the mail server."""

from __future__ import annotations

from dataclasses import replace

from newsletter.admin.settings import masked_url
from tests.support.smtp import free_port


def test_admin_sees_the_settings_without_passwords(as_admin, app, settings):
    app.extensions["newsletter"].settings = replace(
        settings, smtp_url="smtp://mailer:s3cret-pass@mail.example:587")
    page = as_admin.get("/admin/settings").get_data(as_text=True)
    assert "mailer:••••@mail.example:587" in page
    assert "s3cret-pass" not in page
    assert "https://news.example.test" in page


def test_masking_leaves_urls_without_a_password_alone():
    assert masked_url("smtp://mail.example:25") == "smtp://mail.example:25"
    assert masked_url(None) is None


def test_editors_cannot_open_settings(as_editor):
    assert as_editor.get("/admin/settings").status_code == 403
    assert as_editor.post("/admin/settings/check-mail").status_code == 403


def test_mail_check_reports_a_working_server(as_admin, smtp):
    response = as_admin.post("/admin/settings/check-mail", follow_redirects=True)
    assert f"Mail works: connected to 127.0.0.1:{smtp.port}" in response.get_data(as_text=True)
    assert smtp.messages == []


def test_mail_check_reports_a_dead_server(as_admin, app, settings):
    app.extensions["newsletter"].settings = replace(
        settings, smtp_url=f"smtp://127.0.0.1:{free_port()}", smtp_timeout=2.0)
    response = as_admin.post("/admin/settings/check-mail", follow_redirects=True)
    assert response.status_code == 200
    assert "The mail server did not work: cannot connect" in response.get_data(as_text=True)


def test_bounce_settings_are_shown_without_their_secrets(as_admin, app):
    runtime = app.extensions["newsletter"]
    runtime.settings = replace(
        runtime.settings, bounce_mailbox="imaps://bounces:mailbox-pw@mail.example.org/INBOX",
        mailgun_signing_key="key-very-secret", postmark_webhook_auth="hooks:pm-secret")
    html = as_admin.get("/admin/settings").get_data(as_text=True)
    assert "imaps://bounces:••••@mail.example.org/INBOX" in html
    assert "ses, postmark, mailgun" in html and "5.0%" in html
    for secret in ("mailbox-pw", "key-very-secret", "pm-secret"):
        assert secret not in html
