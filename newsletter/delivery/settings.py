"""Sending settings in one typed place (batch size, retries, stale claims, auto-pause)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import defaults
from ..config import Settings


@dataclass(frozen=True)
class SendSettings:
    batch_size: int = defaults.BATCH_SIZE
    flush_every: int = defaults.FLUSH_EVERY
    flush_seconds: float = defaults.FLUSH_SECONDS
    retry_delays: tuple[int, ...] = defaults.RETRY_DELAYS
    stale_claim_seconds: int = defaults.STALE_CLAIM_SECONDS
    failure_pause_ratio: float = defaults.FAILURE_PAUSE_RATIO
    failure_pause_window: int = defaults.FAILURE_PAUSE_WINDOW
    consecutive_transient_limit: int = defaults.CONSECUTIVE_TRANSIENT_LIMIT

    @classmethod
    def from_settings(cls, settings: Settings) -> SendSettings:
        return cls(
            batch_size=settings.batch_size,
            flush_every=settings.flush_every,
            retry_delays=settings.smtp_retry_delays,
            stale_claim_seconds=settings.stale_claim_seconds,
            failure_pause_ratio=settings.failure_pause_ratio,
            failure_pause_window=settings.failure_pause_window,
        )
