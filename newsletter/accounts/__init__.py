"""Editors and their API tokens."""
