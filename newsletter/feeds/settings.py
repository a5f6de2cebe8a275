"""Fetch limits in one typed place; tests shrink them through Settings.extra."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings

USER_AGENT = "TheBriefing-FeedFetcher/0.1 (newsletter service; +{base_url})"


@dataclass(frozen=True)
class FeedSettings:
    allow_private: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # a server that trickles bytes cannot hold a worker for longer
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT.format(base_url="http://127.0.0.1")
    max_backoff_seconds: int = 24 * 3600
    max_retry_after_seconds: int = 24 * 3600
    lock_seconds: int = 300
    job_timeout: int = 180

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedSettings:
        extra = settings.extra or {}

        def pick(name: str, default: float) -> float:
            value = extra.get(f"feeds_{name}", default)
            return float(value)  # type: ignore[arg-type]

        return cls(
            allow_private=settings.feeds_allow_private,
            connect_timeout=pick("connect_timeout", cls.connect_timeout),
            read_timeout=pick("read_timeout", cls.read_timeout),
            total_timeout=pick("total_timeout", cls.total_timeout),
            max_bytes=int(pick("max_bytes", cls.max_bytes)),
            max_redirects=int(pick("max_redirects", cls.max_redirects)),
            user_agent=USER_AGENT.format(base_url=settings.base_url),
        )
