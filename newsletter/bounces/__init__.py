"""Returned mail: classify it, tie it to a copy we sent, and act on the reader's address."""

from .classify import Classification, Recipient, classify

__all__ = ["Classification", "Recipient", "classify"]
