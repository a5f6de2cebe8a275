"""The personal links every email carries: preferences and unsubscribe (and confirm)."""

from __future__ import annotations

from dataclasses import dataclass

from .tokens import Purpose, Tokens


@dataclass(frozen=True)
class Links:
    tokens: Tokens
    base_url: str

    def confirm(self, subscriber_id: int) -> str:
        return f"{self.base_url}/confirm/{self.tokens.make(Purpose.CONFIRM, subscriber_id)}"

    def preferences(self, subscriber_id: int) -> str:
        token = self.tokens.make(Purpose.PREFERENCES, subscriber_id)
        return f"{self.base_url}/preferences/{token}"

    def unsubscribe(self, subscriber_id: int) -> str:
        token = self.tokens.make(Purpose.UNSUBSCRIBE, subscriber_id)
        return f"{self.base_url}/unsubscribe/{token}"
