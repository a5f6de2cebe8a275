"""Sending settings in one typed place (batch size, retries, stale claims, auto-pause)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings


@dataclass(frozen=True)
class SendSettings:
    batch_size: int = 500
    flush_every: int = 100  # outcomes are written this often: the most a crash can resend
    retry_delays: tuple[int, ...] = (60, 300, 1800, 7200)
    stale_claim_seconds: int = 300
    failure_pause_ratio: float = 0.5
    failure_pause_window: int = 200
    consecutive_transient_limit: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> SendSettings:
        return cls(
            batch_size=settings.batch_size,
            retry_delays=settings.smtp_retry_delays,
            stale_claim_seconds=settings.stale_claim_seconds,
            failure_pause_ratio=settings.failure_pause_ratio,
            failure_pause_window=settings.failure_pause_window,
        )
