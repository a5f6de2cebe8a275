"""Settings read from the environment, with the embedded defaults of DESIGN.md.

Everything the app, the worker and the CLI need comes from one place so that a
process started by `newsletter run`, by gunicorn or by a test sees the same values.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import defaults
from .instance import private_dir, write_new

DEFAULT_RETRY_DELAYS = defaults.RETRY_DELAYS


def instance_path() -> Path:
    """The folder for local state (SQLite file, embedded Redis, outbox, secret key)."""
    return private_dir(Path(os.environ.get("NEWSLETTER_INSTANCE", "instance")).resolve())


def _secret_key(instance: Path) -> str:
    """Generate the key once and keep it, so tokens in sent mail stay valid after restarts."""
    env = os.environ.get("SECRET_KEY")
    if env:
        return env
    key_file = instance / "secret_key"
    if not key_file.exists():
        write_new(key_file, secrets.token_urlsafe(48).encode())
    return key_file.read_text().strip()


def _retry_delays(raw: str | None) -> tuple[int, ...]:
    if not raw:
        return DEFAULT_RETRY_DELAYS
    try:
        delays = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"SMTP_RETRY_DELAYS must be comma-separated seconds, got {raw!r}") from exc
    if any(d < 0 for d in delays):
        raise ValueError("SMTP_RETRY_DELAYS must not be negative")
    return delays


def with_display_name(mail_from: str, list_name: str) -> str:
    """MAIL_FROM with the list's name as display name when it has none of its own.

    A bare address in the From line looks like a machine wrote it and fares worse in
    inboxes; the name is kept as a quoted string here and encoded (RFC 2047) when the
    header is written, so any LIST_NAME works, commas, quotes and accents included.
    """
    name, addr = parseaddr(mail_from)
    if name or "@" not in addr or not list_name.strip():
        return mail_from
    quoted = list_name.strip().replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{addr}>'


def _rate(raw: str | None, default: float = 0.05) -> float:
    """BOUNCE_PAUSE_RATE as a fraction; "5%" and "0.05" mean the same."""
    if not raw or not raw.strip():
        return default
    text = raw.strip()
    value = float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)
    if not 0 < value <= 1:
        raise ValueError(f"BOUNCE_PAUSE_RATE must be between 0 and 1 (or 0%-100%), got {raw!r}")
    return value


def _zone(raw: str | None) -> str:
    """LIST_TIMEZONE must name an IANA zone: a typo would move every reader's morning."""
    if not raw or not raw.strip():
        return defaults.LIST_TIMEZONE
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"LIST_TIMEZONE must be an IANA time zone such as Europe/Berlin, "
                         f"got {raw!r}") from exc
    return name


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment; tests build one with overrides instead of patching env."""

    instance: Path
    database_url: str
    redis_url: str | None
    smtp_url: str | None
    base_url: str
    secret_key: str
    mail_from: str
    port: int = defaults.PORT
    list_name: str = defaults.LIST_NAME
    smtp_rate: float | None = None
    smtp_retry_delays: tuple[int, ...] = DEFAULT_RETRY_DELAYS
    smtp_timeout: float = defaults.SMTP_TIMEOUT
    envelope_from: str | None = None
    feeds_allow_private: bool = False
    click_tracking: bool = True
    open_tracking: bool = False
    trusted_proxies: int = 0
    database_pool_size: int = defaults.DATABASE_POOL_SIZE
    batch_size: int = defaults.BATCH_SIZE
    flush_every: int = defaults.FLUSH_EVERY
    stale_claim_seconds: int = defaults.STALE_CLAIM_SECONDS
    delivery_archive_days: int = defaults.ARCHIVE_AFTER_DAYS
    delivery_archive_chunk: int = defaults.ARCHIVE_CHUNK
    failure_pause_ratio: float = defaults.FAILURE_PAUSE_RATIO
    failure_pause_window: int = defaults.FAILURE_PAUSE_WINDOW
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_key_path: str | None = None
    queue_name: str = defaults.QUEUE_NAME
    purge_unconfirmed_days: int = 30
    webhook_call_retention_days: int = 30
    bounce_mailbox: str | None = None
    bounce_soft_limit: int = 3
    bounce_pause_rate: float = 0.05
    ses_sns_cert_file: str | None = None
    postmark_webhook_auth: str | None = None
    mailgun_signing_key: str | None = None
    sendgrid_public_key: str | None = None
    feeds_connect_timeout: float = defaults.FEEDS_CONNECT_TIMEOUT
    feeds_read_timeout: float = defaults.FEEDS_READ_TIMEOUT
    feeds_total_timeout: float = defaults.FEEDS_TOTAL_TIMEOUT
    feeds_max_bytes: int = defaults.FEEDS_MAX_BYTES
    feeds_max_redirects: int = defaults.FEEDS_MAX_REDIRECTS
    tick_seconds: int = defaults.TICK_SECONDS
    # Reader time: the zone of readers who gave none, and the welcome briefing on confirm
    list_timezone: str = defaults.LIST_TIMEZONE
    welcome_briefing: bool = True
    log_level: str = defaults.LOG_LEVEL
    app_log_level: str = defaults.APP_LOG_LEVEL

    @property
    def outbox(self) -> Path:
        return self.instance / "outbox"

    @property
    def signup_queue_name(self) -> str:
        """Sign-ups and their confirmations: listened to after the main queue, so a burst
        never delays the tick, an edition or a feed poll by more than one short job."""
        return f"{self.queue_name}-signups"

    @property
    def list_id(self) -> str:
        """RFC 2919 List-Id: a name plus a stable dotted id under the sender's domain."""
        domain = self.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost"
        return f"{self.list_name} <briefing.{domain}>"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        instance = Path(str(overrides.pop("instance", None) or instance_path()))
        private_dir(instance)
        port = int(os.environ.get("PORT", str(defaults.PORT)))
        rate = os.environ.get("SMTP_RATE")
        values: dict[str, object] = {
            "instance": instance,
            "database_url": os.environ.get("DATABASE_URL")
            or f"sqlite:///{instance / 'newsletter.db'}",
            "redis_url": os.environ.get("REDIS_URL") or None,
            "smtp_url": os.environ.get("SMTP_URL") or None,
            "base_url": (os.environ.get("BASE_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            "secret_key": _secret_key(instance),
            "mail_from": os.environ.get("MAIL_FROM") or defaults.MAIL_FROM,
            "port": port,
            "list_name": os.environ.get("LIST_NAME") or defaults.LIST_NAME,
            "smtp_rate": float(rate) if rate else None,
            "smtp_retry_delays": _retry_delays(os.environ.get("SMTP_RETRY_DELAYS")),
            "envelope_from": os.environ.get("ENVELOPE_FROM") or None,
            "feeds_allow_private": _flag("FEEDS_ALLOW_PRIVATE"),
            "click_tracking": os.environ.get("CLICK_TRACKING", "1").strip().lower()
            not in ("0", "off", "false", "no"),
            "open_tracking": _flag("OPEN_TRACKING"),
            "trusted_proxies": int(os.environ.get("TRUSTED_PROXIES", "0")),
            "database_pool_size": int(os.environ.get("DATABASE_POOL_SIZE")
                                      or defaults.DATABASE_POOL_SIZE),
            "batch_size": int(os.environ.get("DELIVERY_BATCH_SIZE", defaults.BATCH_SIZE)),
            "flush_every": max(1, int(os.environ.get("DELIVERY_FLUSH_EVERY")
                                      or defaults.FLUSH_EVERY)),
            "stale_claim_seconds": int(os.environ.get("DELIVERY_STALE_SECONDS",
                                                      defaults.STALE_CLAIM_SECONDS)),
            "delivery_archive_days": int(os.environ.get("DELIVERY_ARCHIVE_DAYS",
                                                        defaults.ARCHIVE_AFTER_DAYS)),
            "delivery_archive_chunk": max(1, int(os.environ.get("DELIVERY_ARCHIVE_CHUNK",
                                                                defaults.ARCHIVE_CHUNK))),
            "dkim_selector": os.environ.get("DKIM_SELECTOR") or None,
            "dkim_domain": os.environ.get("DKIM_DOMAIN") or None,
            "dkim_key_path": os.environ.get("DKIM_PRIVATE_KEY") or None,
            "queue_name": os.environ.get("RQ_QUEUE", defaults.QUEUE_NAME),
            "purge_unconfirmed_days": int(os.environ.get("PURGE_UNCONFIRMED_DAYS", "30")),
            "webhook_call_retention_days": int(os.environ.get("WEBHOOK_CALL_RETENTION_DAYS",
                                                              "30")),
            "tick_seconds": int(os.environ.get("NEWSLETTER_TICK_SECONDS", defaults.TICK_SECONDS)),
            "log_level": os.environ.get("LOG_LEVEL", defaults.LOG_LEVEL).upper(),
            "app_log_level": os.environ.get("NEWSLETTER_LOG_LEVEL", defaults.APP_LOG_LEVEL).upper(),
            "list_timezone": _zone(os.environ.get("LIST_TIMEZONE")),
            "welcome_briefing": os.environ.get("WELCOME_BRIEFING", "1").strip().lower()
            not in ("0", "off", "false", "no"),
            "bounce_mailbox": os.environ.get("BOUNCE_MAILBOX") or None,
            "bounce_soft_limit": int(os.environ.get("BOUNCE_SOFT_LIMIT") or 3),
            "bounce_pause_rate": _rate(os.environ.get("BOUNCE_PAUSE_RATE")),
            "ses_sns_cert_file": os.environ.get("SES_SNS_CERT_FILE") or None,
            "postmark_webhook_auth": os.environ.get("POSTMARK_WEBHOOK_AUTH") or None,
            "mailgun_signing_key": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY") or None,
            "sendgrid_public_key": os.environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY") or None,
        }
        values.update(overrides)
        values["mail_from"] = with_display_name(str(values["mail_from"]), str(values["list_name"]))
        return cls(**values)  # type: ignore[arg-type]
