"""The personal links every email carries: preferences and unsubscribe (and confirm).

`version` is the subscriber's token_version: links made with an older one no longer work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .tokens import Purpose, Tokens

if TYPE_CHECKING:
    from ..config import Settings


@dataclass(frozen=True)
class Links:
    tokens: Tokens
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Links:
        return cls(Tokens(settings.secret_key), settings.base_url)

    def confirm(self, subscriber_id: int, version: int = 0) -> str:
        token = self.tokens.make(Purpose.CONFIRM, subscriber_id, version)
        return f"{self.base_url}/confirm/{token}"

    def preferences(self, subscriber_id: int, version: int = 0) -> str:
        token = self.tokens.make(Purpose.PREFERENCES, subscriber_id, version)
        return f"{self.base_url}/preferences/{token}"

    def web_copy(self, edition_id: int, mask: int) -> str:
        """"View in browser": the same for every reader of that edition with the same topics."""
        return f"{self.base_url}/web/{self.tokens.make_web_copy(edition_id, mask)}"

    def unsubscribe(self, subscriber_id: int, version: int = 0) -> str:
        token = self.tokens.make(Purpose.UNSUBSCRIBE, subscriber_id, version)
        return f"{self.base_url}/unsubscribe/{token}"
