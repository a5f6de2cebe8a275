"""Fetch limits in one typed place, read from Settings (tests shrink them there)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import defaults
from ..config import Settings

USER_AGENT = "TheBriefing-FeedFetcher/0.1 (newsletter service; +{base_url})"


@dataclass(frozen=True)
class FeedSettings:
    allow_private: bool = False
    connect_timeout: float = defaults.FEEDS_CONNECT_TIMEOUT
    read_timeout: float = defaults.FEEDS_READ_TIMEOUT
    total_timeout: float = defaults.FEEDS_TOTAL_TIMEOUT
    max_bytes: int = defaults.FEEDS_MAX_BYTES
    max_redirects: int = defaults.FEEDS_MAX_REDIRECTS
    user_agent: str = USER_AGENT.format(base_url="http://127.0.0.1")
    max_backoff_seconds: int = 24 * 3600
    max_retry_after_seconds: int = 24 * 3600
    lock_seconds: int = 300
    job_timeout: int = 180  # one feed's share of a job: its fetch, parse and store
    batch_size: int = defaults.FEEDS_BATCH_SIZE
    job_seconds: float = defaults.FEEDS_JOB_SECONDS
    concurrency: int = defaults.FEEDS_CONCURRENCY
    per_host: int = defaults.FEEDS_PER_HOST

    def batch_timeout(self, feeds: int) -> int:
        """A job of `feeds` feeds, `concurrency` at a time, each within job_timeout."""
        return self.job_timeout * max(1, -(-feeds // max(1, self.concurrency)))

    @property
    def due_job_timeout(self) -> int:
        """A due-feeds job takes new feeds for job_seconds (or until it has batch_size), then
        waits for the polls in flight, each within job_timeout."""
        return int(self.job_seconds) + self.batch_timeout(self.batch_size)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedSettings:
        return cls(
            allow_private=settings.feeds_allow_private,
            connect_timeout=settings.feeds_connect_timeout,
            read_timeout=settings.feeds_read_timeout,
            total_timeout=settings.feeds_total_timeout,
            max_bytes=settings.feeds_max_bytes,
            max_redirects=settings.feeds_max_redirects,
            user_agent=USER_AGENT.format(base_url=settings.base_url),
        )
