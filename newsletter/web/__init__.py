"""Plumbing every blueprint shares: the request's DB session, security headers, errors."""
