"""One typed source of settings: the worker's and the feed fetcher's values come from
Settings (environment over newsletter/defaults.py), not from their own env reads."""

from __future__ import annotations

from newsletter import defaults
from newsletter.config import Settings
from newsletter.delivery.settings import SendSettings
from newsletter.feeds.settings import FeedSettings


def test_the_worker_reads_its_tick_and_log_levels_from_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSLETTER_TICK_SECONDS", "3")
    monkeypatch.setenv("LOG_LEVEL", "info")
    monkeypatch.setenv("NEWSLETTER_LOG_LEVEL", "debug")
    settings = Settings.from_env(instance=tmp_path)
    assert (settings.tick_seconds, settings.log_level, settings.app_log_level) == (3, "INFO", "DEBUG")


def test_unset_values_take_the_documented_defaults(monkeypatch, tmp_path):
    for name in ("NEWSLETTER_TICK_SECONDS", "LOG_LEVEL", "DELIVERY_BATCH_SIZE", "SMTP_RETRY_DELAYS",
                 "DELIVERY_FLUSH_EVERY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env(instance=tmp_path)
    assert settings.tick_seconds == defaults.TICK_SECONDS
    send = SendSettings.from_settings(settings)
    assert (send.batch_size, send.retry_delays) == (defaults.BATCH_SIZE, defaults.RETRY_DELAYS)
    assert SendSettings() == send  # one set of defaults, whichever way the settings are built
    assert FeedSettings.from_settings(settings).max_bytes == defaults.FEEDS_MAX_BYTES


def test_the_outcome_flush_interval_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DELIVERY_FLUSH_EVERY", "100")
    assert SendSettings.from_settings(Settings.from_env(instance=tmp_path)).flush_every == 100
    monkeypatch.setenv("DELIVERY_FLUSH_EVERY", "0")  # at least every copy, never "never"
    assert SendSettings.from_settings(Settings.from_env(instance=tmp_path)).flush_every == 1


def test_feed_limits_are_typed_settings(tmp_path):
    settings = Settings.from_env(instance=tmp_path, feeds_max_bytes=1024, feeds_read_timeout=0.5)
    limits = FeedSettings.from_settings(settings)
    assert (limits.max_bytes, limits.read_timeout) == (1024, 0.5)
