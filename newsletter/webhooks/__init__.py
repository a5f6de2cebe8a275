"""Outgoing webhooks: signed JSON calls to editors' endpoints when readers or editions change.

`events.emit` writes the calls into an outbox in the caller's transaction; `dispatch` makes
them from the worker, signed (`signing`), with timeouts and retries for a day.
"""
