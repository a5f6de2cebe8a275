"""Readers: sign-up, confirmation, preferences, tokens and links, import and export."""
